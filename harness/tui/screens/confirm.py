"""A small question with a few one-key answers: "Stop the training run? y / n"."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[str | None]):
    """Dismisses with the key of the chosen answer, or None on escape."""

    BINDINGS = [Binding("escape", "dismiss_none", "Never mind")]

    def __init__(self, question: str, answers: list[tuple[str, str]], *, title: str = "") -> None:
        super().__init__()
        self.question = question
        self.answers = answers  # (key, what it does)
        self.title_text = title

    def compose(self) -> ComposeResult:
        lines = [Content(self.question), Content("")]
        for key, what in self.answers:
            lines.append(Content.assemble((f"  {key}  ", "bold $accent"), what))
        lines.append(Content.styled("  escape  never mind", "$text-muted"))
        with Vertical(id="confirm-dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(Content("\n").join(lines), id="confirm-text")

    def on_key(self, event: events.Key) -> None:
        for key, _ in self.answers:
            if event.key == key or event.character == key:
                event.stop()
                self.dismiss(key)
                return

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
