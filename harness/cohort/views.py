"""What a mentor sees: the cohort overview, one learner's timeline, per-question quiz
statistics and reports (Markdown, CSV, JSON, HTML).

The overview answers for a whole cohort with a fixed handful of set-based queries (one per
table, grouped by learner), never a query per learner: 1,000 learners with 50 events each
cost about 90 ms of CPU (bench/mentor_overview.py, bench/RESULTS-mentor.md).
`cohort_statuses` rebuilds exactly what `harness.progress.compute_status` returns for each
learner from those bulk rows; a test holds the two to the same answer so they cannot drift.

Knows nothing of the screen: the CLI (`harness mentor`) and the TUI's MentorScreen are clients.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from harness.chapter import Chapter, ManifestError, Reflection
from harness.cohort import tasks
from harness.progress import (
    DONE,
    LOCKED,
    UNLOCKED,
    DodEntry,
    ItemState,
    LabProgress,
    LabStatus,
    Status,
    _lab_detail,
)
from harness.store import Store

try:  # when a reflection counts (length, subject, mentors' marks), as progress decides it
    from harness.learning.reflections import assess as _assess_reflection
except ImportError:  # before that module, a reflection counts once written
    _assess_reflection = None

REPORT_FORMATS = ("md", "csv", "json", "html")


@dataclass(frozen=True)
class LabCell:
    """One lab in one learner's row: the last full learner check and the last run's metric."""

    lab_id: str
    status: str | None  # pass | fail | error | ... ; None: never checked
    passed: int
    failed: int
    metric_name: str | None
    metric_value: float | None
    verified: str | None = None  # a mentor's regrade of this very run; None: not regraded
    verified_task: str | None = None  # the regrade checked only this task

    @property
    def verification(self) -> str | None:
        """What backs the result, in the words of docs/RELIABILITY.md: `verified: <status>`
        after a regrade here; a pass nobody regraded is `self-reported, not verified`."""
        if self.verified is not None:
            only = f" on {self.verified_task} only" if self.verified_task else ""
            return f"verified: {self.verified}{only}"
        return "self-reported, not verified" if self.status == "pass" else None

    @property
    def shown(self) -> str:
        text = self.status or "—"
        if self.verification is not None:
            text += f" ({self.verification})"
        if self.metric_name is not None:
            text += f" {self.metric_name}={_number(self.metric_value)}"
        return text


@dataclass(frozen=True)
class LearnerRow:
    """One learner's line in the cohort overview."""

    status: Status
    labs: tuple[LabCell, ...]
    reflection_words: dict[str, int]  # prompt id -> words of the latest text, as learners count
    last_activity: str | None  # the learner's own latest event; a mentor's feedback is not one
    tasks: tuple[LabProgress, ...] = ()  # per lab, the latest result per task (with_tasks)

    @property
    def name(self) -> str:
        return self.status.learner

    @property
    def items_done(self) -> int:
        return sum(s.state == DONE for s in self.status.items)

    @property
    def next_item(self) -> str | None:
        return next((s.item.id for s in self.status.items if s.state == UNLOCKED), None)

    @property
    def dod_done(self) -> int:
        return sum(e.done for e in self.status.dod)

    def flat(self) -> dict[str, Any]:
        """A flat mapping for CSV/JSON/HTML reports (column order is the report's)."""
        st = self.status
        out: dict[str, Any] = {
            "learner": self.name,
            "read_done": self.items_done,
            "read_total": len(st.items),
            "next_item": self.next_item,
            "dod_done": self.dod_done,
            "dod_total": len(st.dod),
        }
        for lab in self.tasks:
            out[f"{lab.lab_id}_tasks_passing"] = lab.done
            out[f"{lab.lab_id}_tasks_total"] = lab.total
            out[f"{lab.lab_id}_next_task"] = lab.next_task.task.id if lab.next_task else None
        for cell in self.labs:
            out[f"{cell.lab_id}_status"] = cell.status
            out[f"{cell.lab_id}_verification"] = cell.verification
            out[f"{cell.lab_id}_metric"] = cell.metric_name
            out[f"{cell.lab_id}_value"] = cell.metric_value
        out["quiz_best"] = st.quiz_best
        out["quiz_attempts"] = st.quiz_attempts
        out["quiz_passed"] = st.quiz_passed
        for prompt_id, n in self.reflection_words.items():
            out[f"reflection_{prompt_id}_words"] = n
        out["feedback"] = len(st.feedback)
        out["last_activity"] = self.last_activity
        return out


# --- the overview ---------------------------------------------------------------------------


def _rows(store: Store, sql: str, args: tuple = ()) -> list[tuple]:
    return store.conn.execute(sql, args).fetchall()


def _dicts(store: Store, sql: str, args: tuple = ()) -> list[dict]:
    cur = store.conn.execute(sql, args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def cohort_statuses(store: Store, chapter: Chapter) -> dict[str, Status]:
    """`compute_status` for every learner at once: one query per table, not per learner."""
    return {row.name: row.status for row in overview(store, chapter)}


def overview(store: Store, chapter: Chapter, *, with_tasks: bool = False) -> list[LearnerRow]:
    """Every learner's progress, labs, quiz, reflections and last activity, by name; with
    `with_tasks`, each lab's latest result per task too (harness/cohort/tasks.py).

    Several queries below lean on SQLite's documented "bare column" rule: with exactly one
    MAX() in a GROUP BY query, the other columns come from the row that holds the maximum.
    That picks "the last check per learner and lab" in one pass, without a self-join.
    """
    names = [r[0] for r in _rows(store, "SELECT name FROM learners ORDER BY name")]

    completed: dict[str, set[str]] = defaultdict(set)
    for learner, item in _rows(
        store, "SELECT DISTINCT learner, item_id FROM page_events WHERE event = 'completed'"
    ):
        completed[learner].add(item)

    # The last real full learner check per (learner, lab), as progress.last_check_run picks it.
    checks: dict[tuple[str, str], LabStatus] = {}
    check_ids: dict[tuple[str, str], int] = {}
    for learner, lab_id, status, passed, failed, at, run_id in _rows(
        store,
        f"""
            SELECT learner, lab_id, status, passed, failed, started_at, MAX(id)
            FROM check_runs WHERE learner IS NOT NULL AND impl = 'learner' AND task IS NULL
                AND status NOT IN ({_NOT_A_RESULT})
            GROUP BY learner, lab_id""",
    ):
        checks[learner, lab_id] = LabStatus(lab_id, status, passed, failed, at)
        check_ids[learner, lab_id] = run_id
    # A mentor's latest regrade of each run (harness/cohort/regrade.py), bare column again.
    verified = {
        run_id: (status, task)
        for run_id, status, task, _ in _rows(
            store, "SELECT run_id, status, task, MAX(id) FROM verified_runs GROUP BY run_id"
        )
    }

    # The last run's key metric: its first numeric entry, in the order the experiment wrote
    # them (record_run keeps that order), so each lab's author chooses it by writing it first.
    metrics: dict[tuple[str, str], tuple[str, float]] = {}
    for learner, lab_id, key, value, _ in _rows(
        store,
        f"""
            SELECT learner, lab_id, {_KEY_METRIC.format(part="key")},
                   {_KEY_METRIC.format(part="value")}, id
            FROM (SELECT learner, lab_id, metrics, MAX(id) AS id FROM runs
                  WHERE learner IS NOT NULL GROUP BY learner, lab_id)""",
    ):
        if key is not None:
            metrics[learner, lab_id] = (key, float(value))

    quiz: dict[str, tuple[int, float | None]] = {}
    for learner, attempts, best in _rows(
        store,
        """
            SELECT learner, COUNT(*),
                   MAX(CASE WHEN status = 'finished' AND practice = 0 THEN score END)
            FROM quiz_attempts WHERE quiz_id = ? GROUP BY learner""",
        (chapter.quiz_id,),
    ):
        quiz[learner] = (attempts, best)

    reflections: dict[str, dict[str, str]] = defaultdict(dict)
    versions: dict[tuple[str, str], int] = {}
    for learner, prompt_id, text, version in _rows(
        store,
        """
            SELECT learner, prompt_id, text, MAX(version) FROM reflections
            GROUP BY learner, prompt_id""",
    ):
        reflections[learner][prompt_id] = text
        versions[learner, prompt_id] = version
    # The latest mentor mark per (learner, prompt), as Store.reflection_marks keeps it.
    marks = {
        (row["learner"], row["prompt_id"]): row
        for row in _dicts(store, "SELECT * FROM reflection_marks ORDER BY id")
    }

    feedback: dict[str, list[dict]] = defaultdict(list)
    for row in _dicts(store, "SELECT * FROM feedback ORDER BY id"):
        feedback[row["learner"]].append(row)

    # One index seek per learner on events(learner, id): cheaper than grouping 50 events each.
    # Events a mentor causes (feedback) are in the learner's log but are not their activity.
    activity = dict(
        _rows(
            store,
            f"""
            SELECT name, (SELECT at FROM events WHERE events.learner = learners.name
                          AND kind NOT IN ({_MENTOR_EVENTS})
                          ORDER BY id DESC LIMIT 1)
            FROM learners""",
        )
    )

    progress = tasks.read(store, chapter).progress if with_tasks else {}
    never = {lab.id: LabStatus(lab.id, None, 0, 0, None) for lab in chapter.labs}
    prompts = chapter.reflections
    builder = _StatusBuilder(chapter)
    cells: dict[tuple, LabCell] = {}
    rows = []
    for name in names:
        labs = tuple(checks.get((name, lab.id)) or never[lab.id] for lab in chapter.labs)
        row_cells = []
        for lab in labs:
            key = (
                lab.lab_id,
                lab.last_status,
                lab.passed,
                lab.failed,
                metrics.get((name, lab.lab_id)),
                verified.get(check_ids.get((name, lab.lab_id))),
            )
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = LabCell(
                    *key[:4], *(key[4] or (None, None)), *(key[5] or (None, None))
                )
            row_cells.append(cell)
        attempts, best = quiz.get(name, (0, None))
        texts = reflections.get(name, {})
        status = builder.status(
            name,
            completed.get(name, set()),
            labs,
            attempts,
            best,
            texts,
            tuple(feedback.get(name, ())),
            {p.id: (versions.get((name, p.id)), marks.get((name, p.id))) for p in prompts},
        )
        n_words = {p.id: len(texts.get(p.id, "").split()) for p in chapter.reflections}
        rows.append(
            LearnerRow(
                status, tuple(row_cells), n_words, activity.get(name), progress.get(name, ())
            )
        )
    return rows


def words(n: int) -> str:
    """`1 word`, `12 words`: the unit learners see for their reflections."""
    return f"{n} word" if n == 1 else f"{n} words"


# Event kinds written into a learner's log by someone else: not the learner's activity.
MENTOR_EVENT_KINDS = ("feedback.added", "reflection.marked")
_MENTOR_EVENTS = ", ".join(f"'{k}'" for k in MENTOR_EVENT_KINDS)
# Check runs that say nothing about the code (someone stopped them): never a result.
_NOT_A_RESULT = "'cancelled'"


# The first numeric entry of a run's metrics JSON (invalid JSON: none).
_KEY_METRIC = """CASE WHEN json_valid(metrics) THEN (SELECT {part} FROM json_each(metrics)
                 WHERE type IN ('integer', 'real') LIMIT 1) END"""


class _StatusBuilder:
    """The same reasoning as progress.compute_status, over rows already fetched.

    A cohort repeats itself (most learners share a read-order state, a quiz best, a lab
    result), so each piece is built once per distinct input and shared: at 1,000 learners
    that halves the overview's time, and the parts are frozen, so sharing is safe.
    """

    def __init__(self, chapter: Chapter):
        self.chapter = chapter
        self.dod_labs = set(chapter.dod_labs)
        self.quiz_label = f"quiz {chapter.quiz_id} ≥ {chapter.pass_mark:.0%}"
        self._items: dict[frozenset[str], tuple[ItemState, ...]] = {}
        self._labs: dict[tuple, DodEntry] = {}
        self._texts: dict[tuple, DodEntry] = {}
        self._quiz: dict[float | None, DodEntry] = {}

    def items(self, done: frozenset[str]) -> tuple[ItemState, ...]:
        states = self._items.get(done)
        if states is None:
            states = []
            for item in self.chapter.items:
                waiting = tuple(d for d in item.after if d not in done)
                state = DONE if item.id in done else (LOCKED if waiting else UNLOCKED)
                states.append(ItemState(item, state, waiting))
            states = self._items[done] = tuple(states)
        return states

    def lab_entry(self, lab: LabStatus) -> DodEntry:
        key = (lab.lab_id, lab.last_status, lab.passed, lab.failed)  # not `at`: it never repeats
        entry = self._labs.get(key)
        if entry is None:
            entry = self._labs[key] = DodEntry(
                f"{lab.lab_id} checks pass", lab.last_status == "pass", _lab_detail(lab)
            )
        return entry

    def reflection_entry(
        self, prompt: Reflection, text: str, version: int | None, mark: dict | None
    ) -> DodEntry:
        text = text.strip()
        key = (prompt.id, text, version if mark else None, mark["id"] if mark else None)
        entry = self._texts.get(key)
        if entry is None:
            label = f"reflection: {prompt.id}"
            if _assess_reflection is not None:
                state = _assess_reflection(
                    prompt,
                    text,
                    min_words=getattr(self.chapter, "reflection_min_words", 0),
                    version=version,
                    mark=mark,
                )
                entry = DodEntry(label, state.done, state.detail)
            else:
                entry = DodEntry(
                    label, bool(text), words(len(text.split())) if text else "not written"
                )
            self._texts[key] = entry
        return entry

    def quiz_entry(self, best: float | None) -> DodEntry:
        entry = self._quiz.get(best)
        if entry is None:
            entry = self._quiz[best] = DodEntry(
                self.quiz_label,
                best is not None and best >= self.chapter.pass_mark,
                f"best {best:.0%}" if best is not None else "not attempted",
            )
        return entry

    def status(
        self,
        learner: str,
        completed: set[str],
        labs: tuple[LabStatus, ...],
        attempts: int,
        best: float | None,
        reflections: dict[str, str],
        feedback: tuple[dict, ...],
        marks: dict[str, tuple[int | None, dict | None]],
    ) -> Status:
        chapter = self.chapter
        passed = {lab.lab_id for lab in labs if lab.last_status == "pass"}
        done = frozenset(
            item.id
            for item in chapter.items
            if item.id in (completed if item.kind == "theory" else passed)
        )
        dod = [self.lab_entry(lab) for lab in labs if lab.lab_id in self.dod_labs]
        dod += [
            self.reflection_entry(p, reflections.get(p.id, ""), *marks[p.id])
            for p in chapter.reflections
        ]
        dod.append(self.quiz_entry(best))
        return Status(
            learner,
            self.items(done),
            labs,
            best,
            best is not None and best >= chapter.pass_mark,
            attempts,
            dict(reflections),
            tuple(dod),
            feedback,
        )


# --- one learner ----------------------------------------------------------------------------


def timeline(store: Store, learner: str) -> list[dict]:
    """The learner's events, oldest first, each with its payload decoded."""
    store._require_learner(learner)
    out = []
    for ev in store.events(learner):
        try:
            payload = json.loads(ev["payload"])
        except json.JSONDecodeError:
            payload = {"raw": ev["payload"]}
        out.append({**ev, "payload": payload})
    return out


def describe_event(event: dict) -> str:
    """One readable line for an event's payload: `lab=lab-00 status=pass passed=5`."""
    payload = event["payload"]
    if not isinstance(payload, dict):
        return str(payload)
    return " ".join(
        f"{k}={_number(v) if isinstance(v, float) else v}"
        for k, v in payload.items()
        if not isinstance(v, (dict, list))
    )


# --- quiz questions -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionReport:
    rows: list[dict]
    columns: list[str]
    note: str  # says where the numbers come from, or what is missing


def question_report(store: Store, chapter: Chapter) -> QuestionReport:
    """Per-question statistics from `harness.learning.quiz.question_stats` when the quiz
    engine has it; otherwise only how often each question was answered, and a note that says
    so."""
    try:
        quiz = importlib.import_module("harness.learning.quiz")
    except ModuleNotFoundError as exc:
        if exc.name != "harness.learning.quiz":
            raise
        quiz = None
    stats = getattr(quiz, "question_stats", None)
    loader = getattr(quiz, "load_bank", None)
    missing = "harness.learning.quiz.question_stats is not available yet"
    if stats is not None and loader is not None:
        try:
            bank = loader(chapter.quiz_bank)
        except ManifestError as exc:
            missing = f"the question bank cannot be loaded ({exc})"
        else:
            rows = [r if isinstance(r, dict) else asdict(r) for r in stats(store, bank)]
            columns = list(rows[0]) if rows else []
            return QuestionReport(
                rows,
                columns,
                "difficulty = proportion correct, discrimination = "
                "point-biserial (harness.learning.quiz.question_stats)",
            )
    rows = _dicts(
        store,
        """
        SELECT a.question_id AS question, COUNT(*) AS answered,
               COUNT(DISTINCT t.learner) AS learners
        FROM quiz_answers a JOIN quiz_attempts t ON t.id = a.attempt_id
        WHERE t.quiz_id = ? GROUP BY a.question_id ORDER BY a.question_id""",
        (chapter.quiz_id,),
    )
    return QuestionReport(
        rows,
        ["question", "answered", "learners"],
        f"{missing}: showing how often each question was answered only "
        "(no difficulty or discrimination)",
    )


# --- reports --------------------------------------------------------------------------------


def report(store: Store, chapter: Chapter, fmt: str) -> str:
    """The cohort overview as md, csv or json text; html is the mentor's dashboard
    (harness/cohort/dashboard.py), one self-contained page."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(REPORT_FORMATS)}")
    if fmt == "html":
        from harness.cohort import dashboard  # it builds on this module

        return dashboard.render(dashboard.build(store, chapter))
    rows = overview(store, chapter, with_tasks=True)
    return {"md": _markdown, "csv": _csv, "json": _json}[fmt](rows, chapter)


def table_columns(chapter: Chapter) -> list[str]:
    """Headers of the human-readable table shared by the CLI, Markdown, HTML and the TUI."""
    return (
        ["learner", "read", "next", "DoD"]
        + [lab.id for lab in chapter.labs]
        + ["quiz best", "attempts", "reflections", "feedback", "last activity"]
    )


def table_cells(row: LearnerRow, chapter: Chapter) -> list[str]:
    st = row.status
    reflections = ", ".join(f"{pid} {n}w" for pid, n in row.reflection_words.items())
    return (
        [
            row.name,
            f"{row.items_done}/{len(st.items)}",
            row.next_item or "—",
            f"{row.dod_done}/{len(st.dod)}",
        ]
        + [
            f"{lab.done}/{lab.total} {cell.shown}" if lab else cell.shown
            for cell, lab in zip(row.labs, row.tasks or [None] * len(row.labs), strict=True)
        ]
        + [
            "—" if st.quiz_best is None else f"{st.quiz_best:.0%}",
            str(st.quiz_attempts),
            reflections,
            str(len(st.feedback)),
            (row.last_activity or "—")[:16],
        ]
    )


def _markdown(rows: list[LearnerRow], chapter: Chapter) -> str:
    head = table_columns(chapter)
    lines = [
        f"# {chapter.id} — {chapter.title}: cohort report",
        "",
        f"{len(rows)} learner(s); quiz pass mark {chapter.pass_mark:.0%}; labs: tasks "
        "passing/total, the last full check, the last run's key metric; reflections: words "
        "per prompt (Nw).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in table_cells(row, chapter)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _csv(rows: list[LearnerRow], chapter: Chapter) -> str:
    out = io.StringIO()
    flat = [row.flat() for row in rows]
    if not flat:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(flat[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def report_json(rows: list[LearnerRow], chapter: Chapter) -> str:
    """The overview as one JSON document (`report --format json`, `overview --json`)."""
    return _json(rows, chapter)


def _json(rows: list[LearnerRow], chapter: Chapter) -> str:
    doc = {
        "chapter": chapter.id,
        "pass_mark": chapter.pass_mark,
        "learners": [row.flat() for row in rows],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
