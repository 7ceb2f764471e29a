"""One line on every screen while a check or training run goes on in the background."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static


class JobStatus(Static):
    """`⟳ lab-00 check (task patchify) · 3/12 · test_patch_values · 14s   /lab lab-00`.

    Hidden while nothing runs; follows the app's JobRunner, and ticks once a second so the
    elapsed time moves between events."""

    DEFAULT_CSS = """
    JobStatus {
        height: 1;
        padding: 0 1;
        background: $accent 25%;
        display: none;
    }
    JobStatus.-running {
        display: block;
    }
    """

    def on_mount(self) -> None:
        jobs = getattr(self.app, "jobs", None)
        if jobs is None:
            return
        jobs.listen(self._on_job)
        self.set_interval(1.0, self._tick)
        self._show()

    def on_unmount(self) -> None:
        jobs = getattr(self.app, "jobs", None)
        if jobs is not None:
            jobs.forget(self._on_job)

    def _on_job(self, job: Any, event: str, payload: Any) -> None:
        self._show()

    def _tick(self) -> None:
        if self.has_class("-running"):
            self._show()

    def _show(self) -> None:
        job = self.app.jobs.current
        self.set_class(job is not None, "-running")
        if job is None:
            self.update("")
            return
        self.update(
            Content.assemble(
                ("⟳ ", "bold"),
                (job.what(), "bold"),
                f" · {job.progress_text()}",
                (f"   /lab {job.lab_id} to follow · x there cancels", "$text-muted"),
            )
        )
