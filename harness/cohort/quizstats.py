"""The chapter quiz across a cohort: per-question difficulty and discrimination, and the
questions to look at again.

Set-based: one read of every attempt and one of every answer. Difficulty and
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


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    outcome: str
    answered: int
    difficulty: float | None  # proportion correct; None below MIN_ANSWERS
    discrimination: float | None  # corrected point-biserial; None when undefined
    flag: str  # "" or why a mentor should look at the question again


@dataclass(frozen=True)
class QuizRecords:
    """Every quiz attempt and answer of the cohort, read once for the statistics here and for
    mastery (harness/cohort/outcomes.py)."""

    attempts: dict[int, tuple[str, str, int, str, int]]  # id -> learner, quiz, seed, status, n
    answers: list[tuple[int, str, int]]  # (attempt id, question id, correct)


def read(store: Store) -> QuizRecords:
    attempts = {
        row[0]: row[1:]
        for row in store.conn.execute(
            "SELECT id, learner, quiz_id, seed, status, n_questions FROM quiz_attempts"
        )
    }
    answers = store.conn.execute(
        "SELECT attempt_id, question_id, correct FROM quiz_answers"
    ).fetchall()
    return QuizRecords(attempts, answers)


def item_stats(bank: Bank, records: QuizRecords) -> list[ItemStats]:
    """Over every finished attempt at this bank's quiz."""
    finished = {
        a: n for a, (_l, quiz, _s, status, n) in records.attempts.items()
        if quiz == bank.id and status == "finished"
    }  # fmt: skip
    rows = [row for row in records.answers if row[0] in finished]
    totals: dict[int, int] = defaultdict(int)
    for attempt, _q, correct in rows:
        totals[attempt] += correct
    per_question: dict[str, list[tuple[int, float]]] = {q.id: [] for q in bank.questions}
    for attempt, qid, correct in rows:
        if qid in per_question:
            rest = (totals[attempt] - correct) / max(finished[attempt] - 1, 1)
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
