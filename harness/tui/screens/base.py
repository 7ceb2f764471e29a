"""What every content screen shares: header, command line, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from harness.tui.widgets.command_bar import CommandBar


class HarnessScreen(Screen):
    """A screen whose body comes from `compose_body`, framed like every other screen."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_body()
        yield CommandBar()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()
