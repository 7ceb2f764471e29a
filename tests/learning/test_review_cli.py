"""`harness review`, `harness review mastery` and `harness review mark` through the real entry
point, on a temporary database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.learning import review
from harness.learning.quiz import load_bank
from harness.paths import QUIZZES_DIR
from harness.store import CheckResult, Store

BANK = load_bank(QUIZZES_DIR / "X2.yaml")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    monkeypatch.setenv("HARNESS_DB", str(path))
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.delenv("HARNESS_LEARNER", raising=False)
    store = Store(path)
    store.add_learner("ana")
    store.record_check_run(
        learner="ana",
        lab_id="lab-02",
        impl="learner",
        task=None,
        status="fail",
        results=[CheckResult("test_frames", "frames", "fail")],
        started_at=(datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
    )
    return path


def _run(args, text=""):
    return CliRunner().invoke(main, args, input=text, catch_exceptions=False)


def test_a_failed_task_is_reviewed_from_the_cli(db, monkeypatch):
    asked = []
    real_answer = review.answer

    def spy(store, learner, item, raw, **kw):
        asked.append(item)
        return real_answer(store, learner, item, raw, **kw)

    monkeypatch.setattr(review, "answer", spy)
    result = _run(["review"], "\nnot a number\n0\n")
    assert result.exit_code == 0, result.output
    assert "1 review ready" in result.output
    assert "harness check lab-02 --task frames" in result.output
    assert asked and asked[0].presented.question.outcome == "whisper"
    assert "0/1 right" in result.output or "1/1 right" in result.output
    log = Store(db).review_log("ana")
    assert [r["source"] for r in log][-1] == "review"


def test_nothing_due_is_said_gently(db):
    _run(["review"], "0\n")
    result = _run(["review"])
    assert result.exit_code == 0
    assert "Review for ana: nothing to review now; next review in" in result.output


def test_mastery_lists_every_outcome(db):
    result = _run(["review", "mastery"])
    assert result.exit_code == 0, result.output
    for outcome in BANK.outcomes:
        assert outcome in result.output
    assert "task 0/1" in result.output and "reread: lab-02 § Task `frames`" in result.output


def test_a_mentor_marks_a_reflection_and_clears_it(db):
    Store(db).save_reflection("ana", "fusion", "late fusion " * 50)
    result = _run(["review", "mark", "ana", "fusion", "--text", "say when each wins"])
    assert result.exit_code == 0 and "needs work" in result.output
    status = _run(["status"]).output
    assert "say when each wins" in status
    assert _run(["review", "mark", "ana", "fusion", "--ok"]).exit_code == 0
    refused = CliRunner().invoke(main, ["review", "mark", "ana", "nope", "--text", "x"])
    assert refused.exit_code != 0 and "unknown reflection 'nope'" in refused.output
