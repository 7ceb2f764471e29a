"""The command line at the foot of every screen: `/quiz X2`, `/check lab-00`, `/help`."""

from __future__ import annotations

from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input


class CommandBar(Input):
    """An Input that hands its line to the app's `run_command_line` on Enter."""

    DEFAULT_CSS = """
    CommandBar {
        height: 1;
        margin: 0;
        background: $boost;
    }
    CommandBar:focus {
        background: $primary 30%;
    }
    """

    BINDINGS = [Binding("escape", "leave", "Leave the command line")]

    def __init__(self, completions: list[str] | None = None) -> None:
        """`completions`: whole command lines to offer as the learner types (right arrow
        takes the one shown)."""
        super().__init__(
            placeholder="/ for a command: /next  /read theory-01  /check lab-00  /quiz X2  /help",
            id="command-bar",
            compact=True,
            select_on_focus=False,
            suggester=SuggestFromList(completions, case_sensitive=False) if completions else None,
        )

    def open(self) -> None:
        """Focus the line, starting it with '/' if it is empty."""
        if not self.value:
            self.value = "/"
        self.cursor_position = len(self.value)
        self.focus()

    def action_leave(self) -> None:
        self.value = ""
        self.screen.set_focus(None)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        self.value = ""
        # Leave the line before running it: a screen it opens would otherwise hand the focus
        # back to the line on return, and the next key ('r', 'q') would be typed, not obeyed.
        self.screen.set_focus(None)
        if line and line != "/":
            self.app.run_command_line(line)  # type: ignore[attr-defined]
