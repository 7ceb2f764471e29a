"""Mastery arithmetic: known posteriors for known counts, evidence from the three sources,
and a cohort that says it is too small rather than averaging a few learners."""

from __future__ import annotations

import dataclasses
import math

import fsrs
import pytest

from harness.chapter import load_chapter
from harness.learning import mastery
from harness.learning.quiz import load_bank
from harness.store import CheckResult, Store

CHAPTER = load_chapter()
BANK = load_bank(CHAPTER.quiz_bank)
WHISPER = [q.id for q in BANK.questions if q.outcome == "whisper"]


def _binomial_tail(k: int, n: int, x: float) -> float:
    """P(Binomial(n, x) >= k): for whole a, b the Beta(a, b) CDF at x is this with k = a,
    n = a + b - 1 — an identity independent of the grid the module integrates on."""
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(k, n + 1))


@pytest.mark.parametrize("s, n", [(0, 0), (7, 10), (0, 5), (20, 20), (13, 40), (150, 200)])
def test_known_posterior_for_known_counts(s, n):
    a, b = mastery.posterior(s, n)
    assert (a, b) == (1 + s, 1 + n - s)
    low, high = mastery.beta_interval(a, b)
    assert _binomial_tail(int(a), int(a + b - 1), low) == pytest.approx(0.05, abs=2e-4)
    assert _binomial_tail(int(a), int(a + b - 1), high) == pytest.approx(0.95, abs=2e-4)


def test_closed_forms():
    assert mastery.beta_interval(1, 1) == pytest.approx((0.05, 0.95), abs=1e-6)
    assert mastery.beta_interval(2, 1) == pytest.approx((0.05**0.5, 0.95**0.5), abs=1e-5)
    m = mastery._mastery("o", "d", {"quiz": (7, 10)})
    assert m.mean == pytest.approx(8 / 12) and m.verdict == "uncertain"
    assert mastery._mastery("o", "d", {"quiz": (30, 30)}).verdict == "secure"
    assert mastery._mastery("o", "d", {"quiz": (2, 12)}).verdict == "not yet"
    assert mastery._mastery("o", "d", {}).shown() == "no evidence yet"
    with pytest.raises(ValueError, match="0 <= successes <= trials"):
        mastery.posterior(3, 2)


def _answers(store, learner, correct: list[bool], *, practice=False):
    attempt = store.start_quiz_attempt(learner, "X2", 1, len(correct), practice=practice)
    for pos, ok in enumerate(correct):
        store.record_quiz_answer(attempt, WHISPER[pos], pos, "x", ok)
    store.finish_quiz_attempt(attempt, sum(correct) / len(correct), False)


def _task_run(store, learner, status):
    store.record_check_run(
        learner=learner,
        lab_id="lab-02",
        impl="learner",
        task="frames",
        status=status,
        results=[CheckResult("test_frames", "frames", status)],
    )


def test_evidence_from_quiz_review_and_the_latest_task_result():
    store = Store.memory()
    store.add_learner("ana")
    _answers(store, "ana", [True, True, False, True])
    _answers(store, "ana", [True] * 6, practice=True)  # a replay of seed 1: not evidence
    for status in ("fail", "fail", "pass"):
        _task_run(store, "ana", status)  # debugging runs: only the latest counts
    card = {
        "card": "question:x",
        "kind": "question",
        "ref": "x",
        "outcome": "whisper",
        "fsrs": fsrs.Card(card_id=1).to_json(),
        "due": "2026-01-02T00:00:00+00:00",
    }
    store.record_review(
        "ana",
        card,
        dict(
            card="question:x",
            source="review",
            outcome="whisper",
            correct=False,
            rating=1,
            at="2026-01-01T00:00:00+00:00",
        ),
    )
    whisper = next(
        m for m in mastery.learner_mastery(store, CHAPTER, BANK, "ana") if m.outcome == "whisper"
    )
    assert whisper.by_source == {"quiz": (3, 4), "task": (1, 1), "review": (0, 1)}
    assert (whisper.successes, whisper.trials) == (4, 6)
    assert whisper.mean == pytest.approx(5 / 8)
    assert (whisper.low, whisper.high) == pytest.approx(mastery.beta_interval(5, 3))


def test_a_small_cohort_is_not_averaged():
    store = Store.memory()
    for i in range(3):
        store.add_learner(f"l{i}")
        _answers(store, f"l{i}", [True, False])
    rows = {c.outcome: c for c in mastery.cohort_outcomes(store, CHAPTER, BANK)}
    assert rows["whisper"].median is None and "cohort too small" in rows["whisper"].note
    assert rows["vit"].learners == 0


def test_a_cohort_of_five_gets_a_median_and_counts():
    store = Store.memory()
    for i in range(5):
        store.add_learner(f"l{i}")
        _answers(store, f"l{i}", [True] * (i + 1) + [False] * (4 - i) if i < 4 else [True] * 5)
    per_learner = mastery.cohort_mastery(store, CHAPTER, BANK)
    assert set(per_learner) == {f"l{i}" for i in range(5)}
    row = next(c for c in mastery.cohort_outcomes(store, CHAPTER, BANK) if c.outcome == "whisper")
    means = sorted(
        next(m.mean for m in ms if m.outcome == "whisper") for ms in per_learner.values()
    )
    assert row.median == pytest.approx(means[2]) and row.learners == 5
    single = mastery.learner_mastery(store, CHAPTER, BANK, "l2")
    assert single[0].reread == () and any(m.reread for m in single)  # its misses to reread
    # one learner alone, or in the cohort, agree (the cohort view leaves out what to reread)
    assert [dataclasses.replace(m, reread=()) for m in single] == per_learner["l2"]


def _recount(store, learner):
    """Mastery evidence counted from the raw tables, the slow obvious way."""
    outcome_of = {q.id: q.outcome for q in BANK.questions}
    task_outcome = {f"{lab.id}/{t.id}": t.outcome for lab in CHAPTER.labs for t in lab.tasks}
    counts = {}

    def add(outcome, source, ok):
        s, n = counts.get((outcome, source), (0, 0))
        counts[(outcome, source)] = (s + int(ok), n + 1)

    first = {}
    for a in store.quiz_attempts(learner):
        first.setdefault((a["quiz_id"], a["seed"]), a["id"])
    for attempt_id in first.values():
        for ans in store.quiz_answers(attempt_id):
            add(outcome_of[ans["question_id"]], "quiz", ans["correct"])
    for row in store.review_log(learner):
        if row["source"] == "review":
            add(row["outcome"], "review", row["correct"])
    latest = {}
    runs = store.conn.execute(
        "SELECT id, lab_id FROM check_runs WHERE learner = ? AND impl = 'learner' "
        "AND status != 'cancelled' ORDER BY id",
        (learner,),
    ).fetchall()
    for run_id, lab_id in runs:
        by_task = {}
        for r in store.check_results(run_id):
            by_task[r["task"]] = by_task.get(r["task"], True) and r["status"] == "pass"
        for task, ok in by_task.items():
            latest[f"{lab_id}/{task}"] = ok
    for ref, ok in latest.items():
        add(task_outcome[ref], "task", ok)
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_running_counts_equal_a_recount_from_the_records(seed):
    """sync keeps the counts as records arrive; whenever it runs, they equal a recount."""
    import random

    from harness.learning import review

    rng = random.Random(seed)
    store = Store.memory()
    store.add_learner("ana")
    tasks = [(lab.id, t.id) for lab in CHAPTER.labs for t in lab.tasks]
    for _ in range(25):
        step = rng.random()
        if step < 0.35:
            n = rng.randint(1, 6)
            attempt = store.start_quiz_attempt("ana", "X2", rng.choice([1, 2, 3]), n)
            for pos in range(rng.randint(0, n)):
                q = rng.choice(BANK.questions)
                store.record_quiz_answer(attempt, q.id, pos, "x", rng.random() < 0.6)
            if rng.random() < 0.7:
                store.finish_quiz_attempt(attempt, 0.5, False)
        elif step < 0.65:
            lab_id = rng.choice(["lab-00", "lab-01", "lab-02"])
            picked = [t for lab, t in tasks if lab == lab_id]
            store.record_check_run(
                learner="ana",
                lab_id=lab_id,
                impl="learner",
                task=None,
                status=rng.choice(["fail", "pass", "cancelled"]),
                results=[
                    CheckResult(f"test_{t}_{k}", t, rng.choice(["pass", "pass", "fail"]))
                    for t in rng.sample(picked, rng.randint(1, len(picked)))
                    for k in range(rng.randint(1, 2))
                ],
            )
        elif step < 0.85:
            review.sync(store, CHAPTER, "ana", bank=BANK)
        else:
            q = review.queue(
                store, CHAPTER, BANK, "ana", seed=seed, now="2099-01-01T00:00:00+00:00"
            )
            for item in q.items[:2]:
                review.answer(store, "ana", item, "1", now="2099-01-01T00:00:00+00:00")
    got = {
        (m.outcome, src): counts
        for m in mastery.learner_mastery(store, CHAPTER, BANK, "ana")
        for src, counts in m.by_source.items()
    }
    assert got == _recount(store, "ana")


def test_home_lines_name_the_queue_and_the_weakest_outcomes():
    store = Store.memory()
    store.add_learner("ana")
    assert mastery.home_lines(store, CHAPTER, "ana") == [
        "review: nothing to review: misses in quizzes and checks will come back here"
    ]
    _answers(store, "ana", [False, False, True])
    lines = mastery.home_lines(store, CHAPTER, "ana", bank=BANK)
    assert lines[0].startswith("review: nothing to review now; next review in")
    assert lines[1].startswith("whisper: 40% (") and "reread theory-02" in lines[1]
