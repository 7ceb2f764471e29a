"""Shared fixtures for the quiz tests: the real bank, small hand-made banks, a fresh store."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from quiz_helpers import TINY

from harness.learning.quiz import Bank, load_bank
from harness.paths import QUIZZES_DIR
from harness.store import Store

BANK_PATH = QUIZZES_DIR / "X2.yaml"


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_bank(BANK_PATH)


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    s.add_learner("ana")
    yield s
    s.close()


@pytest.fixture
def write_bank(tmp_path):
    """Write YAML text to a bank file and return its path."""

    def write(text: str, name: str = "T1.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny(write_bank) -> Bank:
    return load_bank(write_bank(TINY))


@pytest.fixture(scope="session")
def tiny_shared(tmp_path_factory) -> Bank:
    """The tiny bank, loaded once (for hypothesis tests, which reject function fixtures)."""
    path = tmp_path_factory.mktemp("bank") / "T1.yaml"
    path.write_text(TINY, encoding="utf-8")
    return load_bank(path)
