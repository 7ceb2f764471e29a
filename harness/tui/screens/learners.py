"""Switch learner: the learners in the store, and a field to add one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from harness.learners import LearnerNameError, validate_name


class LearnersScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="learners-dialog") as dialog:
            dialog.border_title = "Switch learner"
            yield OptionList(id="learner-list")
            yield Label("Add a learner (a-z, 0-9, '_' or '-'):")
            with Horizontal(id="add-row"):
                yield Input(placeholder="name, e.g. ana", id="new-learner")
                yield Button("Add", id="add", variant="primary")
            yield Static(id="learner-error", markup=False)  # errors quote what was typed

    def on_mount(self) -> None:
        names = self.app.store.learners()
        options = self.query_one("#learner-list", OptionList)
        for name in names:
            mark = "● " if name == self.app.learner else "  "
            options.add_option(Option(f"{mark}{name}", id=name))
        if names:
            current = names.index(self.app.learner) if self.app.learner in names else 0
            options.highlighted = current
            options.focus()
        else:
            options.add_option(Option("no learners yet: add one below", disabled=True))
            self.query_one("#new-learner", Input).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._add(event.value.strip())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self._add(self.query_one("#new-learner", Input).value.strip())

    def _add(self, name: str) -> None:
        error = self.query_one("#learner-error", Static)
        try:
            validate_name(name)
            created = self.app.add_learner(name)
        except (LearnerNameError, OSError, ValueError) as exc:
            error.update(str(exc))
            return
        if not created:
            self.app.notify(f"{name} was already there", title="learner")
        self.dismiss(name)

    def action_close(self) -> None:
        self.dismiss(None)
