"""Issue 12, part 6: a quiz attempt that counts is drawn by the harness.

The attack: take a short seeded quiz, read the answers in its review, replay the same seed
and answer everything right. The replay is recorded as practice and the Definition of Done's
quiz item stays open; only a full-length attempt with a seed the harness drew meets it.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from quiz_helpers import right_input, wrong_input

from harness.chapter import load_chapter
from harness.cli import main
from harness.learning.quiz import DEFAULT_N, draw
from harness.progress import compute_status
from harness.store import Store


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    monkeypatch.setenv("HARNESS_DB", str(path))
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    Store(path).add_learner("ana")
    return path


def _quiz(args: list[str], lines: list[str]) -> str:
    result = CliRunner().invoke(main, ["quiz", "X2", *args], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def _quiz_item(db) -> tuple[bool, str]:
    status = compute_status(Store(db), load_chapter(), "ana")
    entry = next(e for e in status.dod if e.label.startswith("quiz"))
    return entry.done, entry.detail


def test_replaying_a_seed_after_reading_its_review_is_practice(db, bank):
    drawn = draw(bank, seed=11, n=9)
    review = _quiz(["--seed", "11", "-n", "9"], [wrong_input(p) for p in drawn])
    for p in drawn:  # the review shows every answer: the attack has what it needs
        assert p.question.expected in review
    replay = _quiz(["--seed", "11", "-n", "9"], [right_input(p) for p in drawn])
    assert "Score 9/9 = 100%" in replay and "practice: does not count" in replay
    full = draw(bank, seed=11, n=DEFAULT_N)
    _quiz(["--seed", "11"], [right_input(p) for p in full])  # full length, but seeded
    attempts = Store(db).quiz_attempts("ana", "X2")
    assert [a["practice"] for a in attempts] == [1, 1, 1]
    assert _quiz_item(db) == (False, "not attempted")


def test_a_short_unseeded_quiz_is_practice_too(db, bank, monkeypatch):
    monkeypatch.setattr("harness.cli.quiz.secrets.randbelow", lambda n: 5)
    drawn = draw(bank, seed=5, n=9)
    out = _quiz(["-n", "9"], [right_input(p) for p in drawn])
    assert "Practice" in out and _quiz_item(db)[0] is False


def test_a_full_attempt_drawn_by_the_harness_counts(db, bank, monkeypatch):
    monkeypatch.setattr("harness.cli.quiz.secrets.randbelow", lambda n: 424242)
    drawn = draw(bank, seed=424242, n=DEFAULT_N)
    out = _quiz([], [right_input(p) for p in drawn])
    assert "Practice" not in out and "PASSED" in out
    assert Store(db).quiz_attempts("ana", "X2")[0]["practice"] == 0
    assert _quiz_item(db) == (True, "best 100%")


def test_the_attempt_keeps_the_variant_parameters(db, bank):
    drawn = draw(bank, seed=3, n=DEFAULT_N)
    _quiz(["--seed", "3"], [right_input(p) for p in drawn])
    store = Store(db)
    rows = store.quiz_drawn(store.quiz_attempts("ana", "X2")[0]["id"])
    assert [r["question_id"] for r in rows] == [p.question.id for p in drawn]
    for row, p in zip(rows, drawn, strict=True):
        assert (row["generator"] is None) == (p.params is None)
        if p.params is not None:
            assert row["params"] and row["generator"] == p.question.id
