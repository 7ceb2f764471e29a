"""Drawing, answering, scoring, abandoning and reviewing an attempt; mentor statistics."""

from __future__ import annotations

from collections import Counter

import pytest
from quiz_helpers import right_input, wrong_input

from harness.learning.quiz import MIN_ANSWERS, AnswerError, Attempt, draw, question_stats

# --- drawing --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [9, 12, 20, 31])
def test_every_outcome_is_represented_and_balanced(bank, n):
    drawn = draw(bank, seed=3, n=n)
    per_outcome = Counter(p.question.outcome for p in drawn)
    assert set(per_outcome) == set(bank.outcomes)
    assert max(per_outcome.values()) - min(per_outcome.values()) <= 1
    assert len({p.question.id for p in drawn}) == n


def test_same_seed_same_quiz_other_seed_other_quiz(bank):
    def shape(seed):
        return [(p.question.id, p.choices) for p in draw(bank, seed=seed, n=20)]

    assert shape(11) == shape(11)
    assert shape(11) != shape(12)


def test_choices_are_shuffled_but_complete(bank):
    drawn = draw(bank, seed=5, n=len(bank.questions))
    with_choices = [p for p in drawn if p.question.choices]
    assert all(sorted(p.choices) == sorted(p.question.choices) for p in with_choices)
    assert any(p.choices != p.question.choices for p in with_choices)


def test_a_small_outcome_pool_is_used_up_and_others_fill_in(tiny):
    # outcome a has 2 questions, b has 2: n = 4 takes the whole bank
    assert sorted(p.question.id for p in draw(tiny, seed=1, n=4)) == sorted(
        q.id for q in tiny.questions
    )


@pytest.mark.parametrize("n", [1, 5])
def test_impossible_sizes_are_refused(tiny, n):
    with pytest.raises(ValueError, match="between 2 questions"):
        draw(tiny, seed=1, n=n)


# --- answering and scoring --------------------------------------------------------------------


def _start(store, bank, n=20, seed=1):
    return Attempt.start(store, "ana", bank, seed=seed, n=n, pass_mark=0.8)


def test_pass_mark_defaults_to_the_chapter(store, tiny):
    attempt = Attempt.start(store, "ana", tiny, seed=1, n=2)
    assert attempt.pass_mark == 0.8


@pytest.mark.parametrize("n_right,passed", [(20, True), (16, True), (15, False), (0, False)])
def test_scoring_and_the_80_percent_bar(store, bank, n_right, passed):
    attempt = _start(store, bank)
    for p in attempt.questions:
        attempt.answer(p.position, right_input(p) if p.position < n_right else wrong_input(p))
    result = attempt.finish()
    assert (result.correct, result.total, result.passed) == (n_right, 20, passed)
    assert result.score == pytest.approx(n_right / 20)
    row = store.quiz_attempts("ana")[-1]
    assert row["status"] == "finished" and row["score"] == pytest.approx(n_right / 20)
    assert row["passed"] == int(passed)
    answers = store.quiz_answers(attempt.attempt_id)
    assert [a["correct"] for a in answers] == [int(p.position < n_right) for p in attempt.questions]
    assert store.best_quiz("ana", bank.id)["score"] == pytest.approx(n_right / 20)


def test_unanswered_questions_count_as_wrong(store, bank):
    attempt = _start(store, bank)
    for p in attempt.questions[:17]:
        attempt.answer(p.position, right_input(p))
    result = attempt.finish()
    assert result.correct == 17 and result.score == pytest.approx(0.85) and result.passed
    assert [m.position for m in attempt.review()] == [17, 18, 19]
    assert all(m.given is None for m in attempt.review())


def test_bad_input_is_never_scored(store, tiny):
    attempt = _start(store, tiny, n=4)
    numeric = next(p for p in attempt.questions if p.question.kind == "numeric")
    single = next(p for p in attempt.questions if p.question.kind == "single")
    for raw in ["", "   ", "lots", "1,5"]:
        with pytest.raises(AnswerError):
            attempt.answer(numeric.position, raw)
    for raw in ["", "0", "4", "x", "1,2"]:
        with pytest.raises(AnswerError):
            attempt.answer(single.position, raw)
    assert store.quiz_answers(attempt.attempt_id) == [] and attempt.feedback == {}
    fb = attempt.answer(numeric.position, "1,500")
    assert fb.correct and fb.expected == "1,500"
    with pytest.raises(AnswerError, match="already answered"):
        attempt.answer(numeric.position, "1500")
    with pytest.raises(AnswerError, match="no question 9"):
        attempt.answer(9, "1")
    assert len(store.quiz_answers(attempt.attempt_id)) == 1


def test_abandon_keeps_the_answers(store, bank):
    attempt = _start(store, bank)
    for p in attempt.questions[:3]:
        attempt.answer(p.position, wrong_input(p))
    attempt.abandon()
    row = store.quiz_attempts("ana")[-1]
    assert row["status"] == "abandoned" and row["score"] is None
    assert len(store.quiz_answers(attempt.attempt_id)) == 3
    assert store.best_quiz("ana", bank.id) is None
    with pytest.raises(AnswerError, match="abandoned"):
        attempt.answer(5, "1")
    assert [m.position for m in attempt.review()] == [0, 1, 2]  # only what was answered


def test_review_gives_explanation_and_section_for_each_miss(store, tiny):
    attempt = _start(store, tiny, n=4)
    for p in attempt.questions:
        raw = right_input(p) if p.question.kind == "text" else wrong_input(p)
        attempt.answer(p.position, raw)
    attempt.finish()
    missed = attempt.review()
    assert sorted(m.question.id for m in missed) == ["a-numeric", "a-single", "b-multiple"]
    for m in missed:
        assert m.explanation == m.question.explanation and m.given
        assert m.section.heading and m.expected == m.question.expected
    assert {m.question.id: m.expected for m in missed}["b-multiple"] == "2; 3"
    assert {m.question.id: m.given for m in missed}["a-numeric"] == "2,500"


# --- statistics -------------------------------------------------------------------------------


def test_question_stats_wait_for_enough_attempts(store, tiny):
    for _ in range(MIN_ANSWERS - 1):
        attempt = _start(store, tiny, n=4)
        for p in attempt.questions:
            attempt.answer(p.position, right_input(p))
        attempt.finish()
    stats = question_stats(store, tiny)
    assert all(s.difficulty is None and s.answered == MIN_ANSWERS - 1 for s in stats)
    assert "4 of 5" in stats[0].note


def test_question_stats_difficulty_and_discrimination(store, tiny):
    # Strong learners (3 attempts) get everything right; weak ones (3) get only b-text right.
    # So a-single separates them perfectly and b-text, right for everyone, cannot.
    for strong in (True, True, True, False, False, False):
        attempt = _start(store, tiny, n=4)
        for p in attempt.questions:
            good = strong or p.question.id == "b-text"
            attempt.answer(p.position, right_input(p) if good else wrong_input(p))
        attempt.finish()
    abandoned = _start(store, tiny, n=4)  # abandoned attempts do not count
    abandoned.answer(0, wrong_input(abandoned.questions[0]))
    abandoned.abandon()
    stats = {s.question_id: s for s in question_stats(store, tiny)}
    assert stats["a-single"].answered == 6
    assert stats["a-single"].difficulty == pytest.approx(0.5)
    assert stats["a-single"].discrimination == pytest.approx(1.0)
    assert stats["b-text"].difficulty == pytest.approx(1.0)
    assert stats["b-text"].discrimination is None and "alike" in stats["b-text"].note
