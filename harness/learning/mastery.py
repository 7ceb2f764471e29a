"""Mastery per learning outcome: a Beta posterior with its interval, for learners and mentors.

Evidence for an outcome: quiz answers to its questions (the first attempt at each seed only:
a replayed seed can be answered from the first one's review), answers in spaced review, and
the latest result of each lab task mapped to it (`outcome:` in chapter.yaml; a task counts
once, so debugging runs do not drag an estimate down). With s successes in n trials and a
uniform Beta(1, 1) prior the posterior is Beta(1 + s, 1 + n − s); we show its mean and its
central 90% interval, and call an outcome *secure* when the interval lies above the bar (0.8,
the quiz's pass mark), *not yet* when it lies below, and *uncertain* when it straddles it.

API (no screen code; the CLI, the TUI and the mentor views call these)
---
`posterior(s, n) -> (a, b)`, `beta_interval(a, b, level) -> (low, high)`
`learner_mastery(store, chapter, bank, learner) -> list[Mastery]`   one per bank outcome
`attempt_breakdown(attempt, mastery) -> list[OutcomeResult]`   after a quiz: per outcome this
    attempt's score, the mastery so far and the sections to reread, weakest first
`summary_lines(mastery) -> list[str]`   short lines, weakest outcome first
`home_lines(store, chapter, learner) -> list[str]`   the review line + the weakest outcomes
`cohort_mastery(store, chapter, bank) -> dict[learner, list[Mastery]]`   per learner, set-based
`cohort_outcomes(store, chapter, bank, min_learners=MIN_COHORT) -> list[CohortOutcome]`   per
    outcome across learners; below `min_learners` it says "cohort too small" instead of a number
"""

from __future__ import annotations

import gc
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harness.chapter import Chapter
from harness.learning import review
from harness.learning.quiz import Attempt, Bank, Section, load_bank, page_headings
from harness.store import Store

PRIOR = (1.0, 1.0)
LEVEL = 0.90
BAR = 0.80
MIN_COHORT = 5
_GRID = 512  # midpoints per Beta CDF, over its own range: quantiles to ~1e-5
SOURCES = ("quiz", "review", "task")


def posterior(successes: int, trials: int, prior: tuple[float, float] = PRIOR):
    """Beta(a, b) after `successes` in `trials` from a Beta(prior) start."""
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    return prior[0] + successes, prior[1] + trials - successes


def beta_intervals(ab: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """Central `level` intervals of Beta(a, b) for rows (a, b) of `ab`: (rows, 2).

    Each CDF is integrated on midpoints of a grid over the distribution's own range (its mean
    ± 12 standard deviations, clipped to [0, 1]: the mass outside is negligible) and inverted by
    linear interpolation, many distributions at once (a cohort has thousands of posteriors)."""
    ab = np.asarray(ab, dtype=float).reshape(-1, 2)
    u = (np.arange(_GRID) + 0.5) / _GRID  # (G,)
    tails = np.array([(1 - level) / 2, (1 + level) / 2])
    out = np.empty((len(ab), 2))
    for start in range(0, len(ab), 512):  # (512, G) at a time: a few MB
        a, b = ab[start : start + 512, :1], ab[start : start + 512, 1:]
        mean = a / (a + b)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        lo, hi = np.clip(mean - 12 * sd, 0, 1), np.clip(mean + 12 * sd, 0, 1)
        x = lo + (hi - lo) * u  # (R, G)
        log_pdf = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
        pdf = np.exp(log_pdf - log_pdf.max(axis=1, keepdims=True))
        cdf = np.concatenate([np.zeros((len(a), 1)), np.cumsum(pdf, axis=1)], axis=1)
        cdf /= cdf[:, -1:]  # (R, G + 1) at the cell edges lo, ..., hi
        rows = np.arange(len(a))
        for j, t in enumerate(tails):
            k = np.clip((cdf < t).sum(axis=1), 1, _GRID)  # first edge with cdf >= t
            c0, c1 = cdf[rows, k - 1], cdf[rows, k]
            frac = np.where(c1 > c0, (t - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0)
            out[start : start + 512, j] = lo[:, 0] + (hi - lo)[:, 0] * (k - 1 + frac) / _GRID
    return out


@lru_cache(maxsize=65536)
def beta_interval(a: float, b: float, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of Beta(a, b)."""
    low, high = beta_intervals(np.array([[a, b]]), level)[0]
    return float(low), float(high)


@dataclass(frozen=True, slots=True)
class Mastery:
    outcome: str
    description: str
    successes: int
    trials: int
    by_source: dict[str, tuple[int, int]]  # source -> (successes, trials)
    mean: float
    low: float
    high: float
    reread: tuple[Section, ...] = ()  # sections behind this outcome's open review cards

    @property
    def verdict(self) -> str:
        if self.trials == 0:
            return "no evidence yet"
        if self.low >= BAR:
            return "secure"
        if self.high < BAR:
            return "not yet"
        return "uncertain"

    def shown(self) -> str:
        """'62% (41–80%)' or 'no evidence yet'."""
        if self.trials == 0:
            return "no evidence yet"
        return f"{self.mean:.0%} ({self.low:.0%}–{self.high:.0%})"


_SUMMARIES: dict[tuple[int, int], tuple[float, float, float]] = {}


def _summary(s: int, n: int) -> tuple[float, float, float]:
    """(mean, low, high) of the posterior after s of n (kept: counts repeat across a cohort)."""
    got = _SUMMARIES.get((s, n))
    if got is None:
        a, b = posterior(s, n)
        got = _SUMMARIES[(s, n)] = (a / (a + b), *beta_interval(a, b))
    return got


def _prepare(counts: set[tuple[int, int]]) -> None:
    """Compute the summaries of many (s, n) at once."""
    todo = sorted(c for c in counts if c not in _SUMMARIES)
    if not todo:
        return
    ab = np.array([posterior(s, n) for s, n in todo])
    for (s, n), (a, b), (low, high) in zip(todo, ab, beta_intervals(ab), strict=True):
        _SUMMARIES[(s, n)] = (float(a / (a + b)), float(low), float(high))


def _mastery(
    outcome: str, description: str, counts: dict[str, tuple[int, int]], reread=()
) -> Mastery:
    s = n = 0
    for successes, trials in counts.values():
        s += successes
        n += trials
    mean, low, high = _summary(s, n)
    return Mastery(outcome, description, s, n, dict(counts), mean, low, high, tuple(reread))


def _evidence(
    store: Store, chapter: Chapter, bank: Bank, learner: str | None
) -> dict[str, dict[str, dict[str, tuple[int, int]]]]:
    """learner -> outcome -> source -> (successes, trials), after reading new records.

    The counts are kept by `review.sync` as it reads quiz answers and check results, so a
    cohort costs one small read, not a pass over every answer ever given."""
    for name in [learner] if learner else store.unsynced_learners():
        review.sync(store, chapter, name, bank=bank)
    out: dict = defaultdict(lambda: defaultdict(dict))
    for name, outcome, source, successes, trials in store.outcome_evidence(learner):
        cell = out[name][outcome]
        s0, n0 = cell.get(source, (0, 0))
        cell[source] = (s0 + successes, n0 + trials)
    return out


def task_section(chapter: Chapter, lab_id: str, task_id: str) -> Section:
    """The lab page's `## Task `id`…` heading, or the page itself."""
    try:
        page = chapter.item(lab_id).path
        heading = next(
            (h for h in page_headings(page) if h.startswith(f"Task `{task_id}`")), "Tasks"
        )
    except (ValueError, OSError):
        heading = "Tasks"
    return Section(lab_id, heading)


def _reread(store: Store, chapter: Chapter, bank: Bank, learner: str) -> dict[str, list[Section]]:
    """Per outcome, the sections behind the learner's open review cards (misses not yet
    recovered), in the order the cards fall due."""
    out: dict[str, list[Section]] = defaultdict(list)
    for card in store.review_cards(learner):
        if not card["outcome"]:
            continue
        if card["kind"] == "question":
            try:
                section = bank.question(card["ref"]).section
            except KeyError:
                continue
        else:
            section = task_section(chapter, *card["ref"].split("/", 1))
        if section not in out[card["outcome"]]:
            out[card["outcome"]].append(section)
    return out


def learner_mastery(store: Store, chapter: Chapter, bank: Bank, learner: str) -> list[Mastery]:
    evidence = _evidence(store, chapter, bank, learner).get(learner, {})
    reread = _reread(store, chapter, bank, learner)
    return [
        _mastery(o, d, evidence.get(o, {}), reread.get(o, ())) for o, d in bank.outcomes.items()
    ]


def summary_lines(mastery: list[Mastery]) -> list[str]:
    """For a home screen: one line per outcome, weakest first, with what to reread."""
    lines = []
    for m in sorted(mastery, key=lambda m: (m.trials == 0, m.mean)):
        line = f"{m.outcome}: {m.shown()} · {m.verdict}"
        if m.reread and m.verdict != "secure":
            line += f" · reread {m.reread[0]}"
        lines.append(line)
    return lines


def home_lines(
    store: Store, chapter: Chapter, learner: str, *, bank: Bank | None = None, limit: int = 3
) -> list[str]:
    """For a home screen: the review queue's line, then up to `limit` outcomes that are not
    secure yet, weakest first, each with a section to reread."""
    bank = bank or load_bank(chapter.quiz_bank)
    queued = review.queue(store, chapter, bank, learner)
    rows = [m for m in learner_mastery(store, chapter, bank, learner) if m.trials]
    weak = [m for m in rows if m.verdict != "secure"]
    return [f"review: {review.due_line(queued)}"] + summary_lines(weak)[:limit]


# --- after a quiz ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeResult:
    outcome: str
    right: int  # in this attempt
    asked: int
    mastery: Mastery
    reread: tuple[Section, ...] = field(default=())  # sections of this attempt's misses

    @property
    def held_back(self) -> bool:
        return self.right < self.asked * BAR - 1e-9


def attempt_breakdown(attempt: Attempt, mastery: list[Mastery]) -> list[OutcomeResult]:
    """Per outcome of a finished attempt, weakest first: which outcomes held the score back."""
    by_outcome = {m.outcome: m for m in mastery}
    asked: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    reread: dict[str, list[Section]] = defaultdict(list)
    for p in attempt.questions:
        o = p.question.outcome
        asked[o] += 1
        fb = attempt.feedback.get(p.position)
        if fb is not None and fb.correct:
            right[o] += 1
        elif p.question.section not in reread[o]:
            reread[o].append(p.question.section)
    results = [
        OutcomeResult(o, right[o], asked[o], by_outcome[o], tuple(reread[o]))
        for o in asked
        if o in by_outcome
    ]
    return sorted(results, key=lambda r: (r.right / r.asked, r.outcome))


def breakdown_lines(results: list[OutcomeResult]) -> list[str]:
    """Plain lines for the CLI (the TUI styles the same data)."""
    lines = []
    for r in results:
        mark = "held back" if r.held_back else "ok"
        lines.append(f"  {r.outcome:<16} {r.right}/{r.asked} {mark:<9} mastery {r.mastery.shown()}")
        lines += [f"      reread: {s}" for s in r.reread]
    return lines


# --- mentors --------------------------------------------------------------------------------


def cohort_mastery(store: Store, chapter: Chapter, bank: Bank) -> dict[str, list[Mastery]]:
    """Every learner's mastery per outcome, from one set-based query (no reread sections)."""
    empty: dict = {}
    # Tens of thousands of small acyclic objects: the cycle collector would only rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        evidence = _evidence(store, chapter, bank, None)
        _prepare(
            {
                (sum(c[0] for c in cell.values()), sum(c[1] for c in cell.values()))
                for per_outcome in evidence.values()
                for cell in per_outcome.values()
            }
            | {(0, 0)}
        )
        return {
            learner: [
                _mastery(o, d, evidence.get(learner, empty).get(o, empty))
                for o, d in bank.outcomes.items()
            ]
            for learner in store.learners()
        }
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class CohortOutcome:
    outcome: str
    description: str
    learners: int  # learners with any evidence for it
    median: float | None  # of the learners' posterior means; None when the cohort is small
    quartiles: tuple[float, float] | None
    secure: int  # learners whose interval lies above the bar
    not_yet: int  # learners whose interval lies below it
    note: str


def cohort_outcomes(
    store: Store,
    chapter: Chapter,
    bank: Bank,
    *,
    min_learners: int = MIN_COHORT,
    per_learner: dict[str, list[Mastery]] | None = None,
) -> list[CohortOutcome]:
    """Per outcome across the cohort. With fewer than `min_learners` learners holding
    evidence, no average is given: the note says the cohort is too small."""
    per_learner = per_learner if per_learner is not None else cohort_mastery(store, chapter, bank)
    by_outcome: dict[str, list[Mastery]] = defaultdict(list)
    for rows in per_learner.values():
        for m in rows:
            if m.trials:
                by_outcome[m.outcome].append(m)
    out = []
    for outcome, description in bank.outcomes.items():
        ms = by_outcome[outcome]
        secure = sum(m.verdict == "secure" for m in ms)
        not_yet = sum(m.verdict == "not yet" for m in ms)
        if len(ms) < min_learners:
            note = (
                f"cohort too small: {len(ms)} learner(s) with evidence, {min_learners} "
                "needed for a cohort figure; see each learner"
            )
            out.append(
                CohortOutcome(outcome, description, len(ms), None, None, secure, not_yet, note)
            )
            continue
        means = sorted(m.mean for m in ms)
        q1, _, q3 = statistics.quantiles(means, n=4)
        note = f"median of {len(ms)} learners' estimates"
        out.append(
            CohortOutcome(
                outcome,
                description,
                len(ms),
                statistics.median(means),
                (q1, q3),
                secure,
                not_yet,
                note,
            )
        )
    return out
