"""The TUI's review screen over a real store: a due card, an answer, the mastery summary; and
the quiz summary's per-outcome breakdown."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import Input, Static

from harness.chapter import load_chapter
from harness.store import CheckResult, Store

LEARNER = "ana"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    s = Store.memory()
    s.add_learner(LEARNER)
    return s


def _app(store, **kw):
    from harness.tui.app import make_app

    return make_app(store=store, chapter=load_chapter(), learner=LEARNER, **kw)


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_a_failed_task_is_reviewed_in_the_tui(store):
    from harness.tui.screens.review import ReviewScreen

    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-02",
        impl="learner",
        task=None,
        status="fail",
        results=[CheckResult("test_frames", "frames", "fail")],
        started_at=(datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
    )
    app = _app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/review")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert "1 review ready" in _text(app, "#review-header")
        assert "harness check lab-02 --task frames" in _text(app, "#review-question")
        app.screen.query_one("#review-answer", Input).value = "nonsense?!"
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#review-answer", Input).value = "1"
        await pilot.press("enter")
        await pilot.pause()
        assert "back" in _text(app, "#review-feedback")
        await pilot.press("enter")
        await pilot.pause()
        summary = _text(app, "#review-question")
        assert "Mastery per outcome" in summary and "whisper" in summary
    assert [r["source"] for r in store.review_log(LEARNER)][-1] == "review"


async def test_nothing_due_shows_mastery_at_once(store):
    app = _app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/review")
        await pilot.pause()
        assert "nothing to review" in _text(app, "#review-header")
        assert "no evidence yet" in _text(app, "#review-question")


async def test_the_quiz_summary_breaks_the_score_down_by_outcome(store):
    from harness.learning.quiz import DEFAULT_N

    app = _app(store, quiz_seed=3)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command_line("/quiz X2")
        await pilot.pause()
        for _ in range(DEFAULT_N):
            app.screen.query_one("#quiz-answer", Input).value = "1"
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
        shown = _text(app, "#quiz-question")
        assert "By outcome" in shown and "mastery" in shown and "Review:" in shown
