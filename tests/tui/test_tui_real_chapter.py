"""The real chapter (labs/x2_multimodal/chapter.yaml, its pages and quiz bank) in the TUI:
every read-order page opens in the reader, every lab opens its screen and the quiz starts."""

from __future__ import annotations

import pytest
from textual.widgets import MarkdownViewer

from harness.chapter import load_chapter
from harness.store import Store
from harness.tui.app import make_app
from harness.tui.screens.lab import LabScreen
from harness.tui.screens.quiz import QuizScreen
from harness.tui.screens.reader import ReaderScreen

pytestmark = pytest.mark.anyio


async def test_every_page_and_lab_of_the_real_chapter_opens(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path))
    chapter = load_chapter()
    store = Store.memory()
    store.add_learner("ana")
    app = make_app(store=store, chapter=chapter, learner="ana", learners_root=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        for item in chapter.items:
            app.run_command_line(f"/read {item.id}")
            await pilot.pause()
            assert isinstance(app.screen, ReaderScreen) and app.screen.item == item
            assert app.screen.query_one(MarkdownViewer).document.source.strip()
        for lab in chapter.labs:
            app.run_command_line(f"/lab {lab.id}")
            await pilot.pause()
            assert isinstance(app.screen, LabScreen) and app.screen.lab == lab
        app.run_command_line(f"/quiz {chapter.quiz_id}")  # the real bank loads and draws
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen) and app.screen.attempt is not None
        assert len(app.screen.attempt.questions) > 0
        assert {e["item_id"] for e in store.db.query("SELECT item_id FROM page_events")} == {
            item.id for item in chapter.items
        }
