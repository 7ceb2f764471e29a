"""Checks and training runs that belong to the app, not to a screen.

A job runs in a thread worker owned by the app, so leaving the lab screen (escape, `/read`,
ctrl+l) never stops it; only an explicit cancel does. Screens follow the job through
listeners: the lab screen shows its log, progress and results, and every screen's status
line shows that something is running. One job at a time, as before.

`harness.grading.checks` and `harness.grading.runs` are imported inside the worker: they may
be missing (the job then ends with "not yet available") and must not slow the start.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.wording import HarnessFrames, clean_message

__all__ = ["Job", "JobRunner", "clean_message"]

Listener = Callable[["Job", str, Any], None]


def _unavailable(exc: ImportError, module: str) -> bool:
    """True when `module` itself is missing (not one of its own imports)."""
    return isinstance(exc, ModuleNotFoundError) and exc.name == module


@dataclass
class Job:
    kind: str  # check | run
    lab_id: str
    learner: str | None
    reference: bool = False
    task: str | None = None
    trigger: str = "key"  # key | watch: a watch-mode re-check celebrates a pass
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=5000))
    progress: Any = None  # the last CheckProgress (checks) or progress dict (runs)
    run_events: list[dict] = field(default_factory=list)
    done_tests: int = 0
    outcome: Any = None
    error: str = ""
    finished: bool = False
    frames: HarnessFrames = field(default_factory=HarnessFrames)  # pytest output, minus ours

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def cancelling(self) -> bool:
        return self.cancel.is_set() and not self.finished

    def what(self) -> str:
        """`lab-00 check (task patchify)`, `lab-00 training run (reference)`."""
        noun = "check" if self.kind == "check" else "training run"
        extra = [f"task {self.task}"] if self.task else []
        if self.reference:
            extra.append("reference")
        return f"{self.lab_id} {noun}" + (f" ({', '.join(extra)})" if extra else "")

    def progress_text(self) -> str:
        """`3/12 · test_patch_values · 14s`: where the job is, for status lines."""
        parts = []
        info = self.progress
        if self.kind == "check" and info is not None:
            parts += [f"{info.index}/{info.total}", info.name]
        elif self.kind == "run" and isinstance(info, dict) and "step" in info:
            parts.append(f"step {info['step']}")
        parts.append(f"{self.elapsed_s:.0f}s")
        if self.cancelling:
            parts.append("cancelling…")
        return " · ".join(parts)


class JobRunner:
    """The app's one running job and the listeners that follow it (UI thread only)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.current: Job | None = None
        self.last: Job | None = None
        self.listeners: list[Listener] = []

    @property
    def busy(self) -> bool:
        return self.current is not None

    def listen(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def forget(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _emit(self, job: Job, event: str, payload: Any = None) -> None:
        if event == "line":
            if job.kind == "check" and not job.frames.keep(payload):
                return  # the grader's own traceback frames: noise to a learner
            job.lines.append(payload)
        elif event == "check_progress":
            job.progress = payload
            if payload.status is not None:
                job.done_tests += 1
        elif event == "run_progress":
            job.progress = payload
            job.run_events.append(payload)
        elif event == "finished":
            job.outcome, job.error = payload
            job.finished = True
            if self.current is job:
                self.current = None
            self.last = job
        for listener in list(self.listeners):
            listener(job, event, payload)

    def _post(self, job: Job, event: str, payload: Any = None) -> None:
        """From the worker thread to the UI thread."""
        try:
            self.app.call_from_thread(self._emit, job, event, payload)
        except RuntimeError:  # the app is shutting down
            pass

    def start(self, job: Job) -> bool:
        if self.current is not None:
            return False
        self.current = job
        work = self._check if job.kind == "check" else self._run
        self.app.run_worker(
            lambda: work(job), thread=True, group="jobs", exit_on_error=False, name=job.what()
        )
        self._emit(job, "started")
        return True

    def cancel(self) -> Job | None:
        job = self.current
        if job is not None:
            job.cancel.set()
            self._emit(job, "cancelling")
        return job

    # --- workers (threads) -----------------------------------------------------------------

    def _check(self, job: Job) -> None:
        try:
            from harness.grading.checks import run_checks
        except ImportError as exc:
            why = "not yet available" if _unavailable(exc, "harness.grading.checks") else str(exc)
            self._post(job, "finished", (None, f"the checks runner is {why}"))
            return
        extra: dict[str, Any] = {}
        if "on_progress" in inspect.signature(run_checks).parameters:
            extra["on_progress"] = lambda event: self._post(job, "check_progress", event)
        try:
            graded = None
            if job.learner and not job.reference:  # what is graded, for a mentor's regrade
                from harness.cohort.snapshots import capture
                from harness.grading.checks import target_dir

                graded = capture(target_dir(self.app.chapter, job.lab_id, job.learner, False))
            outcome = run_checks(
                self.app.chapter,
                job.lab_id,
                learner=job.learner,
                reference=job.reference,
                task=job.task,
                store=self.app.store,
                on_output=lambda line: self._post(job, "line", line.rstrip("\n")),
                cancel=job.cancel,
                **extra,
            )
            if graded and outcome.run_id is not None:
                from harness.cohort.snapshots import record

                record(self.app.store, outcome.run_id, graded)
        except Exception as exc:  # shown, never a crash: the learner can fix and retry
            self._post(job, "finished", (None, f"{type(exc).__name__}: {exc}"))
            return
        self._post(job, "finished", (outcome, ""))

    def _run(self, job: Job) -> None:
        try:
            from harness.grading.runs import run_lab
        except ImportError as exc:
            why = "not yet available" if _unavailable(exc, "harness.grading.runs") else str(exc)
            self._post(job, "finished", (None, f"training runs are {why}"))
            return
        try:
            outcome = run_lab(
                self.app.chapter,
                job.lab_id,
                learner=job.learner,
                reference=job.reference,
                seed=0,
                store=self.app.store,
                on_progress=lambda d: self._post(job, "run_progress", dict(d)),
                on_output=lambda line: self._post(job, "line", line.rstrip("\n")),
                cancel=job.cancel,
            )
        except Exception as exc:  # shown, never a crash
            self._post(job, "finished", (None, f"{type(exc).__name__}: {exc}"))
            return
        self._post(job, "finished", (outcome, ""))
