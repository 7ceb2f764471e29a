"""The chapter quiz across a cohort: best scores, per-question difficulty and discrimination,
questions to look at again, and results per learning outcome.

Set-based: one query for every answer of every finished attempt. Difficulty and
discrimination follow `harness.learning.quiz.question_stats` exactly (a test holds the two to
the same numbers); that function reads one attempt at a time, which is fine for a screen and
too slow for a 1,000-learner report.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from harness.learning.quiz import MIN_ANSWERS, Bank
from harness.store import Store

OUTCOME_BANDS = (0.2, 0.4, 0.6, 0.8)  # band edges for per-outcome results (5 bands)


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    outcome: str
    answered: int
    difficulty: float | None  # proportion correct; None below MIN_ANSWERS
    discrimination: float | None  # corrected point-biserial; None when undefined
    flag: str  # "" or why a mentor should look at the question again


@dataclass(frozen=True)
class OutcomeResults:
    outcome: str
    description: str
    learners: int  # learners with at least one answer on the outcome
    bands: tuple[int, ...]  # learners per band of proportion correct (0-20% ... 80-100%)
    mean: float | None


def answers(store: Store, quiz_id: str) -> list[tuple[int, str, str, int, int]]:
    """(attempt, learner, question, correct, n_questions) for every finished attempt."""
    return store.conn.execute(
        """
        SELECT a.attempt_id, t.learner, a.question_id, a.correct, t.n_questions
        FROM quiz_answers a JOIN quiz_attempts t ON t.id = a.attempt_id
        WHERE t.quiz_id = ? AND t.status = 'finished'
        ORDER BY a.attempt_id""",
        (quiz_id,),
    ).fetchall()


def item_stats(bank: Bank, rows: list[tuple]) -> list[ItemStats]:
    totals: dict[int, int] = defaultdict(int)
    for attempt, _learner, _q, correct, _n in rows:
        totals[attempt] += correct
    per_question: dict[str, list[tuple[int, float]]] = {q.id: [] for q in bank.questions}
    for attempt, _learner, qid, correct, n in rows:
        if qid in per_question:
            rest = (totals[attempt] - correct) / max(n - 1, 1)
            per_question[qid].append((correct, rest))
    out = []
    for q in bank.questions:
        pairs = per_question[q.id]
        if len(pairs) < MIN_ANSWERS:
            out.append(ItemStats(q.id, q.outcome, len(pairs), None, None, ""))
            continue
        p = sum(c for c, _ in pairs) / len(pairs)
        r = _point_biserial(pairs, p)
        out.append(ItemStats(q.id, q.outcome, len(pairs), p, r, _flag(p, r)))
    return out


def _point_biserial(pairs: list[tuple[int, float]], p: float) -> float | None:
    if p in (0.0, 1.0):
        return None
    n = len(pairs)
    mean = sum(s for _, s in pairs) / n
    sd = math.sqrt(sum((s - mean) ** 2 for _, s in pairs) / n)
    if sd == 0:
        return None
    right = [s for c, s in pairs if c]
    wrong = [s for c, s in pairs if not c]
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * math.sqrt(p * (1 - p))


def _flag(p: float, r: float | None) -> str:
    if p == 1.0:
        return "everyone right"
    if p == 0.0:
        return "everyone wrong"
    if r is not None and r < 0:
        return "negative discrimination"
    return ""


def outcome_results(bank: Bank, rows: list[tuple]) -> list[OutcomeResults]:
    """Per outcome, how many learners fall in each band of proportion correct (all their
    finished attempts together)."""
    outcome_of = {q.id: q.outcome for q in bank.questions}
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for _attempt, learner, qid, correct, _n in rows:
        outcome = outcome_of.get(qid)
        if outcome is not None:
            cell = tally[learner, outcome]
            cell[0] += correct
            cell[1] += 1
    per_outcome: dict[str, list[float]] = defaultdict(list)
    for (_learner, outcome), (right, total) in tally.items():
        per_outcome[outcome].append(right / total)
    out = []
    for outcome, description in bank.outcomes.items():
        shares = per_outcome.get(outcome, [])
        bands = [0] * (len(OUTCOME_BANDS) + 1)
        for share in shares:
            bands[sum(share >= edge for edge in OUTCOME_BANDS)] += 1
        mean = sum(shares) / len(shares) if shares else None
        out.append(OutcomeResults(outcome, description, len(shares), tuple(bands), mean))
    return out
