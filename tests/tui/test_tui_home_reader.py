"""Home and reader, driven headless with Pilot."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, ProgressBar, Static

from harness.tui.screens.home import HomeScreen
from harness.tui.screens.reader import ReaderScreen

from .conftest import LEARNER

pytestmark = pytest.mark.anyio


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_home_shows_read_order_progress_dod_and_next_step(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        options = app.screen.query_one("#read-order", OptionList)
        assert options.option_count == len(app.chapter.items)
        first = str(options.get_option_at_index(0).prompt)
        second = str(options.get_option_at_index(1).prompt)
        assert first.startswith("○ theory-00") and second.startswith("⊘ theory-01")
        assert "/read theory-00" in text(app, "#next-step")
        assert "quiz X2 ≥ 80% — not attempted" in text(app, "#dod")
        assert app.screen.query_one("#chapter-progress", ProgressBar).percentage == 0
        assert not app.screen.query_one("#feedback").display


async def test_locked_items_say_why(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("down")  # theory-01, locked behind theory-00
        assert "theory-01 opens when theory-00 is done" in text(app, "#item-detail")


async def test_mentor_feedback_is_shown(make, store):
    store.add_feedback(LEARNER, "mo", "lab-00", "Nice patchify; now vectorise the loss.")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        feedback = app.screen.query_one("#feedback")
        assert feedback.display
        assert "mo on lab-00: Nice patchify" in text(app, "#feedback")


async def test_reading_a_page_records_opened_then_completed_and_unlocks(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")  # theory-00
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        kinds = [e["kind"] for e in store.events(LEARNER)]
        assert kinds[-1] == "page.opened"
        assert "theory-00" not in store.completed_pages(LEARNER)
        await pilot.press("f")
        await pilot.pause()
        assert "theory-00" in store.completed_pages(LEARNER)
        assert "Read" in text(app, "#page-banner")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        second = str(app.screen.query_one("#read-order", OptionList).get_option_at_index(1).prompt)
        assert second.startswith("○ theory-01")
        assert "/read theory-01" in text(app, "#next-step")
        assert app.screen.query_one("#chapter-progress", ProgressBar).progress == 1


async def test_a_locked_page_opens_but_cannot_be_finished(make, store):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read theory-03")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert "Locked: finish theory-02 first" in text(app, "#page-banner")
        await pilot.press("f")
        await pilot.pause()
        assert "theory-03" not in store.completed_pages(LEARNER)


async def test_the_reader_renders_markdown_with_a_table_of_contents(make):
    from textual.widgets import MarkdownViewer

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        viewer = app.screen.query_one(MarkdownViewer)
        assert viewer.show_table_of_contents
        headings = [title for _, title, _ in viewer.document.table_of_contents]
        assert headings == ["A fixture page", "Patches", "Attention", "Summary"]
        await pilot.press("t")
        assert not viewer.show_table_of_contents


async def test_next_step_key_follows_the_read_order(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.item.id == "theory-00"


async def test_a_lab_page_leads_to_the_lab_screen(make, store):
    from harness.tui.screens.lab import LabScreen

    for page in ("theory-00", "theory-01"):
        store.record_page(LEARNER, page, "completed")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read lab-00")
        await pilot.pause()
        assert "lab-00 is done when its checks pass" in text(app, "#page-banner")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        assert app.screen.lab.id == "lab-00"


async def test_home_works_at_80x24(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#read-order-pane")
        assert pane.region.width == 80  # stacked above the status pane, not squeezed beside
        assert app.screen.query_one("#status-pane").region.height >= 4
        assert app.screen.query_one("#command-bar").region.y == 22
        await pilot.press("enter", "f", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


# --- reader: narrow terminals, next page, languages, sections (issues 15 and 17) -------------


async def test_the_reader_hides_its_contents_below_100_columns(make):
    from textual.widgets import MarkdownViewer

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        viewer = app.screen.query_one(MarkdownViewer)
        assert not viewer.show_table_of_contents
        assert viewer.document.region.width >= 70  # the page, not the sidebar, gets the width
        await pilot.press("t")  # asked for: shown, and kept to part of the screen
        await pilot.pause()
        assert viewer.show_table_of_contents
        assert viewer.table_of_contents.region.width <= 36
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert viewer.show_table_of_contents  # the learner's choice outlives a resize


async def test_the_reader_shows_its_contents_again_when_widened(make):
    from textual.widgets import MarkdownViewer

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.screen.query_one(MarkdownViewer).show_table_of_contents


async def test_finish_then_next_opens_the_next_page_of_the_read_order(make, store):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        await pilot.press("f", "n")
        await pilot.pause()
        assert "theory-00" in store.completed_pages(LEARNER)
        assert isinstance(app.screen, ReaderScreen) and app.screen.item.id == "theory-01"
        reader_bindings = ReaderScreen.BINDINGS
        assert all(b.description for b in reader_bindings)
        assert {"f", "n", "e", "s", "t"} <= {b.key for b in reader_bindings}


async def test_next_on_the_last_page_says_so(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read lab-02")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.item.id == "lab-02"
        assert any("last page" in n.message for n in app._notifications)


async def _until(pilot, condition, tries: int = 50) -> None:
    """Let the app work until `condition()` holds (Markdown lays out asynchronously)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.1)


def _shown(app) -> str:
    from textual.widgets import MarkdownViewer

    return app.screen.query_one(MarkdownViewer).document.source


async def test_the_language_toggle_shows_the_resumen_and_the_other_summary_on_request(make):
    from harness.chapter import load_chapter

    app = make(chapter=load_chapter())
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read theory-02")
        await pilot.pause()
        english = _shown(app)
        assert "## Summary" in english and "## Resumen" not in english
        assert app.screen.sub_title.endswith("· English")
        await pilot.press("s")  # the Spanish summary, on request
        await pilot.pause()
        assert "## Resumen" in _shown(app)
        await pilot.press("e")
        await pilot.pause()
        spanish = _shown(app)
        assert "## Resumen" in spanish and "## Summary" not in spanish
        assert "## Windows, hops and frames" not in spanish
        assert "Curso bilingüe" in spanish and app.screen.sub_title.endswith("· Español")
        await pilot.press("s")  # the English summary, on request
        await pilot.pause()
        assert "## Summary" in _shown(app) and "## Resumen" in _shown(app)
        await pilot.press("n")  # the next page keeps the language
        await pilot.pause()
        assert app.screen.item.id == "theory-03" and app.screen.language == "es"
        await pilot.press("e")
        await pilot.pause()
        assert "## Cross-attention" in _shown(app)


async def test_a_page_without_a_resumen_says_so_in_spanish(make):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/read theory-00")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert "no tiene resumen en español" in _shown(app)


async def test_the_reader_opens_a_page_at_a_section(make):
    from textual.widgets import MarkdownViewer

    from harness.chapter import load_chapter

    chapter = load_chapter()
    app = make(chapter=chapter)
    async with app.run_test(size=(120, 40)) as pilot:
        app.show(ReaderScreen(chapter.item("theory-02"), section="Windows, hops and frames"))
        await pilot.pause()
        viewer = app.screen.query_one(MarkdownViewer)
        await _until(pilot, lambda: viewer.scroll_y > 0)
        heading = next(
            viewer.document.query_one(f"#{block}")
            for _, title, block in viewer.document.table_of_contents
            if title == "Windows, hops and frames"
        )
        assert viewer.scroll_y > 0
        assert heading.region.y - viewer.region.y <= 2  # the heading is at the top
        app.show(ReaderScreen(chapter.item("theory-02"), section="resumen"))  # a slug
        await pilot.pause()
        await _until(pilot, lambda: "## Resumen" in _shown(app))
        assert app.screen.language == "es" and "## Resumen" in _shown(app)


async def test_going_to_an_unknown_section_warns_and_stays_at_the_top(make):
    from textual.widgets import MarkdownViewer

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show(ReaderScreen(app.chapter.item("theory-00"), section="No such heading"))
        await pilot.pause()

        def warned() -> bool:
            return any("no section 'No such heading'" in n.message for n in app._notifications)

        await _until(pilot, warned)
        assert warned() and app.screen.query_one(MarkdownViewer).scroll_y == 0
