"""Lab tasks across a cohort: each learner's latest result per task (what
`harness.progress.lab_progress` says, for everyone at once), their history with each task, and
where the cohort gets stuck (how many tried each task, pass it now, how long the first pass
took, how failing checks ended).

Set-based: the learner check runs and their results are each read once for the whole cohort,
never a query per learner. A try is a run that reported results for the task; a task passes
in a run when every one of its checks did. Cancelled runs are never results.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from harness.chapter import Chapter, Task
from harness.progress import LabProgress, TaskState
from harness.store import Store


@dataclass(frozen=True)
class TaskRecord:
    """One learner's history with one task."""

    tries: int  # check runs that reported on the task
    latest_pass: bool
    first_try: str
    first_pass: str | None  # when the task first passed, if ever
    tries_to_pass: int | None  # runs up to and including the first pass
    latest_run: int  # check_runs.id of the latest run that reported on the task


@dataclass(frozen=True)
class TaskSummary:
    """Where a cohort stands on one task."""

    lab_id: str
    task_id: str
    title: str
    tried: int  # learners whose checks reported on it at least once
    passing: int  # learners whose latest result passes
    stuck: int  # tried, and the latest result does not pass
    median_tries_to_pass: float | None
    median_hours_to_pass: float | None  # first try -> first pass, over those who passed
    failure_kinds: tuple[tuple[str, int], ...]  # how failing checks ended, most common first
    hinted: int = 0  # learners who revealed at least one of its graded hints
    mean_hints: float | None = None  # hints revealed, over those learners


def stuck_tasks(chapter: Chapter, cohort: CohortTasks, hints: list[dict] = ()) -> list[TaskSummary]:
    """Every task of every lab, in the chapter's order, with the cohort's numbers. "Passing
    now" is the task's latest result as the learner's own status shows it (a timeout after a
    pass is not a pass)."""
    by_task: dict[tuple[str, str], list[TaskRecord]] = defaultdict(list)
    passing: Counter = Counter()
    for (_learner, lab_id, task), rec in cohort.records.items():
        by_task[lab_id, task].append(rec)
    for labs in cohort.progress.values():
        for lab in labs:
            for t in lab.tasks:
                if t.status == "pass":
                    passing[lab.lab_id, t.task.id] += 1
    kinds = cohort.failure_kinds
    revealed: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in hints:  # Store.hints_used(): one row per learner and task, `hints` = top level
        revealed[row["lab_id"], row["task"]].append(row["hints"])
    out = []
    for lab in chapter.labs:
        for task in lab.tasks:
            recs = by_task.get((lab.id, task.id), [])
            passed = [r for r in recs if r.first_pass is not None]
            hours = [_hours(r.first_try, r.first_pass) for r in passed]
            hours = [h for h in hours if h is not None]
            out.append(
                TaskSummary(
                    lab.id,
                    task.id,
                    task.title,
                    tried=len(recs),
                    passing=passing[lab.id, task.id],
                    stuck=len(recs) - passing[lab.id, task.id],
                    median_tries_to_pass=(
                        statistics.median(r.tries_to_pass for r in passed) if passed else None
                    ),
                    median_hours_to_pass=statistics.median(hours) if hours else None,
                    failure_kinds=tuple(kinds.get((lab.id, task.id), Counter()).most_common()),
                    hinted=len(revealed.get((lab.id, task.id), ())),
                    mean_hints=(
                        statistics.mean(revealed[lab.id, task.id])
                        if revealed.get((lab.id, task.id))
                        else None
                    ),
                )
            )
    return out


def _hours(start: str, end: str | None) -> float | None:
    if end is None:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except (TypeError, ValueError):
        return None
    return max(delta.total_seconds(), 0.0) / 3600


# --- one read for the whole cohort ----------------------------------------------------------


@dataclass(frozen=True)
class CohortTasks:
    records: dict[tuple[str, str, str], TaskRecord]  # (learner, lab, task) -> history
    progress: dict[str, tuple[LabProgress, ...]]  # learner -> progress.chapter_progress
    failure_kinds: dict[tuple[str, str], Counter]  # (lab, task) -> how failing checks ended


def read(store: Store, chapter: Chapter) -> CohortTasks:
    """Both views of the cohort's check records; `progress[learner]` equals
    `progress.chapter_progress(store, chapter, learner)` (a test holds them equal)."""
    runs: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    lab_of: dict[int, str] = {}
    for row in store.conn.execute(
        "SELECT id, learner, lab_id, task, status, message, started_at FROM check_runs "
        "WHERE learner IS NOT NULL AND impl = 'learner' AND status != 'cancelled' "
        "ORDER BY id DESC"
    ):
        runs[row[1], row[2]].append(row)
        lab_of[row[0]] = row[2]
    # (run, task) -> [checks, failed, first failing check's message]
    per: dict[tuple[int, str], list] = {}
    reported: dict[int, list[str]] = defaultdict(list)  # run -> tasks it has results for
    # Every result, in id order (the table's own order: no join, no sort); those of runs
    # not kept above (reference runs, cancelled ones) are never looked up.
    kinds: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for run_id, task, status, message, kind in store.conn.execute(
        "SELECT run_id, task, status, message, kind FROM check_results ORDER BY id"
    ):
        cell = per.get((run_id, task))
        if cell is None:
            cell = per[run_id, task] = [0, 0, None]
            if task is not None:
                reported[run_id].append(task)
        cell[0] += 1
        if status != "pass":
            cell[1] += 1
            if cell[1] == 1:
                cell[2] = message
            if kind is not None and task is not None and run_id in lab_of:
                kinds[lab_of[run_id], task][kind] += 1
    records: dict[tuple[str, str, str], TaskRecord] = {}
    for (learner, lab_id), history in runs.items():
        for key, rec in _histories(history, per, reported).items():
            records[learner, lab_id, key] = rec
    names = [r[0] for r in store.conn.execute("SELECT name FROM learners ORDER BY name")]
    progress = {
        name: tuple(
            LabProgress(
                lab.id, tuple(_state(t, runs.get((name, lab.id), []), per) for t in lab.tasks)
            )
            for lab in chapter.labs
        )
        for name in names
    }
    return CohortTasks(records, progress, dict(kinds))


def _histories(history: list[tuple], per: dict, reported: dict) -> dict[str, TaskRecord]:
    """task -> its record, from one learner's runs of one lab (newest first)."""
    # [tries, latest failed, first try, first pass, tries to pass, latest run]
    acc: dict[str, list] = {}
    for run_id, _learner, _lab, _scope, _status, _message, at in reversed(history):
        for task in reported.get(run_id, ()):
            failed = per[run_id, task][1]
            rec = acc.get(task)
            if rec is None:
                rec = acc[task] = [0, 0, at, None, None, 0]
            rec[0] += 1
            rec[1], rec[5] = failed, run_id
            if failed == 0 and rec[3] is None:
                rec[3], rec[4] = at, rec[0]
    return {
        task: TaskRecord(tries, failed == 0, first, first_pass, to_pass, run)
        for task, (tries, failed, first, first_pass, to_pass, run) in acc.items()
    }


def _state(task: Task, history: list[tuple], per: dict) -> TaskState:
    """The same decision as progress.lab_progress, over rows already read."""
    for run_id, _learner, _lab, scope, run_status, run_message, at in history:
        if scope not in (None, task.id):
            continue
        checks, failed, first = per.get((run_id, task.id), (0, 0, None))
        if not checks and run_status in ("pass", "fail"):
            continue  # the run finished without touching this task
        if checks and run_status in ("pass", "fail"):
            status = "pass" if failed == 0 else "fail"
        elif checks and failed:
            status = "fail"
        else:
            status = run_status
        message = first or ("" if status == "pass" else run_message or "")
        return TaskState(task, status, checks - failed, failed, at, run_id, message)
    return TaskState(task, None, 0, 0, None, None, "")
