"""Lab tasks across a cohort: each learner's latest result per task, and where learners get
stuck (how many tried each task, how many pass it now, how long the first pass took).

Set-based: one query over check results for the whole cohort, grouped by learner and task,
never a query per learner. A task's result in a run is a pass when every check of that task
passed in it; runs without results for the task (a timeout before any check, a file that does
not import) do not count as tries here. Cancelled runs are never results.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from harness.chapter import Chapter
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
    tried: int  # learners who ran its checks at least once
    passing: int  # learners whose latest result passes
    stuck: int  # tried, and the latest result does not pass
    median_tries_to_pass: float | None
    median_hours_to_pass: float | None  # first try -> first pass, over those who passed
    failure_kinds: tuple[tuple[str, int], ...]  # how failing checks ended, most common first


# Per (run, task): how many of the task's checks did not pass. Grouping by run_id walks the
# runs in id order, which is each learner's chronological order: no further sort needed.
_PER_TASK = """
SELECT c.learner, c.lab_id, r.task, r.run_id, c.started_at, SUM(r.status != 'pass')
FROM check_results r JOIN check_runs c ON c.id = r.run_id
WHERE c.learner IS NOT NULL AND c.impl = 'learner' AND c.status != 'cancelled'
      AND r.task IS NOT NULL
GROUP BY r.run_id, r.task ORDER BY r.run_id, r.task
"""

_FAILURE_KINDS = """
SELECT c.lab_id, r.task, r.kind, COUNT(*)
FROM check_results r JOIN check_runs c ON c.id = r.run_id
WHERE c.learner IS NOT NULL AND c.impl = 'learner' AND c.status != 'cancelled'
      AND r.status != 'pass' AND r.kind IS NOT NULL AND r.task IS NOT NULL
GROUP BY c.lab_id, r.task, r.kind
"""


def task_records(store: Store) -> dict[tuple[str, str, str], TaskRecord]:
    """(learner, lab, task) -> that learner's record with the task."""
    # [tries, latest_bad, first_try, first_pass, tries_to_pass, latest_run]
    acc: dict[tuple[str, str, str], list] = {}
    for learner, lab_id, task, run_id, at, bad in store.conn.execute(_PER_TASK):
        rec = acc.get((learner, lab_id, task))
        if rec is None:
            rec = acc[learner, lab_id, task] = [0, 0, at, None, None, 0]
        rec[0] += 1
        rec[1], rec[5] = bad, run_id
        if bad == 0 and rec[3] is None:
            rec[3], rec[4] = at, rec[0]
    return {
        key: TaskRecord(tries, bad == 0, first, first_pass, to_pass, run)
        for key, (tries, bad, first, first_pass, to_pass, run) in acc.items()
    }


def stuck_tasks(
    store: Store, chapter: Chapter, records: dict[tuple[str, str, str], TaskRecord] | None = None
) -> list[TaskSummary]:
    """Every task of every lab, in the chapter's order, with the cohort's numbers."""
    records = task_records(store) if records is None else records
    by_task: dict[tuple[str, str], list[TaskRecord]] = defaultdict(list)
    for (_learner, lab_id, task), rec in records.items():
        by_task[lab_id, task].append(rec)
    kinds: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for lab_id, task, kind, n in store.conn.execute(_FAILURE_KINDS):
        kinds[lab_id, task][kind] += n
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
                    passing=sum(r.latest_pass for r in recs),
                    stuck=sum(not r.latest_pass for r in recs),
                    median_tries_to_pass=(
                        statistics.median(r.tries_to_pass for r in passed) if passed else None
                    ),
                    median_hours_to_pass=statistics.median(hours) if hours else None,
                    failure_kinds=tuple(kinds[lab.id, task.id].most_common()),
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
