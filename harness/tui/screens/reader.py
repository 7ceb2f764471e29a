"""Reader: a page as Markdown with its table of contents. Opening records 'opened';
finishing (f) records 'completed' and says what it unlocked. Locked pages say why.

The course is bilingual: each page is English and ends with `## Summary` and a Spanish
`## Resumen`. `e` switches the page between English (the page without the Resumen) and Español
(the Resumen); `s` adds the other language's summary. `n` opens the next page of the read order
in the same language. Below 100 columns the contents sidebar starts hidden (`t` shows it).

Other screens open a page at a section with `ReaderScreen(item, section=...)`, where `section`
is a `##` heading as the page writes it ("Windows, hops and frames", what a quiz item's
`section.heading` holds) or its anchor slug ("windows-hops-and-frames").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Resize
from textual.widgets import Button, MarkdownViewer, Static

from harness.chapter import Item
from harness.progress import DONE, LOCKED, UNLOCKED, ItemState, compute_status
from harness.tui.screens.base import HarnessScreen

ENGLISH, SPANISH = "en", "es"
LANGUAGE_NAMES = {ENGLISH: "English", SPANISH: "Español"}
SUMMARY, RESUMEN = "Summary", "Resumen"
NARROW_BELOW = 100  # columns: below this the contents sidebar would squeeze the page


# --- the page text (no screen code) ----------------------------------------------------------


@dataclass(frozen=True)
class PageText:
    """A page cut at its `##` headings: the preamble (title, bilingual header, introduction)
    and each section as written, heading line included."""

    preamble: str
    sections: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> PageText:
        chunks: list[tuple[str, list[str]]] = [("", [])]
        fenced = False
        for line in text.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if not fenced and line.startswith("## "):
                chunks.append((line[3:].strip(), []))
            chunks[-1][1].append(line)
        preamble = "\n".join(chunks[0][1]).strip("\n")
        return cls(preamble, tuple((h, "\n".join(body).strip("\n")) for h, body in chunks[1:]))

    def section(self, heading: str) -> str | None:
        return next((body for h, body in self.sections if h == heading), None)

    @property
    def title_and_header(self) -> str:
        """The `#` title and the block quote that follows it (the bilingual note)."""
        lines = self.preamble.splitlines()
        kept = lines[:1]
        for line in lines[1:]:
            if line.startswith(">") or (not line.strip() and len(kept) == 1):
                kept.append(line)
            else:
                break
        return "\n".join(kept).rstrip()

    def render(self, language: str, *, other_summary: bool = False) -> str:
        """The Markdown to show: the chosen language's text, plus the other's summary."""
        resumen, summary = self.section(RESUMEN), self.section(SUMMARY)
        if language == SPANISH and resumen is not None:
            parts = [self.title_and_header, resumen]
            if other_summary and summary is not None:
                parts.append(summary)
            parts.append("*El texto completo de la página está en inglés: pulsa `e` para leerlo.*")
            return "\n\n".join(parts) + "\n"
        parts = [self.preamble] if self.preamble else []
        if language == SPANISH:  # no Resumen yet: say so, and show the English page
            parts.append("*Esta página aún no tiene resumen en español.*")
        parts += [body for h, body in self.sections if h != RESUMEN]
        if other_summary and resumen is not None and language == ENGLISH:
            parts.append(resumen)
        return "\n\n".join(parts) + "\n"

    def language_of(self, heading: str) -> str:
        """The language whose view shows this heading."""
        return SPANISH if heading == RESUMEN and self.section(RESUMEN) is not None else ENGLISH


def slug(heading: str) -> str:
    """A GitHub-style anchor: 'Windows, hops and frames' -> 'windows-hops-and-frames'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


# --- the screen ------------------------------------------------------------------------------


class ReaderScreen(HarnessScreen):
    BINDINGS = [
        Binding("f", "finish", "Finish page"),
        Binding("n", "next_page", "Next page"),
        Binding("e", "toggle_language", "English/Español"),
        Binding("s", "other_summary", "Other language's summary", show=False),
        Binding("t", "toggle_toc", "Contents"),
        Binding("l", "open_lab", "Open lab", show=False),
    ]

    def __init__(self, item: Item, *, section: str | None = None, language: str = ENGLISH):
        super().__init__()
        self.item = item
        try:
            text = item.path.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"# {item.title}\n\nThis page cannot be read: {exc}"
        self.page = PageText.parse(text)
        self.section = section
        self.language = language if language in LANGUAGE_NAMES else ENGLISH
        if section is not None:
            heading = self._heading_for(section)
            if heading is not None:
                self.language = self.page.language_of(heading)
        self.other_summary = False
        self._toc_chosen = False  # once the learner presses t, the width stops deciding
        self._pending: str | None = section

    # --- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="page-banner")
        yield MarkdownViewer(
            self.page.render(self.language),
            show_table_of_contents=True,
            open_links=False,
            id="page",
        )
        with Horizontal(id="page-actions"):
            yield Button("Finish page (f)", id="finish", variant="primary", compact=True)
            yield Button("Next page (n)", id="next-page", compact=True)
            yield Button(self._language_label(), id="language", compact=True, classes="-optional")
            summary = Button(self._summary_label(), id="summary", compact=True, classes="-optional")
            summary.set_class(not self._other_summary_exists(), "-absent")
            yield summary
            if self.item.kind == "lab":
                yield Button("Open lab: checks and runs (l)", id="open-lab", compact=True)

    def _other_summary_exists(self) -> bool:
        return self.page.section(RESUMEN if self.language == ENGLISH else SUMMARY) is not None

    def _language_label(self) -> str:
        return "Español (e)" if self.language == ENGLISH else "English (e)"

    def _summary_label(self) -> str:
        if self.language == ENGLISH:
            return "Hide resumen (s)" if self.other_summary else "Resumen (s)"
        return "Hide summary (s)" if self.other_summary else "Summary (s)"

    def _state(self) -> ItemState | None:
        if self.app.learner is None:
            return None
        status = compute_status(self.app.store, self.app.chapter, self.app.learner)
        return next(s for s in status.items if s.item.id == self.item.id)

    def on_mount(self) -> None:
        self._set_subtitle()
        if self.app.learner is not None:
            self.app.store.record_page(self.app.learner, self.item.id, "opened")
        self._show_state()
        viewer = self.query_one("#page", MarkdownViewer)
        viewer.show_table_of_contents = self.app.size.width >= NARROW_BELOW
        self.watch(viewer.table_of_contents, "table_of_contents", self._contents_ready, init=False)
        if viewer.table_of_contents.table_of_contents:  # the document was already laid out
            self._contents_ready(None)
        viewer.document.focus()

    def on_resize(self, event: Resize) -> None:
        if not self._toc_chosen:
            viewer = self.query_one("#page", MarkdownViewer)
            viewer.show_table_of_contents = event.size.width >= NARROW_BELOW

    def _set_subtitle(self) -> None:
        self.sub_title = f"{self.item.id} — {self.item.title} · {LANGUAGE_NAMES[self.language]}"

    # --- sections ---------------------------------------------------------------------------

    def _heading_for(self, section: str) -> str | None:
        for heading, _ in self.page.sections:
            if section in (heading, slug(heading)):
                return heading
        return None

    def _contents_ready(self, _contents: object) -> None:
        if self._pending is not None:
            self.call_after_refresh(self._scroll_to_pending)

    def _scroll_to_pending(self) -> None:
        wanted, self._pending = self._pending, None
        heading = self._heading_for(wanted) if wanted else None
        if heading is None:
            if wanted:
                self.app.notify(f"{self.item.id} has no section '{wanted}'", severity="warning")
            return
        viewer = self.query_one("#page", MarkdownViewer)
        for _, title, block_id in viewer.document.table_of_contents:
            if title == heading:
                viewer.scroll_to_widget(
                    viewer.document.query_one(f"#{block_id}"), top=True, animate=False
                )
                return

    def go_to_section(self, section: str) -> None:
        """Scroll to a `##` section (heading or slug), switching language if it needs to."""
        heading = self._heading_for(section)
        if heading is not None and self.page.language_of(heading) != self.language:
            self._pending = section
            self._switch(self.page.language_of(heading))
            return
        self._pending = section
        self._scroll_to_pending()

    # --- actions ----------------------------------------------------------------------------

    def _switch(self, language: str, *, other_summary: bool | None = None) -> None:
        self.language = language
        if other_summary is not None:
            self.other_summary = other_summary
        self.query_one("#language", Button).label = self._language_label()
        summary = self.query_one("#summary", Button)
        summary.label = self._summary_label()
        summary.set_class(not self._other_summary_exists(), "-absent")
        self._set_subtitle()
        viewer = self.query_one("#page", MarkdownViewer)
        viewer.document.update(self.page.render(language, other_summary=self.other_summary))
        if self._pending is None:
            viewer.scroll_home(animate=False)

    def action_toggle_language(self) -> None:
        self._switch(SPANISH if self.language == ENGLISH else ENGLISH, other_summary=False)

    def action_other_summary(self) -> None:
        if not self._other_summary_exists():
            other = "a Resumen" if self.language == ENGLISH else "a Summary"
            self.app.notify(f"{self.item.id} has no {other} yet", title="reader")
            return
        self.other_summary = not self.other_summary
        if self.other_summary:
            self._pending = SUMMARY if self.language == SPANISH else RESUMEN
        self._switch(self.language)

    def action_next_page(self) -> None:
        items = list(self.app.chapter.items)
        ids = [i.id for i in items]
        at = ids.index(self.item.id) if self.item.id in ids else len(ids)
        if at + 1 >= len(items):
            self.app.notify(f"{self.item.id} is the last page of the read order", title="reader")
            return
        self.app.show(ReaderScreen(items[at + 1], language=self.language))

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
                Content.assemble(("✓ Read", "bold $success"), " · n: next page")
                if done
                else Content.assemble(
                    ("○ ", "$accent"), "Press f when you have finished this page."
                )
            )
            banner.set_class(False, "-locked")
            finish.disabled = done
            finish.label = "Read" if done else "Finish page (f)"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "finish": self.action_finish,
            "next-page": self.action_next_page,
            "language": self.action_toggle_language,
            "summary": self.action_other_summary,
            "open-lab": self.action_open_lab,
        }
        if event.button.id in actions:
            actions[event.button.id]()

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
        self._toc_chosen = True
        viewer = self.query_one("#page", MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents
