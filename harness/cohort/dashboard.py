"""The mentor's dashboard: one self-contained HTML file (`harness mentor dashboard`, and
`harness mentor report --format html`).

Everything is inside the file: styles, scripts, data and charts (SVG drawn at build time by
harness/cohort/charts.py). A Content-Security-Policy forbids every fetch, so opening it makes
no request; it can be archived or mailed. Sections:

- the cohort at a glance: a progress matrix (learners x read-order items, lab tasks, quiz,
  reflections), sortable, filterable, paginated by the page's script from the embedded data;
- where learners get stuck: per task, tried / passing now / median tries and hours to pass, and
  how failing checks ended where the checks recorded it (`check_results.kind`);
- the quiz: best scores against the pass mark, per-question statistics, flagged questions;
- mastery per learning outcome (harness.learning.mastery's model), when there is evidence;
- what the records prove (only when there is something to show): check rows with no event in
  the learner's log ("self-reported only"), confined runs, copy-similarity flags;
- per learner: the timeline (latest TIMELINE_EVENTS), reflections with their prompts in words,
  feedback, flags.

`build(store, chapter)` gathers the numbers (set-based queries: views.py, tasks.py,
quizstats.py, outcomes.py, evidence.py) and draws the charts; `render(dashboard)` writes the
page (dashboard_page.py, with dashboard.css and dashboard.js). Nothing here imports textual.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from harness.chapter import Chapter, ManifestError
from harness.cohort import charts, evidence, outcomes, quizstats, tasks
from harness.cohort.views import DONE, LOCKED, LearnerRow, describe_event, overview
from harness.learning.mastery import CohortOutcome, Mastery, cohort_outcomes
from harness.progress import LabProgress
from harness.store import Store

TIMELINE_EVENTS = 20  # per learner in the file; `harness mentor timeline NAME` has them all


@dataclass
class Dashboard:
    chapter: Chapter
    generated_at: str
    rows: list[LearnerRow]
    tasks: list[tasks.TaskSummary]
    task_records: dict[tuple[str, str, str], tasks.TaskRecord]
    progress: dict[str, tuple[LabProgress, ...]]  # learner -> latest result per task
    items: list[quizstats.ItemStats] | None  # None: the question bank cannot be loaded
    mastery: dict[str, list[Mastery]]  # learner -> per outcome; empty without a bank
    mastery_cohort: list[CohortOutcome]
    bank_note: str
    unbacked: list[evidence.UnbackedRun]
    confined: list[evidence.ConfinedRun]
    similar: list[evidence.SimilarityFlag]
    # A mentor's regrade (harness/cohort/regrade.py): {(learner, lab): verdict}, only once this
    # store holds a regrade; similar pairs between learners; the flags both raise.
    verdicts: dict[tuple[str, str], dict]
    pairs: list[tuple]
    regrade_flags: list[tuple[str, str]]
    timelines: dict[str, list[dict]]
    event_counts: dict[str, int]
    marks: list[dict]  # the latest mentor mark per (learner, reflection prompt)
    charts: dict[str, str] = field(default_factory=dict)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A build makes about a million short-lived objects and no reference cycles; left on,
    the cycle collector walks them again and again: 15-25% of the CPU at 1,000 learners
    (bench/RESULTS-dashboard.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(store: Store, chapter: Chapter, *, generated_at: str | None = None) -> Dashboard:
    with _cycle_collector_paused():
        return _build(store, chapter, generated_at)


def _build(store: Store, chapter: Chapter, generated_at: str | None) -> Dashboard:
    rows = overview(store, chapter)
    cohort_tasks = tasks.read(store, chapter)
    records = cohort_tasks.records
    bank_note = ""
    try:
        from harness.learning.quiz import load_bank

        bank = load_bank(chapter.quiz_bank)
    except ManifestError as exc:
        bank, bank_note = None, f"the question bank cannot be loaded ({exc})"
    items, per_learner, cohort = None, {}, []
    if bank is not None:
        quiz = quizstats.read(store)
        items = quizstats.item_stats(bank, quiz)
        per_learner = outcomes.cohort_mastery(store, chapter, bank, records, quiz)
        cohort = cohort_outcomes(store, chapter, bank, per_learner=per_learner)
    timelines, counts = _timelines(store)
    dash = Dashboard(
        chapter=chapter,
        generated_at=generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        rows=rows,
        tasks=tasks.stuck_tasks(chapter, cohort_tasks, store.hints_used()),
        task_records=records,
        progress=cohort_tasks.progress,
        items=items,
        mastery=per_learner,
        mastery_cohort=cohort,
        bank_note=bank_note,
        unbacked=evidence.unbacked_runs(store),
        confined=evidence.confined_runs(store),
        similar=evidence.similarity_flags(store),
        **_regrades(store),
        timelines=timelines,
        event_counts=counts,
        marks=_latest_marks(store),
    )
    dash.charts = _charts(dash)
    return dash


def _regrades(store: Store) -> dict:
    from harness.cohort import regrade

    regraded = store.conn.execute("SELECT 1 FROM verified_runs LIMIT 1").fetchone()
    pairs = store.conn.execute(
        "SELECT lab_id, task, learner_a, learner_b, similarity FROM cohort_similarity "
        "ORDER BY similarity DESC, lab_id, task"
    ).fetchall()
    return {
        "verdicts": regrade.verdicts(store) if regraded else {},
        "pairs": pairs,
        "regrade_flags": regrade.verification_flags(store) if regraded or pairs else [],
    }


def _latest_marks(store: Store) -> list[dict]:
    cur = store.conn.execute(
        "SELECT learner, prompt_id, verdict, mentor, feedback, version, MAX(id) "
        "FROM reflection_marks GROUP BY learner, prompt_id"
    )
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def _timelines(store: Store) -> tuple[dict[str, list[dict]], dict[str, int]]:
    # The newest events of each learner by an index seek on events(learner, id), not a
    # window over the whole log.
    counts = dict(store.conn.execute("SELECT learner, COUNT(*) FROM events GROUP BY learner"))
    rows = store.conn.execute(
        f"""
        SELECT e.learner, e.at, e.kind, e.payload FROM learners l JOIN events e
        ON e.id IN (SELECT id FROM events WHERE learner = l.name
                    ORDER BY id DESC LIMIT {TIMELINE_EVENTS})
        ORDER BY e.learner, e.id"""
    )
    timelines: dict[str, list[dict]] = {}
    for learner, at, kind, payload in rows:
        try:
            decoded = json.loads(payload)
        except json.JSONDecodeError:
            decoded = {"raw": payload}
        if isinstance(decoded, dict):  # `task=None` says nothing a reader needs
            decoded = {k: v for k, v in decoded.items() if v is not None}
        timelines.setdefault(learner, []).append(
            {"at": at, "kind": kind, "text": describe_event({"payload": decoded})}
        )
    return timelines, counts


def _charts(d: Dashboard) -> dict[str, str]:
    ch = d.chapter
    n = len(d.rows)
    out = {}
    counts = []
    for i in range(len(ch.items)):
        states = [r.status.items[i].state for r in d.rows]
        done, locked = states.count(DONE), states.count(LOCKED)
        counts.append((done, n - done - locked, locked))
    out["progress"] = charts.progress_chart(
        [it.id for it in ch.items],
        counts,
        f"Bar chart: learners who have done, may open, or cannot yet open each of the "
        f"{len(ch.items)} read-order items; the numbers are in the matrix below.",
    )
    out["tasks"] = charts.tasks_chart(
        [f"{t.lab_id} {t.task_id}" for t in d.tasks],
        [t.tried for t in d.tasks],
        [t.passing for t in d.tasks],
        "Bar chart: per lab task, learners who tried it and learners whose latest result "
        "passes; the numbers are in the table below.",
    )
    scores = [r.status.quiz_best for r in d.rows if r.status.quiz_best is not None]
    if scores:
        out["scores"] = charts.score_histogram(
            scores,
            ch.pass_mark,
            f"Histogram of {len(scores)} best quiz scores in 10-point bins, "
            f"{sum(s >= ch.pass_mark for s in scores)} at or above the pass mark of "
            f"{ch.pass_mark:.0%}.",
        )
    rated = [i for i in d.items or [] if i.difficulty is not None]
    if rated:
        out["items"] = charts.items_scatter(
            [i.difficulty for i in rated],
            [i.discrimination if i.discrimination is not None else 0.0 for i in rated],
            [bool(i.flag) for i in rated],
            f"Scatter plot of {len(rated)} questions: difficulty against discrimination "
            "(drawn at 0 where it is undefined, as when everyone answered alike); "
            f"{sum(bool(i.flag) for i in rated)} flagged, listed in the table below.",
        )
    if any(m.trials for ms in d.mastery.values() for m in ms):
        names = [c.outcome for c in d.mastery_cohort]
        counts = [[0] * len(VERDICTS) for _ in names]
        for ms in d.mastery.values():
            for i, m in enumerate(ms):
                counts[i][VERDICTS.index(m.verdict)] += 1
        out["mastery"] = charts.outcome_heatmap(
            names,
            counts,
            VERDICTS,
            "Heatmap: for each learning outcome, how many learners' mastery is secure, "
            "uncertain, not yet there, or without evidence; the numbers are in the table below.",
            "learners per verdict",
        )
    return out


VERDICTS = ["secure", "uncertain", "not yet", "no evidence yet"]


def render(d: Dashboard) -> str:
    """The page: one self-contained HTML document (harness/cohort/dashboard_page.py)."""
    from harness.cohort.dashboard_page import page  # it imports this module

    with _cycle_collector_paused():
        return page(d)
