"""Watch mode for the lab screen: each save of the learner's file re-checks the current
task; a pass celebrates, picks the next task and shows the task's reference solution beside
the learner's code (the Solution tab). `s` shows it again for any task that passes.

A mixin of LabScreen (screens/lab.py), kept apart so each file holds one job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from textual.content import Content
from textual.widgets import Select, Static, TabbedContent

from harness.tui.widgets.solution_view import SolutionView
from harness.watch import file_changes, next_task_after, task_source

# How watch mode notices saves: watchfiles, else polling every WATCH_POLL_S seconds.
WATCH_WITH_WATCHFILES = True
WATCH_POLL_S = 0.5


class LabWatch:
    """Needs from the screen: lab, app, progress, watching, watch_stop, save_pending,
    celebrated, learner_file(), current_task(), start_check(), _selected_task(), _show_file()
    and query_one()."""

    def set_watching(self, on: bool, *, show: bool = True) -> None:
        if self.watch_stop is not None:
            self.watch_stop.set()
            self.watch_stop = None
        path = self.learner_file()
        self.watching = bool(on and path is not None and path.is_file())
        if self.watching:
            self.watch_stop = threading.Event()
            # Made here, not in the thread: its first fingerprint is the file as shown now.
            changes = file_changes(
                path, self.watch_stop, poll_s=WATCH_POLL_S, use_watchfiles=WATCH_WITH_WATCHFILES
            )
            # A plain daemon thread, not a Textual worker: it lives as long as the screen, and
            # waiting for the app's workers to finish (tests, snapshots) must not wait on it.
            threading.Thread(
                target=self._watch, args=(changes, self.watch_stop), daemon=True
            ).start()
        if show:
            self._show_file()

    def action_toggle_watch(self) -> None:
        self.set_watching(not self.watching)
        self.app.notify(
            "watching your file: each save re-checks the task" if self.watching else "not watching",
            title=self.lab.id,
        )

    def _watch(self, changes: Iterator[Path], stop: threading.Event) -> None:
        for _ in changes:
            if stop.is_set():
                return
            try:
                self.app.call_from_thread(self._saved)
            except RuntimeError:  # the app is shutting down
                return

    def _saved(self) -> None:
        """The learner saved their file: re-check the current task (after the running job)."""
        if not self.watching or not self.is_attached:
            return
        if self.app.jobs.current is not None:
            self.save_pending = True
            return
        task = self.current_task()
        self.start_check(False, task, trigger="watch")

    def _celebrate(self, task_id: str) -> None:
        """A watched task passed: say so, move to the next task, show the solution beside."""
        passing = {t.task.id for t in self.progress.tasks if t.status == "pass"}
        nxt = next_task_after(self.lab, task_id, passing | {task_id})
        select = self.query_one("#task", Select)
        select.value = nxt if nxt is not None else Select.NULL
        then = f"next: task {nxt}" if nxt else "every task passes: check the whole lab (c)"
        self.query_one("#check-summary", Static).update(
            Content.assemble(
                ("✓ task ", "bold $success"),
                (task_id, "bold $success"),
                (" passes!", "bold $success"),
                f"  {then}",
                ("\nits reference solution is beside yours in the Solution tab", "$text-muted"),
            )
        )
        self.app.notify(f"✓ {task_id} passes! {then}", title=self.lab.id)
        self.celebrated = task_id
        self.show_solution(task_id)

    def show_solution(self, task_id: str) -> bool:
        path = self.learner_file()
        try:
            mine = task_source(self.app.chapter, self.lab.id, task_id, reference=False, path=path)
            reference = task_source(self.app.chapter, self.lab.id, task_id, reference=True)
        except (OSError, ValueError, KeyError) as exc:
            self.app.notify(f"no solution view for {task_id}: {exc}", severity="warning")
            return False
        title = self.lab.task(task_id).title
        self.query_one("#solution", SolutionView).show(
            task_id, mine, reference, f"task {task_id} — {title}: yours | the reference"
        )
        self.query_one("#lab-tabs", TabbedContent).active = "solution-tab"
        return True

    def action_solution(self) -> None:
        """`s`: the reference solution of the last task passed here (or the task picked)."""
        task = self._selected_task() or self.celebrated
        if task is None:
            passing = [t.task.id for t in self.progress.tasks if t.status == "pass"]
            task = passing[-1] if passing else None
        if task is None:
            self.app.notify("pass a task first: its solution opens beside yours", title="solution")
            return
        state = self.progress.state(task)
        if state.status != "pass":
            self.app.notify(
                f"task {task} does not pass yet: its solution opens once it does",
                title="solution",
                severity="warning",
            )
            return
        self.show_solution(task)
