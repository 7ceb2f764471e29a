"""Reader: a page as Markdown with its table of contents. Opening records 'opened';
finishing (f) records 'completed' and says what it unlocked. Locked pages say why."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, MarkdownViewer, Static

from harness.chapter import Item
from harness.progress import DONE, LOCKED, UNLOCKED, ItemState, compute_status
from harness.tui.screens.base import HarnessScreen


class ReaderScreen(HarnessScreen):
    BINDINGS = [
        Binding("f", "finish", "Finish page"),
        Binding("l", "open_lab", "Open lab", show=False),
        Binding("t", "toggle_toc", "Contents"),
    ]

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item

    def compose_body(self) -> ComposeResult:
        yield Static(id="page-banner")
        try:
            text = self.item.path.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"# {self.item.title}\n\nThis page cannot be read: {exc}"
        yield MarkdownViewer(text, show_table_of_contents=True, open_links=False, id="page")
        with Horizontal(id="page-actions"):
            yield Button("Finish page (f)", id="finish", variant="primary", compact=True)
            if self.item.kind == "lab":
                yield Button("Open lab: checks and runs (l)", id="open-lab", compact=True)

    def _state(self) -> ItemState | None:
        if self.app.learner is None:
            return None
        status = compute_status(self.app.store, self.app.chapter, self.app.learner)
        return next(s for s in status.items if s.item.id == self.item.id)

    def on_mount(self) -> None:
        self.sub_title = f"{self.item.id} — {self.item.title}"
        if self.app.learner is not None:
            self.app.store.record_page(self.app.learner, self.item.id, "opened")
        self._show_state()
        self.query_one("#page", MarkdownViewer).document.focus()

    def _show_state(self) -> None:
        state = self._state()
        banner = self.query_one("#page-banner", Static)
        finish = self.query_one("#finish", Button)
        read = self.item.id in self.app.store.completed_pages(self.app.learner or "")
        if state is not None and state.state == LOCKED:
            banner.update(
                Content.assemble(
                    ("⊘ Locked: ", "bold $warning"),
                    f"finish {', '.join(state.waiting_for)} first. You can read ahead; "
                    "the page is not marked as read.",
                )
            )
            banner.set_class(True, "-locked")
            finish.disabled = True
        elif self.item.kind == "lab":
            done = state is not None and state.state == DONE
            banner.update(
                Content.assemble(
                    ("✓ " if done else "○ ", "$success" if done else "$accent"),
                    f"{self.item.id} is done when its checks pass"
                    + (" — they do." if done else ": press l to open the lab, c there to check."),
                )
            )
            banner.set_class(False, "-locked")
            finish.disabled = read
            finish.label = "Walkthrough read" if read else "Finish page (f)"
        else:
            done = read or (state is not None and state.state == DONE)
            banner.update(
                Content.assemble(("✓ Read", "bold $success"))
                if done
                else Content.assemble(
                    ("○ ", "$accent"), "Press f when you have finished this page."
                )
            )
            banner.set_class(False, "-locked")
            finish.disabled = done
            finish.label = "Read" if done else "Finish page (f)"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "finish":
            self.action_finish()
        elif event.button.id == "open-lab":
            self.action_open_lab()

    def action_finish(self) -> None:
        learner = self.app.require_learner()
        if learner is None:
            return
        before = compute_status(self.app.store, self.app.chapter, learner)
        state = next(s for s in before.items if s.item.id == self.item.id)
        if state.state == LOCKED:
            self.app.notify(
                f"{self.item.id} is locked until {', '.join(state.waiting_for)} is done",
                severity="warning",
            )
            return
        self.app.store.record_page(learner, self.item.id, "completed")
        after = compute_status(self.app.store, self.app.chapter, learner)
        was = {s.item.id: s.state for s in before.items}
        unlocked = [
            s.item.id for s in after.items if s.state == UNLOCKED and was[s.item.id] == LOCKED
        ]
        message = f"marked {self.item.id} as read"
        if unlocked:
            message += "; unlocked " + ", ".join(unlocked)
        self.app.notify(message, title="progress")
        self._show_state()

    def action_open_lab(self) -> None:
        if self.item.kind == "lab":
            self.app.run_command_line(f"/lab {self.item.id}")

    def action_toggle_toc(self) -> None:
        viewer = self.query_one("#page", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents
