"""Fixtures for the TUI tests: a frozen fixture chapter with its own pages and quiz bank (so
snapshots do not move when the course is written; test_tui_real_chapter.py covers the real
one), an in-memory store with one learner, and a temporary learners folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.chapter import Chapter, load_chapter
from harness.learners import create_folders
from harness.store import Store

FIXTURES = Path(__file__).with_name("fixtures")
LEARNER = "ana"


@pytest.fixture
def chapter() -> Chapter:
    chapter = load_chapter(FIXTURES / "chapter.yaml")
    # the loader resolves `quiz.bank` against the repository root; point it at the fixture
    return dataclasses.replace(chapter, quiz_bank=FIXTURES / "quiz.yaml")


@pytest.fixture
def learners_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "learners"
    monkeypatch.setenv("HARNESS_LEARNERS", str(root))
    return root


@pytest.fixture
def store(chapter, learners_root) -> Store:
    store = Store.memory()
    store.add_learner(LEARNER)
    create_folders(LEARNER, chapter, learners_root)
    return store


@pytest.fixture
def make(store, chapter, learners_root):
    """Build the app the way the CLI does, over the test store and chapter."""
    from harness.tui.app import make_app

    def build(**overrides):
        kwargs = dict(
            store=store,
            chapter=chapter,
            learner=LEARNER,
            learners_root=learners_root,
            quiz_seed=7,
            autosave_delay=0.05,
        )
        kwargs.update(overrides)
        return make_app(**kwargs)

    return build


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio through anyio's pytest plugin (no pytest-asyncio here)."""
    return "asyncio"
