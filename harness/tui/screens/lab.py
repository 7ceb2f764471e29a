"""Lab: run the DoD checks (learner's code or the reference) and training runs in a thread
worker, streaming output into a log, with cancel, a results table by task, a progress bar
and a live loss/accuracy plot.

`harness.grading.checks` and `harness.grading.runs` are imported inside the workers: they
may be missing (the screen then says "not yet available") and they must not slow the start.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import (
    Button,
    DataTable,
    Log,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from harness.chapter import Lab
from harness.paths import REPO_ROOT
from harness.tui.screens.base import HarnessScreen
from harness.tui.widgets.metric_plot import MetricPlot

STATUS_STYLE = {"pass": "$success", "fail": "$error", "error": "$error", "skip": "$text-muted"}


def _unavailable(exc: ImportError, module: str) -> bool:
    """True when `module` itself is missing (not one of its own imports)."""
    return isinstance(exc, ModuleNotFoundError) and exc.name == module


def scalar_metrics(metrics: dict) -> str:
    """The numbers and short words of a metrics dict on one line; lists and tables are left
    to the run folder's files."""
    shown = []
    for key, value in sorted(metrics.items()):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            continue
        if isinstance(value, float):
            shown.append(f"{key} {value:.4g}")
        elif len(str(value)) <= 24:
            shown.append(f"{key} {value}")
    return " · ".join(shown)


def _number(info: dict, *keys: str) -> float | None:
    """The first of `keys` in a progress event that holds a finite number."""
    for key in keys:
        value = info.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return None


class LabScreen(HarnessScreen):
    BINDINGS = [
        Binding("c", "check(False)", "Check mine"),
        Binding("R", "check(True)", "Check reference"),
        Binding("t", "train", "Train"),
        Binding("x", "cancel", "Cancel run"),
        Binding("p", "open_page", "Page"),
    ]

    def __init__(
        self,
        lab: Lab,
        *,
        start: str | None = None,
        task: str | None = None,
        reference: bool = False,
    ) -> None:
        super().__init__()
        self.lab = lab
        self.start = start
        self.start_task = task
        self.start_reference = reference
        self.cancel_event: threading.Event | None = None

    # --- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="lab-body"):
            yield Static(id="lab-title")
            with Horizontal(id="lab-controls"):
                yield Select(
                    [(f"task {t.id}: {t.title}", t.id) for t in self.lab.tasks],
                    prompt="all tasks",
                    id="task",
                    compact=True,
                    value=self.start_task or Select.NULL,
                )
                yield Button("Check mine (c)", id="check-mine", variant="primary", compact=True)
                yield Button("Reference (R)", id="check-reference", compact=True)
                yield Button("Train (t)", id="train", compact=True)
                yield Button(
                    "Cancel (x)", id="cancel", variant="error", disabled=True, compact=True
                )
            with TabbedContent(id="lab-tabs"):
                with TabPane("Checks", id="checks-tab"):
                    yield Static(id="check-summary")
                    yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
                    yield Static(id="failures")
                    yield Log(id="check-log", max_lines=5000)
                with TabPane("Training run", id="run-tab"):
                    yield Static(id="run-status")
                    yield ProgressBar(id="run-progress", show_eta=False)
                    yield MetricPlot({"loss": "loss ↓", "acc": "accuracy ↑"}, id="run-plot")
                    yield Static(id="last-run")
                    yield Log(id="run-log", max_lines=5000)

    def on_mount(self) -> None:
        self.sub_title = f"{self.lab.id} — {self.app.chapter.item(self.lab.id).title}"
        tasks = " · ".join(t.id for t in self.lab.tasks)
        self.query_one("#lab-title", Static).update(
            Content.assemble(
                (f"{len(self.lab.tasks)} tasks: ", "$text-muted"),
                (tasks, "bold"),
                (
                    f"   time limit {self.lab.time_limit_s}s; pick one task below or check all",
                    "$text-muted",
                ),
            )
        )
        self.query_one("#check-log", Log).border_title = "pytest output"
        self.query_one("#run-log", Log).border_title = "training output"
        table = self.query_one("#results", DataTable)
        table.add_columns("task", "test", "status", "time", "message")
        self.query_one("#check-summary", Static).update("No check run yet in this session.")
        self._show_last_check()
        self._show_last_run()
        if self.start == "check":
            self.action_check(self.start_reference)
        elif self.start == "run":
            self.action_train(self.start_reference)

    # --- stored history -------------------------------------------------------------------

    def _show_last_check(self) -> None:
        learner = self.app.learner
        if learner is None:
            return
        run = self.app.store.last_check_run(learner, self.lab.id, full_only=False)
        if run is None:
            self.query_one("#check-summary", Static).update(
                "Your code has not been checked yet. Press c to check it, R to check the reference."
            )
            return
        results = self.app.store.check_results(run["id"])
        if run["output_tail"]:
            self.query_one("#check-log", Log).write_lines(run["output_tail"].splitlines())
        self._fill_results(
            [
                (r["task"], r["name"], r["status"], r["duration_s"] or 0.0, r["message"] or "")
                for r in results
            ]
        )
        scope = f"task {run['task']}" if run["task"] else "all tasks"
        self._summary(
            f"last check ({run['impl']}, {scope})",
            run["status"],
            run["passed"],
            run["failed"],
            run["message"] or "",
        )

    def _show_last_run(self) -> None:
        run = self.app.store.last_run(self.app.learner, self.lab.id)
        widget = self.query_one("#last-run", Static)
        if run is None:
            widget.update("No training run yet. Press t to train (a live plot appears here).")
            return
        try:
            metrics = json.loads(run["metrics"] or "{}")
        except ValueError:
            metrics = {}
        lines = [
            Content.assemble(
                ("last run: ", "bold"), f"{run['status']} ({run['impl']}, seed {run['seed']})"
            )
        ]
        lines.append(Content(f"  {scalar_metrics(metrics) or 'no metrics'}"))
        run_dir = Path(run["run_dir"])
        if not run_dir.is_absolute():
            run_dir = REPO_ROOT / run_dir
        lines.append(Content.assemble(("  folder: ", "$text-muted"), str(run_dir)))
        if run_dir.is_dir():
            plots = sorted(run_dir.glob("*.png")) + sorted(run_dir.glob("*.svg"))
            for plot in plots:
                lines.append(Content.assemble(("  plot: ", "$text-muted"), str(plot)))
        widget.update(Content("\n").join(lines))

    def _fill_results(self, rows: list[tuple[Any, str, str, float, str]]) -> None:
        table = self.query_one("#results", DataTable)
        table.clear()
        failures = []
        for task, name, status, duration, message in sorted(rows, key=lambda r: (r[0] or "", r[1])):
            first_line = message.strip().splitlines()[0] if message.strip() else ""
            # Text, not str: DataTable reads str cells as markup, and test ids ("[key-mask]")
            # and learner output ("[/x]") are data; as markup they vanish or crash the screen.
            table.add_row(
                Text(task or "—"),
                Text(name),
                Content.styled(status, STATUS_STYLE.get(status, "")),
                f"{duration:.2f}s",
                Text(first_line[:80]),
            )
            if status != "pass" and message.strip():
                failures.append(Content.assemble((f"{name}", "bold $error"), f": {message}"))
        self.query_one("#failures", Static).update(Content("\n").join(failures))

    def _summary(self, what: str, status: str, passed: int, failed: int, message: str) -> None:
        style = STATUS_STYLE.get(status, "$warning")
        text = Content.assemble(
            f"{what}: ", (status, f"bold {style}"), f" — {passed} passed, {failed} failed"
        )
        if message:
            text = Content.assemble(text, "\n", (message, "italic"))
        self.query_one("#check-summary", Static).update(text)

    # --- running --------------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        for button_id in ("check-mine", "check-reference", "train"):
            self.query_one(f"#{button_id}", Button).disabled = busy
        self.query_one("#cancel", Button).disabled = not busy

    def _selected_task(self) -> str | None:
        value = self.query_one("#task", Select).value
        return None if value is Select.NULL or value is None else str(value)

    def _post(self, callback, *args) -> None:
        """Run `callback` on the UI thread, unless the screen has gone away meanwhile."""
        if self.is_attached:
            try:
                self.app.call_from_thread(callback, *args)
            except RuntimeError:  # the app is shutting down
                pass

    def action_check(self, reference: bool) -> None:
        if self.cancel_event is not None:
            self.app.notify("a run is already going; cancel it first (x)", severity="warning")
            return
        learner = self.app.require_learner()
        if learner is None:
            return
        self.query_one("#lab-tabs", TabbedContent).active = "checks-tab"
        self.query_one("#check-log", Log).clear()
        task = self._selected_task()
        who = "reference" if reference else f"{learner}'s code"
        self.query_one("#check-summary", Static).update(
            f"checking {who}{f' (task {task})' if task else ''}…"
        )
        self.cancel_event = threading.Event()
        self._busy(True)
        self._check_worker(
            learner, reference, task, self.cancel_event, self.query_one("#check-log", Log)
        )

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _check_worker(
        self, learner: str, reference: bool, task: str | None, cancel: threading.Event, log: Log
    ) -> None:
        try:
            from harness.grading.checks import run_checks
        except ImportError as exc:
            why = "not yet available" if _unavailable(exc, "harness.grading.checks") else str(exc)
            self._post(self._finish_check, None, f"the checks runner is {why}")
            return
        try:
            outcome = run_checks(
                self.app.chapter,
                self.lab.id,
                learner=learner,
                reference=reference,
                task=task,
                store=self.app.store,
                on_output=lambda line: self._post(log.write_line, line.rstrip("\n")),
                cancel=cancel,
            )
        except Exception as exc:  # shown, never a crash: the learner can fix and retry
            self._post(self._finish_check, None, f"{type(exc).__name__}: {exc}")
            return
        self._post(self._finish_check, outcome, "")

    def _finish_check(self, outcome, error: str) -> None:
        self.cancel_event = None
        self._busy(False)
        if outcome is None:
            self.query_one("#check-summary", Static).update(
                Content.assemble(("could not run the checks: ", "bold $error"), error)
            )
            self.app.notify(error, title="checks", severity="error")
            return
        self._fill_results(
            [(r.task, r.name, r.status, r.duration_s, r.message) for r in outcome.results]
        )
        passed = sum(r.status == "pass" for r in outcome.results)
        scope = f"task {outcome.task}" if outcome.task else "all tasks"
        self._summary(
            f"{outcome.impl}, {scope}, {outcome.duration_s:.1f}s",
            outcome.status,
            passed,
            len(outcome.results) - passed,
            outcome.message,
        )
        self.app.notify(
            f"{self.lab.id} checks: {outcome.status} ({passed}/{len(outcome.results)} passed)",
            title="checks",
            severity="information" if outcome.status == "pass" else "warning",
        )

    def action_train(self, reference: bool = False) -> None:
        if self.cancel_event is not None:
            self.app.notify("a run is already going; cancel it first (x)", severity="warning")
            return
        learner = self.app.require_learner()
        if learner is None:
            return
        self.query_one("#lab-tabs", TabbedContent).active = "run-tab"
        self.query_one("#run-log", Log).clear()
        self.query_one("#run-plot", MetricPlot).reset()
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        who = "the reference" if reference else f"{learner}'s code"
        self.query_one("#run-status", Static).update(f"training {who}…")
        self.cancel_event = threading.Event()
        self._busy(True)
        self._run_worker(learner, reference, self.cancel_event, self.query_one("#run-log", Log))

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _run_worker(self, learner: str, reference: bool, cancel: threading.Event, log: Log) -> None:
        try:
            from harness.grading.runs import run_lab
        except ImportError as exc:
            why = "not yet available" if _unavailable(exc, "harness.grading.runs") else str(exc)
            self._post(self._finish_run, None, f"training runs are {why}")
            return
        try:
            outcome = run_lab(
                self.app.chapter,
                self.lab.id,
                learner=learner,
                reference=reference,
                seed=0,
                store=self.app.store,
                on_progress=lambda d: self._post(self._progress, dict(d)),
                on_output=lambda line: self._post(log.write_line, line.rstrip("\n")),
                cancel=cancel,
            )
        except Exception as exc:  # shown, never a crash
            self._post(self._finish_run, None, f"{type(exc).__name__}: {exc}")
            return
        self._post(self._finish_run, outcome, "")

    def _progress(self, info: dict) -> None:
        """One progress event; labs name keys a little differently, so accept the variants."""
        bar = self.query_one("#run-progress", ProgressBar)
        step = _number(info, "step")
        total = _number(info, "total_steps", "max_steps", "steps")
        elapsed = _number(info, "elapsed", "elapsed_s")
        budget = _number(info, "budget_s", "time_budget_s")
        if total and step is not None:
            bar.update(total=total, progress=step)
        elif budget and elapsed is not None:
            bar.update(total=budget, progress=min(elapsed, budget))
        plot = self.query_one("#run-plot", MetricPlot)
        plot.add("loss", _number(info, "loss", "train_loss"))
        plot.add("acc", _number(info, "acc", "eval_acc", "accuracy", "train_acc"))
        parts = [f"step {step:.0f}" if step is not None else "step ?"]
        if elapsed is not None:
            parts.append(f"{elapsed:.1f}s" + (f" of {budget:.0f}s" if budget else ""))
        self.query_one("#run-status", Static).update("training… " + " · ".join(parts))

    def _finish_run(self, outcome, error: str) -> None:
        self.cancel_event = None
        self._busy(False)
        status = self.query_one("#run-status", Static)
        if outcome is None:
            status.update(Content.assemble(("could not train: ", "bold $error"), error))
            self.app.notify(error, title="run", severity="error")
            return
        bar = self.query_one("#run-progress", ProgressBar)
        if outcome.status == "ok" and bar.total:
            bar.update(progress=bar.total)
        if bar.total is None:  # no step count or budget was reported: show it as complete
            bar.update(total=1, progress=1 if outcome.status == "ok" else 0)
        status.update(
            Content.assemble(
                ("run ", "bold"),
                (str(outcome.status), "bold"),
                f" in {outcome.duration_s:.0f}s",
                f" — {outcome.message}" if outcome.status != "ok" else "",
            )
        )
        self._show_last_run()
        self.app.notify(f"{self.lab.id} run: {outcome.status}", title="run")

    def action_cancel(self) -> None:
        if self.cancel_event is None:
            self.app.notify("nothing is running", severity="information")
            return
        self.cancel_event.set()
        self.app.notify("cancelling…", title=self.lab.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "check-mine": lambda: self.action_check(False),
            "check-reference": lambda: self.action_check(True),
            "train": self.action_train,
            "cancel": self.action_cancel,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    def action_open_page(self) -> None:
        self.app.run_command_line(f"/read {self.lab.id}")

    def on_unmount(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
