"""Mastery per learning outcome for a whole cohort, fast enough for 1,000 learners.

The model is `harness.learning.mastery`'s (a Beta posterior per outcome from quiz answers,
spaced-review answers and the latest result of each lab task; see its docstring), and so are
the numbers: a test holds `cohort_mastery` here equal to the one there. Only the gathering of
evidence differs: the learning package keeps running counts in the store and brings them up to
date when asked (a first call on a 1,000-learner cohort wrote for 4.8 s of CPU); a report must
not write to the mentor's database, so here every table is read once and nothing is stored
(0.2 s at 1,000 learners, bench/RESULTS-dashboard.md).
"""

from __future__ import annotations

from collections import defaultdict

from harness.chapter import Chapter
from harness.cohort.quizstats import QuizRecords
from harness.cohort.tasks import TaskRecord
from harness.learning.mastery import Mastery, beta_interval, posterior
from harness.learning.quiz import Bank
from harness.store import Store


def cohort_mastery(
    store: Store,
    chapter: Chapter,
    bank: Bank,
    task_records: dict[tuple[str, str, str], TaskRecord],
    quiz: QuizRecords,
) -> dict[str, list[Mastery]]:
    """learner -> one Mastery per bank outcome, in the bank's order."""
    counts: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)

    def add(learner: str, outcome: str, source: str, successes: int, trials: int) -> None:
        cell = counts[learner, outcome].setdefault(source, [0, 0])
        cell[0] += successes
        cell[1] += trials

    # Quiz: only the first attempt at each (learner, quiz, seed) counts.
    first: dict[tuple, int] = {}
    for attempt in sorted(quiz.attempts):
        learner, quiz_id, seed, _status, _n = quiz.attempts[attempt]
        first.setdefault((learner, quiz_id, seed), attempt)
    counted = set(first.values())
    outcome_of = {q.id: q.outcome for q in bank.questions}
    for attempt, question, correct in quiz.answers:
        outcome = outcome_of.get(question)
        if outcome is not None and attempt in counted:
            add(quiz.attempts[attempt][0], outcome, "quiz", correct, 1)

    for learner, outcome, successes, trials in store.conn.execute(
        "SELECT learner, outcome, SUM(correct), COUNT(*) FROM review_log "
        "WHERE source = 'review' AND outcome IS NOT NULL GROUP BY learner, outcome"
    ):
        add(learner, outcome, "review", int(successes or 0), trials)

    # Lab tasks: the latest result of each task that names an outcome, once.
    task_outcome = {
        (lab.id, t.id): t.outcome for lab in chapter.labs for t in lab.tasks if t.outcome
    }
    for (learner, lab_id, task), rec in task_records.items():
        outcome = task_outcome.get((lab_id, task))
        if outcome is not None:
            add(learner, outcome, "task", int(rec.latest_pass), 1)

    names = [r[0] for r in store.conn.execute("SELECT name FROM learners ORDER BY name")]
    return {
        name: [
            _mastery(outcome, description, counts.get((name, outcome), {}))
            for outcome, description in bank.outcomes.items()
        ]
        for name in names
    }


def _mastery(outcome: str, description: str, by_source: dict[str, list[int]]) -> Mastery:
    s = sum(c[0] for c in by_source.values())
    n = sum(c[1] for c in by_source.values())
    a, b = posterior(s, n)
    low, high = beta_interval(a, b)
    return Mastery(
        outcome,
        description,
        s,
        n,
        {k: (v[0], v[1]) for k, v in by_source.items()},
        a / (a + b),
        low,
        high,
    )
