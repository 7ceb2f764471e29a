"""Lab: each task's latest result, the learner's file (and a key to edit it), DoD checks and
training runs you can watch (i/N, elapsed, the test's name, a live loss/accuracy plot), a
results table in the lab's task order with every message in full, and watch mode.

Checks and runs are the app's jobs (harness/tui/jobs.py): this screen starts and follows
them, and leaving it never stops them; only `x` does (with a question first for a run).

Watch mode (on while the screen is open, `w` toggles it; screens/lab_watch.py): every save of
the learner's file re-checks the current task. While it fails, the failure shows; when it
passes, a short celebration, the next task is picked, and the task's reference solution
appears beside the learner's code in the Solution tab.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import threading
from pathlib import Path
from typing import Any

from rich.text import Text
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
from harness.learners import lab_dir
from harness.paths import REPO_ROOT
from harness.progress import LabProgress, lab_progress, last_check_run
from harness.tui.jobs import Job
from harness.tui.screens.base import HarnessScreen
from harness.tui.screens.lab_watch import LabWatch
from harness.tui.widgets.metric_plot import MetricPlot
from harness.tui.widgets.solution_view import SolutionView
from harness.wording import HarnessFrames, clean_message, failure_summary

STATUS_STYLE = {"pass": "$success", "fail": "$error", "error": "$error", "skip": "$text-muted"}
STATUS_MARK = {"pass": "✓", "fail": "✗", "error": "!", None: "○"}


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


def progress_line(progress: LabProgress) -> Content:
    """`✓ patchify  ✓ layernorm  ✗ attention  ○ block  ○ train`."""
    parts = []
    for state in progress.tasks:
        mark = STATUS_MARK.get(state.status, "!")
        style = STATUS_STYLE.get(state.status or "", "$text-muted" if state.status is None else "")
        parts.append(Content.assemble((mark, style or "$warning"), f" {state.task.id}"))
    return Content("  ").join(parts)


class LabScreen(LabWatch, HarnessScreen):
    BINDINGS = [
        Binding("c", "check(False)", "Check mine"),
        Binding("R", "check(True)", "Check reference"),
        Binding("t", "train", "Train"),
        Binding("x", "cancel", "Cancel"),
        Binding("e", "edit", "Edit file"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("s", "solution", "Solution"),
        Binding("p", "open_page", "Page"),
        Binding("h", "hint", "Hint"),
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
        self.rows: list[tuple[Any, str, str, float, str]] = []
        self.watching = False
        self.watch_stop: threading.Event | None = None
        self.save_pending = False
        self.celebrated: str | None = None
        self.progress: LabProgress = LabProgress(lab.id, ())
        self.previous_rows: list[tuple[Any, str, str, float, str]] = []

    # --- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="lab-body"):
            yield Static(id="lab-title")
            yield Static(id="lab-file")
            with Horizontal(id="lab-controls"):
                yield Select(
                    [(f"task {t.id}: {t.title}", t.id) for t in self.lab.tasks],
                    prompt="all tasks",
                    id="task",
                    compact=True,
                    value=self.start_task or Select.NULL,
                )
                yield Button("Check (c)", id="check-mine", variant="primary", compact=True)
                yield Button("Ref (R)", id="check-reference", compact=True)
                yield Button("Train (t)", id="train", compact=True)
                yield Button("Stop (x)", id="cancel", variant="error", disabled=True, compact=True)
            with TabbedContent(id="lab-tabs"):
                with TabPane("Checks", id="checks-tab"):
                    yield Static(id="check-summary")
                    with Horizontal(id="check-progress-row"):
                        yield ProgressBar(id="check-progress", show_eta=False)
                        yield Static(id="check-now")
                    yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
                    yield Static(id="detail")
                with TabPane("Output", id="output-tab"):
                    yield Log(id="check-log", max_lines=5000)
                with TabPane("Training run", id="run-tab"):
                    yield Static(id="run-status")
                    yield ProgressBar(id="run-progress", show_eta=False)
                    yield MetricPlot({"loss": "loss ↓", "acc": "accuracy ↑"}, id="run-plot")
                    yield Static(id="last-run")
                    yield Log(id="run-log", max_lines=5000)
                with TabPane("Solution", id="solution-tab"):
                    yield SolutionView(id="solution")

    def on_mount(self) -> None:
        self.sub_title = f"{self.lab.id} — {self.app.chapter.item(self.lab.id).title}"
        self.query_one("#check-log", Log).border_title = "pytest output"
        self.query_one("#run-log", Log).border_title = "training output"
        table = self.query_one("#results", DataTable)
        table.add_columns("status", "task", "test", "time")
        self.query_one("#check-progress-row").display = False
        self.query_one("#check-summary", Static).update("No check run yet in this session.")
        self._show_file()
        self.refresh_progress()
        self._show_last_check()
        self._show_last_run()
        self.app.jobs.listen(self._on_job)
        self.set_watching(True)
        job = self.app.jobs.current
        if job is not None:
            self._follow(job)
        elif self.start == "check":
            self.action_check(self.start_reference)
        elif self.start == "run":
            self.action_train(self.start_reference)

    def on_unmount(self) -> None:
        # Leaving the screen never stops a job: it belongs to the app (see jobs.py).
        self.app.jobs.forget(self._on_job)
        self.set_watching(False, show=False)

    # --- the learner's file and progress --------------------------------------------------

    def learner_file(self) -> Path | None:
        learner = self.app.learner
        if learner is None:
            return None
        return lab_dir(learner, self.app.chapter, self.lab.id, self.app.learners_root) / (
            f"{self.lab.entry}.py"
        )

    def _show_file(self) -> None:
        path = self.learner_file()
        widget = self.query_one("#lab-file", Static)
        if path is None:
            widget.update("")
            return
        shown = path
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            pass
        missing = "" if path.is_file() else "  (missing: /learner re-copies the starters)"
        if missing:
            note = (missing, "$warning")
        elif self.watching:
            note = ("  e: edit · ⟳ watching", "$text-muted")  # each save re-checks the task
        else:
            note = ("  e: edit · w: watch", "$text-muted")
        widget.update(Content.assemble(("your file: ", "$text-muted"), (str(shown), "bold"), note))

    def refresh_progress(self) -> None:
        learner = self.app.learner
        title = self.query_one("#lab-title", Static)
        if learner is None:
            title.update(
                f"{len(self.lab.tasks)} tasks: " + " · ".join(t.id for t in self.lab.tasks)
            )
            return
        progress = lab_progress(self.app.store, self.lab, learner)
        self.progress = progress
        nxt = progress.next_task
        title.update(
            Content.assemble(
                (f"{progress.done}/{progress.total} tasks", "bold"),
                (
                    f"   next: {nxt.task.id} — {nxt.task.title}" if nxt else "   every task passes",
                    "$accent",
                ),
                "\n",
                progress_line(progress),
            )
        )

    def current_task(self) -> str | None:
        """The task picked above, else the next one that does not pass yet."""
        task = self._selected_task()
        if task is not None:
            return task
        progress = getattr(self, "progress", None)
        nxt = progress.next_task if progress is not None else None
        return nxt.task.id if nxt else None

    # --- stored history -------------------------------------------------------------------

    def _show_last_check(self, prefix: str = "") -> None:
        learner = self.app.learner
        if learner is None:
            return
        run = last_check_run(self.app.store, learner, self.lab.id, full_only=False)
        if run is None:
            self.query_one("#check-summary", Static).update(
                prefix + "Your code has not been checked yet. Press c to check it, R to check the "
                "reference."
            )
            self._fill_results([])
            return
        results = self.app.store.check_results(run["id"])
        log = self.query_one("#check-log", Log)
        if run["output_tail"] and not prefix:
            frames = HarnessFrames()
            log.write_lines([x for x in run["output_tail"].splitlines() if frames.keep(x)])
        self._fill_results(
            [
                (r["task"], r["name"], r["status"], r["duration_s"] or 0.0, r["message"] or "")
                for r in results
            ]
        )
        scope = f"task {run['task']}" if run["task"] else "all tasks"
        self._summary(
            f"{prefix}last check ({run['impl']}, {scope})",
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

    # --- the results table ----------------------------------------------------------------

    def _order(self, row: tuple[Any, str, str, float, str]) -> int:
        """The lab's task order; inside a task, the order the checks ran in (stable sort)."""
        index = {t.id: i for i, t in enumerate(self.lab.tasks)}
        return index.get(row[0] or "", len(index))

    def _fill_results(self, rows: list[tuple[Any, str, str, float, str]]) -> None:
        """Rows in the lab's task order, status first (it must survive 80 columns); each
        message in full in the detail pane under the table."""
        self.rows = sorted(rows, key=self._order)
        table = self.query_one("#results", DataTable)
        table.clear()
        for task, name, status, duration, _message in self.rows:
            # Text, not str: DataTable reads str cells as markup, and test ids ("[key-mask]")
            # and learner output ("[/x]") are data; as markup they vanish or crash the screen.
            table.add_row(
                Content.styled(
                    f"{STATUS_MARK.get(status, '!')} {status}", STATUS_STYLE.get(status, "")
                ),
                Text(task or "—"),
                Text(name),
                f"{duration:.2f}s",
            )
        failing = next((i for i, r in enumerate(self.rows) if r[2] != "pass"), None)
        if self.rows:
            table.move_cursor(row=failing if failing is not None else 0)
        self._show_detail(failing)

    def _show_detail(self, index: int | None) -> None:
        detail = self.query_one("#detail", Static)
        if index is None or not 0 <= index < len(self.rows):
            detail.update("")
            detail.display = False
            return
        task, name, status, duration, message = self.rows[index]
        head = Content.assemble(
            (name, f"bold {STATUS_STYLE.get(status, '')}"),
            (f"  [{task or '—'}] {status} in {duration:.2f}s", "$text-muted"),
        )
        body = Content(message.strip()) if message.strip() else Content("")
        detail.update(Content("\n").join([head, body]) if message.strip() else head)
        detail.display = True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "results":
            self._show_detail(event.cursor_row)

    def _summary(self, what: str, status: str, passed: int, failed: int, message: str) -> None:
        style = STATUS_STYLE.get(status, "$warning")
        text = Content.assemble(
            f"{what}: ", (status, f"bold {style}"), f" — {passed} passed, {failed} failed"
        )
        message = clean_message(message)
        if message:
            text = Content.assemble(text, "\n", (message.splitlines()[0], "italic"))
        self.query_one("#check-summary", Static).update(text)

    # --- starting jobs --------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        for button_id in ("check-mine", "check-reference", "train"):
            self.query_one(f"#{button_id}", Button).disabled = busy
        self.query_one("#cancel", Button).disabled = not busy

    def _selected_task(self) -> str | None:
        value = self.query_one("#task", Select).value
        return None if value is Select.NULL or value is None else str(value)

    def start_check(self, reference: bool, task: str | None, trigger: str = "key") -> bool:
        learner = self.app.require_learner()
        if learner is None:
            return False
        job = Job("check", self.lab.id, learner, reference, task, trigger)
        if not self.app.jobs.start(job):
            busy = self.app.jobs.current
            self.app.notify(
                f"the {busy.what()} is still going; wait for it or stop it (x)",
                severity="warning",
            )
            return False
        return True

    def action_check(self, reference: bool) -> None:
        self.start_check(reference, self._selected_task())

    def action_train(self, reference: bool = False) -> None:
        learner = self.app.require_learner()
        if learner is None:
            return
        if not self.app.jobs.start(Job("run", self.lab.id, learner, reference)):
            busy = self.app.jobs.current
            self.app.notify(
                f"the {busy.what()} is still going; wait for it or stop it (x)",
                severity="warning",
            )

    def action_cancel(self) -> None:
        job = self.app.jobs.current
        if job is None:
            self.app.notify("nothing is running", severity="information")
            return
        if job.kind == "check":
            self.app.jobs.cancel()
            return
        from harness.tui.screens.confirm import ConfirmScreen

        def answered(key: str | None) -> None:
            if key == "y" and self.app.jobs.current is job:
                self.app.jobs.cancel()

        self.app.push_screen(
            ConfirmScreen(
                f"Stop the {job.what()} after {job.elapsed_s:.0f}s? It is recorded as cancelled.",
                [("y", "stop it"), ("n", "let it run")],
                title="stop training",
            ),
            answered,
        )

    # --- following a job ------------------------------------------------------------------

    def _follow(self, job: Job) -> None:
        """Catch up with a job that started while this screen was away."""
        self._on_job(job, "started", None)
        log = self.query_one("#check-log" if job.kind == "check" else "#run-log", Log)
        log.write_lines(list(job.lines))
        if job.kind == "check" and job.progress is not None:
            self._check_progress(job, job.progress)
        for event in job.run_events:
            self._progress(event)

    def _on_job(self, job: Job, event: str, payload: Any) -> None:
        if not self.is_attached:
            return
        if event in ("started", "finished"):
            self._busy(self.app.jobs.current is not None)
        if job.lab_id != self.lab.id:
            return
        if event == "started":
            self._started(job)
        elif event == "line":
            log = self.query_one("#check-log" if job.kind == "check" else "#run-log", Log)
            log.write_line(payload)
        elif event == "check_progress":
            self._check_progress(job, payload)
        elif event == "run_progress":
            self._progress(payload)
        elif event == "cancelling":
            target = "#check-summary" if job.kind == "check" else "#run-status"
            self.query_one(target, Static).update(f"stopping the {job.what()}…")
        elif event == "finished":
            outcome, error = payload
            if job.kind == "check":
                self._finish_check(job, outcome, error)
            else:
                self._finish_run(outcome, error)

    def _started(self, job: Job) -> None:
        if job.kind == "run":
            self.query_one("#lab-tabs", TabbedContent).active = "run-tab"
            self.query_one("#run-log", Log).clear()
            self.query_one("#run-plot", MetricPlot).reset()
            self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
            who = "the reference" if job.reference else f"{job.learner}'s code"
            self.query_one("#run-status", Static).update(f"training {who}…")
            return
        self.query_one("#lab-tabs", TabbedContent).active = "checks-tab"
        self.query_one("#check-log", Log).clear()
        self.previous_rows = list(self.rows)
        self._fill_results([])
        who = "the reference" if job.reference else f"{job.learner}'s code"
        self.query_one("#check-summary", Static).update(
            f"checking {who}{f' (task {job.task})' if job.task else ''}…"
        )
        self.query_one("#check-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#check-now", Static).update(" starting pytest…")
        self.query_one("#check-progress-row").display = True

    def _check_progress(self, job: Job, event: Any) -> None:
        """One CheckProgress: i/N, elapsed and the test's name; a finished test joins the
        table at once."""
        bar = self.query_one("#check-progress", ProgressBar)
        bar.update(total=event.total, progress=job.done_tests)
        state = "running" if event.status is None else event.status
        self.query_one("#check-now", Static).update(
            Content.assemble(
                f" {event.index}/{event.total} · {event.elapsed_s:.1f}s · ",
                (event.name, "bold"),
                (f" {state}", STATUS_STYLE.get(state, "$text-muted")),
            )
        )
        if event.status is not None:
            self._fill_results(self.rows + [(event.task, event.name, event.status, 0.0, "")])

    def _finish_check(self, job: Job, outcome, error: str) -> None:
        self.query_one("#check-progress-row").display = False
        if outcome is None:
            self._fill_results(self.previous_rows)
            self.query_one("#check-summary", Static).update(
                Content.assemble(("could not run the checks: ", "bold $error"), error)
            )
            return
        if outcome.status == "cancelled":
            # A cancelled check proves nothing: the last real result stays on screen.
            self._show_last_check(prefix="check cancelled; ")
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
        self.refresh_progress()
        if job.trigger == "watch" and outcome.status == "pass" and outcome.task:
            self._celebrate(outcome.task)
        if self.save_pending:  # saved again while that check ran: check the newest bytes
            self.save_pending = False
            self._saved()

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
        status = self.query_one("#run-status", Static)
        if outcome is None:
            status.update(Content.assemble(("could not train: ", "bold $error"), error))
            return
        bar = self.query_one("#run-progress", ProgressBar)
        if outcome.status == "ok" and bar.total:
            bar.update(progress=bar.total)
        if bar.total is None:  # no step count or budget was reported: show it as complete
            bar.update(total=1, progress=1 if outcome.status == "ok" else 0)
        why = failure_summary(outcome.message) if outcome.status != "ok" else ""
        status.update(
            Content.assemble(
                ("run ", "bold"),
                (str(outcome.status), "bold"),
                f" in {outcome.duration_s:.0f}s",
                f" — {why}" if why else "",
                ("\nthe full output is in the log below" if why else "", "$text-muted"),
            )
        )
        self._show_last_run()

    # --- keys -----------------------------------------------------------------------------

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

    def action_hint(self) -> None:
        """Reveal the next hint of the current task (nudge, pointer, page section), recorded
        for mentors like `harness hint`."""
        from harness.learning.hints import LEVELS, HintsError, reveal

        task = self.current_task()
        if task is None:
            self.app.notify("every task passes: no hint needed", title="hint")
            return
        try:
            shown = reveal(self.app.store, self.app.learner, self.lab, task)
        except HintsError as exc:
            self.app.notify(str(exc), title="hint", severity="error")
            return
        last = shown[-1]
        more = "" if last["level"] == len(LEVELS) else "  (h again for the next)"
        self.app.notify(
            f"{last['text']}{more}",
            title=f"hint {last['level']}/{len(LEVELS)} for {task} ({last['kind']})",
            timeout=20,
            markup=False,
        )

    def action_edit(self) -> None:
        """Open the learner's file in $VISUAL or $EDITOR, the app suspended meanwhile."""
        path = self.learner_file()
        if path is None or not path.is_file():
            self.app.notify(f"there is no file to edit yet ({path})", severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.app.notify(
                f"set $VISUAL or $EDITOR to edit from here; your file is {path}",
                title="edit",
                severity="warning",
                timeout=10,
            )
            return
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
        except Exception as exc:  # SuspendNotSupported, a missing editor: say so, go on
            self.app.notify(
                f"could not open {editor}: {exc}; your file is {path}", severity="error"
            )
            return
        self.app.refresh()
