"""Reflections: the chapter's Definition of Done prompts, each in a TextArea, autosaved
(debounced) as a new version in the store and written to the learner's reflections.md."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Label, Static, TextArea

from harness.chapter import Chapter
from harness.learners import chapter_dir
from harness.paths import learners_dir
from harness.tui.screens.base import HarnessScreen


def reflections_markdown(chapter: Chapter, texts: dict[str, str]) -> str:
    """The learner's reflections file: one section per prompt, in the chapter's order."""
    parts = [f"# Reflections — {chapter.id} {chapter.title}\n"]
    for prompt in chapter.reflections:
        body = texts.get(prompt.id, "").strip() or "_(not written yet)_"
        parts.append(f"## {prompt.id}\n\n> {prompt.text}\n\n{body}\n")
    return "\n".join(parts)


class ReflectionsScreen(HarnessScreen):
    BINDINGS = [Binding("ctrl+s", "save_now", "Save now")]

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, str] = {}
        self.timer: Timer | None = None
        self.saved: dict[str, str] = {}  # the stored text, to ignore no-op changes

    def compose_body(self) -> ComposeResult:
        chapter = self.app.chapter
        texts = self.app.store.reflections(self.app.learner) if self.app.learner else {}
        self.saved = dict(texts)
        with VerticalScroll(id="reflections"):
            yield Static(id="reflections-file")
            for i, prompt in enumerate(chapter.reflections, 1):
                yield Label(f"{i}. {prompt.text}", classes="prompt")
                yield TextArea(
                    texts.get(prompt.id, ""),
                    id=f"text-{prompt.id}",
                    classes="reflection",
                    soft_wrap=True,
                    show_line_numbers=False,
                )
                yield Static(self._describe(prompt.id), id=f"saved-{prompt.id}", classes="saved")

    def _describe(self, prompt_id: str) -> str:
        if self.app.learner is None:
            return "no learner chosen"
        versions = self.app.store.reflection_versions(self.app.learner, prompt_id)
        if not versions:
            return "not written yet · saves itself as you type"
        words = len(versions[-1]["text"].split())
        return f"saved · version {versions[-1]['version']} · {words} words"

    def file_path(self) -> Path | None:
        if self.app.learner is None:
            return None
        return (
            chapter_dir(self.app.learner, self.app.chapter, self.app.learners_root)
            / self.app.chapter.reflections_file
        )

    def _shown(self, path: Path) -> str:
        """The path relative to the learners folder's parent (the repo, normally)."""
        root = self.app.learners_root or learners_dir()
        try:
            return str(path.relative_to(root.parent))
        except ValueError:
            return str(path)

    def on_mount(self) -> None:
        self.sub_title = "Reflections"
        path = self.file_path()
        self.query_one("#reflections-file", Static).update(
            f"Saved as you type, to {self._shown(path)}"
            if path
            else "Pick a learner first (ctrl+l)."
        )
        self.query(TextArea).first().focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if not event.text_area.id:
            return
        prompt_id = event.text_area.id.removeprefix("text-")
        if event.text_area.text == self.saved.get(prompt_id, "") and prompt_id not in self.pending:
            return
        self.pending[prompt_id] = event.text_area.text
        self.query_one(f"#saved-{prompt_id}", Static).update("editing…")
        if self.timer is not None:
            self.timer.stop()
        self.timer = self.set_timer(self.app.autosave_delay, self.save_pending)

    def save_pending(self, *, show: bool = True) -> None:
        """Save every changed prompt as a new version and rewrite reflections.md."""
        learner = self.app.learner
        if learner is None or not self.pending:
            return
        pending, self.pending = self.pending, {}
        for prompt_id, text in pending.items():
            self.app.store.save_reflection(learner, prompt_id, text)
            self.saved[prompt_id] = text
            if show:
                self.query_one(f"#saved-{prompt_id}", Static).update(self._describe(prompt_id))
        path = self.file_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                reflections_markdown(self.app.chapter, self.app.store.reflections(learner)),
                encoding="utf-8",
            )
        except OSError as exc:
            self.app.notify(
                f"saved in the database, but {path} could not be written: {exc}", severity="error"
            )

    def action_save_now(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.save_pending()
        self.app.notify("reflections saved", title="reflections")

    def on_unmount(self) -> None:
        self.save_pending(show=False)  # the widgets are gone; the text is in `pending`
