"""What every content screen shares: header, command line, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header

from harness.tui.commands import completions
from harness.tui.widgets.command_bar import CommandBar
from harness.tui.widgets.footer import KeyBar
from harness.tui.widgets.job_status import JobStatus


class HarnessScreen(Screen):
    """A screen whose body comes from `compose_body`, framed like every other screen: a
    background check or run shows on its status line whatever the screen."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_body()
        yield JobStatus(id="job-status")
        yield CommandBar(completions(self.app.chapter))  # type: ignore[attr-defined]
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()
