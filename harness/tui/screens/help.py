"""Help: what the command line accepts and the keys that matter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from harness.tui.commands import VERBS

KEYS = [
    ("/", "open the command line (it offers to complete; right arrow takes the offer)"),
    ("ctrl+p", "command palette: every action, searchable"),
    ("escape", "back to the previous screen"),
    ("ctrl+l", "switch or add a learner"),
    ("n / q / r", "on home: next step, quiz (asks first: it records an attempt), reflections"),
    ("f", "in the reader: finish the page"),
    ("c / R / t / x", "in a lab: check mine, check reference, train, stop (a run asks first)"),
    ("e / w / s", "in a lab: edit your file, watch it (saves re-check), a passed task's solution"),
    ("h", "in a lab: the next hint of the current task (a nudge, a pointer, the page section)"),
    ("escape in a quiz", "keep the attempt for later (/quiz resumes it) or abandon it"),
    ("ctrl+q", "quit (asks first while a check, run or quiz attempt is open)"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        lines = [Content.styled("Commands", "bold")]
        for usage, what in VERBS.values():
            lines.append(Content.assemble((f"  {usage:<34}", "$accent"), what))
        lines.append(Content(""))
        lines.append(Content.styled("Keys", "bold"))
        for key, what in KEYS:
            lines.append(Content.assemble((f"  {key:<34}", "$accent"), what))
        with VerticalScroll(id="help-dialog") as dialog:
            dialog.border_title = "Help"
            dialog.border_subtitle = "escape to close"
            yield Static(Content("\n").join(lines))

    def action_close(self) -> None:
        self.dismiss(None)
