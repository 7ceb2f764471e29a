"""MentorScreen in a minimal App: the cohort table, the details pane, feedback from the keys."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.widgets import DataTable, Input, Static

from harness.tui.screens.mentor import MentorScreen


class MentorOnly(App[None]):
    def __init__(self, store, chapter):
        super().__init__()
        self.store, self.chapter = store, chapter

    def on_mount(self) -> None:
        self.push_screen(MentorScreen(self.store, self.chapter, mentor_name="mia"))


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def test_mentor_screen_shows_the_cohort_and_saves_feedback(store, chapter, tmp_path, busy_learner):
    busy_learner(store, "ana", tmp_path)
    store.add_feedback("ana", "mia", "lab-01", "see [b]this[/b]")  # shown as typed
    store.add_learner("bo")
    asyncio.run(_cohort_and_feedback(MentorOnly(store, chapter), store))


async def _cohort_and_feedback(app: MentorOnly, store) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MentorScreen)
        table = screen.query_one("#cohort", DataTable)
        assert table.row_count == 2
        assert "2 learner(s)" in _text(screen, "#mentor-summary")
        assert "ana" in _text(screen, "#mentor-detail")
        assert "Nice patchify." in _text(screen, "#mentor-detail")
        assert "see [b]this[/b]" in _text(screen, "#mentor-detail")
        assert "[x] lab-00 checks pass" in _text(screen, "#mentor-detail")
        assert "lab-00: 1/5 tasks, next: layernorm" in _text(screen, "#mentor-detail")
        detail = _text(screen, "#mentor-detail")
        assert "lab-00 last check: pass (self-reported, not verified)" in detail  # issue 13
        assert "check.run" in _text(screen, "#mentor-events")

        await pilot.press("down")
        assert screen.selected == "bo"
        assert "learner.added" in _text(screen, "#mentor-events")

        await pilot.press("f")
        assert isinstance(app.focused, Input) and app.focused.id == "feedback-text"
        await pilot.press(*"Start with theory-00.", "enter")
        await pilot.pause()
        saved = store.feedback("bo")
        assert [(f["mentor"], f["target"], f["text"]) for f in saved] == [
            ("mia", "lab-00", "Start with theory-00.")
        ]
        assert screen.selected == "bo"
        assert "Start with theory-00." in _text(screen, "#mentor-detail")


def test_mentor_screen_with_no_learners_says_how_to_add_one(store, chapter):
    asyncio.run(_empty(MentorOnly(store, chapter)))


async def _empty(app: MentorOnly) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        assert "no learners yet" in _text(app.screen, "#mentor-detail")
        await pilot.press("f", *"hello", "enter")  # no learner to save it for: a notice
        await pilot.pause()
        assert app.screen.query_one("#feedback-text", Input).value == "hello"


def test_the_cohort_table_fits_at_80_and_160_columns(store, chapter, tmp_path, busy_learner):
    """Issue 15: the table was cut off at the pane's edge. At 160 columns it sits beside the
    learner's pane, whole; at 80 the pane moves under it and the table takes the full width."""
    busy_learner(store, "bartholomew-long", tmp_path)
    store.add_learner("bo")
    asyncio.run(_fits(MentorOnly(store, chapter)))


async def _fits(app: MentorOnly) -> None:
    for width, height in ((160, 48), (80, 24)):
        async with app.run_test(size=(width, height)) as pilot:
            await pilot.pause()
            screen = app.screen
            table = screen.query_one("#cohort", DataTable)
            pane = screen.query_one("#mentor-detail-pane")
            assert table.virtual_size.width <= table.scrollable_content_region.width, width
            assert table.max_scroll_x == 0
            if width == 80:
                assert screen.has_class("-narrow")
                assert pane.region.y >= table.region.bottom  # below, not beside
                assert table.region.width == width
            else:
                assert pane.region.x >= table.region.right  # beside
            labels = [str(c.label) for c in table.columns.values()]
            assert labels[:3] == ["learner", "read", "DoD"] and labels[-1] == "active"
            assert [str(c) for c in table.get_row("bartholomew-long")][3] == "1/5"  # tasks
        app = MentorOnly(app.store, app.chapter)


def test_a_forged_check_is_flagged_on_the_mentor_screen(store, chapter):
    store.add_learner("cy")
    store.conn.execute(
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
        "started_at, duration_s) VALUES ('cy', 'lab-00', 'learner', NULL, 'pass', 5, 0, "
        "'2026-11-30T10:00:00+00:00', 1)"
    )
    asyncio.run(_flagged(MentorOnly(store, chapter)))


async def _flagged(app: MentorOnly) -> None:
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#cohort", DataTable)
        assert str(table.get_row("cy")[0]) == "⚑ cy"
        detail = _text(screen, "#mentor-detail")
        assert "⚑ self-reported only: lab-00 pass has no event in the log" in detail
