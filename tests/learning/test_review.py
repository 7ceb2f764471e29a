"""The FSRS review queue: a miss is due again, a pass pushes it out, the daily cap holds, a
failed task comes back as a question on its outcome, and reviews never touch the quiz's DoD."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import harness.store as store_module
from harness.chapter import load_chapter
from harness.learning import review
from harness.learning.quiz import AnswerError, Attempt, load_bank
from harness.progress import compute_status
from harness.store import CheckResult, Store

CHAPTER = load_chapter()
BANK = load_bank(CHAPTER.quiz_bank)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def right(p) -> str:
    q = p.question
    if q.kind == "single":
        return str(p.choices.index(q.correct[0]) + 1)
    if q.kind == "multiple":
        return ",".join(str(p.choices.index(c) + 1) for c in q.correct)
    if q.kind == "numeric":
        return repr(q.value)
    return q.accept[0]


def wrong(p) -> str:
    q = p.question
    if q.kind in ("single", "multiple"):
        return str(next(i for i, c in enumerate(p.choices) if c not in q.correct) + 1)
    if q.kind == "numeric":
        return repr(q.value + q.tolerance + 1000)
    return "surely not this"


@pytest.fixture
def store():
    s = Store.memory()
    s.add_learner("ana")
    yield s
    s.close()


def _at(store, when: datetime) -> None:
    """Pin the store's clock: answers and runs are stamped `when` (restored after the test)."""
    stamp = when.isoformat(timespec="microseconds")
    store_module.now = lambda: stamp


@pytest.fixture(autouse=True)
def restore_clock(monkeypatch):
    monkeypatch.setattr(store_module, "now", store_module.now)


def _quiz(store, answers: str, *, when=T0, n=20, seed=1):
    """A finished quiz: 'w' answers wrong, 'r' right, '-' leaves it unanswered."""
    _at(store, when)
    attempt = Attempt.start(store, "ana", BANK, seed=seed, n=n, pass_mark=0.8)
    for p, a in zip(attempt.questions, answers.ljust(n, "r"), strict=True):
        if a != "-":
            attempt.answer(p.position, wrong(p) if a == "w" else right(p))
    attempt.finish()
    return attempt


def _check(store, lab_id, results: dict[str, str], *, when=T0):
    _at(store, when)
    rows = [CheckResult(f"test_{task}", task, status) for task, status in results.items()]
    store.record_check_run(
        learner="ana",
        lab_id=lab_id,
        impl="learner",
        task=None,
        status="fail" if "fail" in results.values() else "pass",
        results=rows,
    )


def _queue(store, when, cap=review.DAILY_CAP):
    return review.queue(store, CHAPTER, BANK, "ana", now=when, cap=cap, seed=7)


def test_a_miss_is_due_again_and_a_pass_pushes_it_out(store):
    attempt = _quiz(store, "w")
    missed = attempt.questions[0].question.id
    assert _queue(store, T0).items == ()  # Again: due after FSRS's first learning step
    q = _queue(store, T0 + timedelta(minutes=2))
    assert [i.card["card"] for i in q.items] == [f"question:{missed}"]
    item = q.items[0]
    after_pass = review.answer(store, "ana", item, right(item.presented), now=q_time(2))
    assert after_pass.correct
    assert _queue(store, T0 + timedelta(minutes=5)).items == ()
    # Each pass at its due time pushes the card further: minutes, then days.
    later = _queue(store, datetime.fromisoformat(after_pass.next_due))
    second = review.answer(
        store, "ana", later.items[0], right(later.items[0].presented), now=after_pass.next_due
    )
    gap = datetime.fromisoformat(second.next_due) - datetime.fromisoformat(after_pass.next_due)
    assert gap >= timedelta(days=1)


def q_time(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_miss_in_review_brings_the_card_back_soon(store):
    _quiz(store, "w")
    item = _queue(store, q_time(2)).items[0]
    result = review.answer(store, "ana", item, wrong(item.presented), now=q_time(2))
    assert not result.correct
    assert datetime.fromisoformat(result.next_due) - q_time(2) <= timedelta(minutes=10)


def test_unanswered_questions_of_a_finished_attempt_are_queued(store):
    attempt = _quiz(store, "r-r")
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 1
    cards = {c["card"] for c in store.review_cards("ana")}
    assert cards == {f"question:{attempt.questions[1].question.id}"}


def test_sync_is_idempotent_and_right_answers_leave_new_items_alone(store):
    _quiz(store, "rrrr")
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 0
    _quiz(store, "wr", seed=2)
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 1
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 0
    assert len(store.review_cards("ana")) == 1


def test_the_daily_cap_holds_and_resets_the_next_day(store):
    _quiz(store, "w" * 20)
    _check(store, "lab-00", {t.id: "fail" for t in CHAPTER.lab("lab-00").tasks})
    now = q_time(5)
    q = _queue(store, now, cap=12)
    assert q.due == 25 and len(q.items) == 12
    assert "12 reviews ready" in review.due_line(q, now=now)
    assert "13 more can wait" in review.due_line(q, now=now)
    for item in q.items:
        review.answer(store, "ana", item, right(item.presented), now=now)
    q = _queue(store, q_time(6), cap=12)
    assert q.items == () and q.reviewed_today == 12
    assert "today's 12 reviews are done" in review.due_line(q, now=q_time(6))
    assert len(_queue(store, now + timedelta(days=1), cap=12).items) == 12


def test_a_failed_task_comes_back_as_a_question_on_its_outcome(store):
    _check(store, "lab-02", {"frames": "fail", "log_mel": "pass"})
    q = _queue(store, q_time(2))
    assert [i.card["card"] for i in q.items] == ["task:lab-02/frames"]
    item = q.items[0]
    assert item.card["outcome"] == "whisper" and item.presented.question.outcome == "whisper"
    assert "harness check lab-02 --task frames" in item.context
    assert item.presented.question.section.item == "lab-02"  # the lab page's own question first


def test_a_passing_check_on_a_due_task_card_counts_as_a_pass(store):
    _check(store, "lab-02", {"frames": "fail"})
    _check(store, "lab-02", {"frames": "pass"}, when=q_time(3))
    review.sync(store, CHAPTER, "ana", bank=BANK)
    (card,) = store.review_cards("ana")
    assert card["due"] > q_time(10).isoformat()
    sources = [row["source"].split(":")[0] for row in store.review_log("ana")]
    assert sources == ["check", "check"]


def test_numeric_cards_come_back_as_fresh_variants(store):
    attempt = _quiz(store, "", n=20, seed=3)
    generated = [p for p in attempt.questions if p.params is not None]
    assert generated
    _at(store, q_time(1))
    # Miss a generated item in a second attempt, then see it again in review.
    second = Attempt.start(store, "ana", BANK, seed=3, n=20, pass_mark=0.8)
    target = next(p for p in second.questions if p.params is not None)
    second.answer(target.position, wrong(target))
    second.finish()
    items = [
        i
        for seed in range(6)
        for i in review.queue(store, CHAPTER, BANK, "ana", now=q_time(9), seed=seed).items
        if i.card["card"] == f"question:{target.question.id}"
    ]
    assert items and any(i.presented.params != target.params for i in items)


def test_reviews_are_events_that_never_meet_the_quiz_dod(store):
    _quiz(store, "w" * 20, seed=5)
    before = compute_status(store, CHAPTER, "ana")
    q = _queue(store, q_time(3))
    for item in q.items:
        review.answer(store, "ana", item, right(item.presented), now=q_time(3))
    after = compute_status(store, CHAPTER, "ana")
    assert after.quiz_best == before.quiz_best and not after.quiz_passed
    kinds = [e["kind"] for e in store.events("ana")]
    assert kinds.count("review.answered") == len(q.items) > 0 and "review.queued" in kinds


def test_input_that_cannot_be_graded_is_refused_and_not_stored(store):
    _quiz(store, "w")
    item = _queue(store, q_time(2)).items[0]
    with pytest.raises(AnswerError):
        item.presented.grade("")
    with pytest.raises(AnswerError):
        review.answer(store, "ana", item, "", now=q_time(2))
    assert [r["source"] for r in store.review_log("ana")] == ["quiz:1"]


def test_nothing_due_says_so_gently(store):
    q = _queue(store, T0)
    assert review.due_line(q, now=T0).startswith("nothing to review")
    _quiz(store, "w")
    q = _queue(store, T0)
    assert review.due_line(q, now=T0) == "nothing to review now; next review in 1 min"


def test_unanswered_questions_are_queued_even_when_a_sync_ran_mid_attempt(store):
    _at(store, T0)
    attempt = Attempt.start(store, "ana", BANK, seed=4, n=20, pass_mark=0.8)
    for p in attempt.questions[:3]:
        attempt.answer(p.position, right(p))
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 0  # e.g. a mentor's view
    attempt.finish()  # 17 left unanswered
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 17
    assert review.sync(store, CHAPTER, "ana", bank=BANK) == 0
    assert len(store.review_cards("ana")) == 17
