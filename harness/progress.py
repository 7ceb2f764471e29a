"""Where a learner stands: each read-order item done / unlocked / locked, the latest result
of every lab task, the Definition of Done checklist, and the next step with its reason. Pure
functions over the store.

A cancelled check is not a result: every query here skips it, so stopping a check never
replaces the last real one (home, `harness status`, the lab screen, mentor views).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.chapter import Chapter, Item, Lab, Task
from harness.learning.reflections import reflection_state
from harness.store import Store

DONE, UNLOCKED, LOCKED = "done", "unlocked", "locked"


@dataclass(frozen=True)
class ItemState:
    item: Item
    state: str  # done | unlocked | locked
    waiting_for: tuple[str, ...]  # unfinished items that keep it locked


@dataclass(frozen=True)
class LabStatus:
    lab_id: str
    last_status: str | None  # None: never checked
    passed: int
    failed: int
    at: str | None


@dataclass(frozen=True)
class DodEntry:
    label: str
    done: bool
    detail: str


@dataclass(frozen=True)
class Status:
    learner: str
    items: tuple[ItemState, ...]
    labs: tuple[LabStatus, ...]
    quiz_best: float | None
    quiz_passed: bool
    quiz_attempts: int
    reflections: dict[str, str]
    dod: tuple[DodEntry, ...]
    feedback: tuple[dict, ...]

    @property
    def fraction_done(self) -> float:
        return sum(s.state == DONE for s in self.items) / len(self.items)


# Check runs that say nothing about the learner's code: they stopped because someone asked.
NOT_A_RESULT = ("cancelled",)


@dataclass(frozen=True)
class TaskState:
    """The latest result of one task, from whichever learner check ran it last (a full run
    or a `--task` run)."""

    task: Task
    status: str | None  # pass | fail | error | timeout | ...; None: never checked
    passed: int
    failed: int
    at: str | None
    run_id: int | None
    message: str  # the first failing check's message, or the run's


@dataclass(frozen=True)
class LabProgress:
    lab_id: str
    tasks: tuple[TaskState, ...]

    @property
    def done(self) -> int:
        return sum(t.status == "pass" for t in self.tasks)

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def next_task(self) -> TaskState | None:
        """The first task, in the lab's order, whose latest result is not a pass."""
        return next((t for t in self.tasks if t.status != "pass"), None)

    def state(self, task_id: str) -> TaskState:
        return next(t for t in self.tasks if t.task.id == task_id)

    def summary(self) -> str:
        """`lab-00: 3/5 tasks, next: block`."""
        text = f"{self.lab_id}: {self.done}/{self.total} tasks"
        nxt = self.next_task
        return text + (f", next: {nxt.task.id}" if nxt else ", all pass")


def last_check_run(store: Store, learner: str, lab_id: str, *, full_only: bool = True):
    """The learner's last real check run of a lab (cancelled runs skipped), or None."""
    sql = (
        "SELECT * FROM check_runs WHERE learner = ? AND lab_id = ? AND impl = 'learner' "
        f"AND status NOT IN ({', '.join('?' * len(NOT_A_RESULT))})"
    )
    if full_only:
        sql += " AND task IS NULL"
    rows = list(store.db.query(sql + " ORDER BY id DESC LIMIT 1", [learner, lab_id, *NOT_A_RESULT]))
    return rows[0] if rows else None


def lab_progress(store: Store, lab: Lab, learner: str) -> LabProgress:
    """Each task's latest result, in the lab's task order (for mentors' views too).

    A task takes its status from the last real run that covered it: a run whose scope was the
    task (or the whole lab) and that either recorded the task's checks or ended without any
    (a timeout, a crash, a file that does not import: then the run's status stands for it).
    """
    runs = list(
        store.db.query(
            "SELECT id, task, status, message, started_at FROM check_runs WHERE learner = ? "
            "AND lab_id = ? AND impl = 'learner' "
            f"AND status NOT IN ({', '.join('?' * len(NOT_A_RESULT))}) ORDER BY id DESC",
            [learner, lab.id, *NOT_A_RESULT],
        )
    )
    by_run: dict[int, list[dict]] = {}
    if runs:
        for row in store.db.query(
            "SELECT r.run_id, r.task, r.status, r.message FROM check_results r "
            "JOIN check_runs c ON c.id = r.run_id WHERE c.learner = ? AND c.lab_id = ? "
            "AND c.impl = 'learner' ORDER BY r.id",
            [learner, lab.id],
        ):
            by_run.setdefault(row["run_id"], []).append(row)
    states = []
    for task in lab.tasks:
        state = TaskState(task, None, 0, 0, None, None, "")
        for run in runs:
            if run["task"] not in (None, task.id):
                continue
            results = [r for r in by_run.get(run["id"], []) if r["task"] == task.id]
            if not results and run["status"] in ("pass", "fail"):
                continue  # the run finished without touching this task
            passed = sum(r["status"] == "pass" for r in results)
            failed = len(results) - passed
            if results and run["status"] in ("pass", "fail"):
                status = "pass" if failed == 0 else "fail"
            elif results and failed:
                status = "fail"
            else:
                status = run["status"]
            first = next((r["message"] for r in results if r["status"] != "pass"), None)
            message = first or ("" if status == "pass" else run["message"] or "")
            state = TaskState(task, status, passed, failed, run["started_at"], run["id"], message)
            break
        states.append(state)
    return LabProgress(lab.id, tuple(states))


def chapter_progress(store: Store, chapter: Chapter, learner: str) -> tuple[LabProgress, ...]:
    return tuple(lab_progress(store, lab, learner) for lab in chapter.labs)


def lab_passed(store: Store, learner: str, lab_id: str) -> bool:
    run = last_check_run(store, learner, lab_id)
    return bool(run and run["status"] == "pass")


def compute_status(store: Store, chapter: Chapter, learner: str) -> Status:
    completed = store.completed_pages(learner)
    done: set[str] = set()
    for item in chapter.items:
        if item.kind == "theory" and item.id in completed:
            done.add(item.id)
        elif item.kind == "lab" and lab_passed(store, learner, item.id):
            done.add(item.id)
    states = []
    for item in chapter.items:
        waiting = tuple(d for d in item.after if d not in done)
        state = DONE if item.id in done else (LOCKED if waiting else UNLOCKED)
        states.append(ItemState(item, state, waiting))

    labs = []
    for lab in chapter.labs:
        run = last_check_run(store, learner, lab.id)
        labs.append(
            LabStatus(
                lab.id,
                run["status"] if run else None,
                run["passed"] if run else 0,
                run["failed"] if run else 0,
                run["started_at"] if run else None,
            )
        )

    best = store.best_counted_quiz(learner, chapter.quiz_id)  # seeded practice never counts
    attempts = store.quiz_attempts(learner, chapter.quiz_id)
    best_score = best["score"] if best else None
    quiz_passed = best_score is not None and best_score >= chapter.pass_mark
    reflections = store.reflections(learner)

    dod = [
        DodEntry(f"{lab.lab_id} checks pass", lab.last_status == "pass", _lab_detail(lab))
        for lab in labs
        if lab.lab_id in chapter.dod_labs
    ]
    for prompt in chapter.reflections:  # length, subject and mentors' "needs work" marks
        state = reflection_state(store, chapter, learner, prompt)
        dod.append(DodEntry(f"reflection: {prompt.id}", state.done, state.detail))
    dod.append(
        DodEntry(
            f"quiz {chapter.quiz_id} ≥ {chapter.pass_mark:.0%}",
            quiz_passed,
            f"best {best_score:.0%}" if best_score is not None else "not attempted",
        )
    )
    return Status(
        learner,
        tuple(states),
        tuple(labs),
        best_score,
        quiz_passed,
        len(attempts),
        reflections,
        tuple(dod),
        tuple(store.feedback(learner)),
    )


def words(n: int) -> str:
    return f"{n} word" if n == 1 else f"{n} words"


def _lab_detail(lab: LabStatus) -> str:
    if lab.last_status is None:
        return "never checked"
    return f"{lab.last_status}: {lab.passed} passed, {lab.failed} failed"


def next_step(
    status: Status,
    chapter: Chapter,
    *,
    progress: tuple[LabProgress, ...] = (),
    pages_read: frozenset[str] | set[str] = frozenset(),
) -> tuple[str, str]:
    """(command, reason) for the most useful next thing to do.

    With `progress` and `pages_read` (see `next_step_for`), a lab whose walkthrough has been
    read points at its next unfinished task instead of at the walkthrough again.
    """
    for s in status.items:
        if s.state == UNLOCKED and s.item.kind == "theory":
            return (
                f"harness read {s.item.id}",
                f"'{s.item.title}' is the next page in the read order",
            )
    tasks = {p.lab_id: p for p in progress}
    for s in status.items:
        if s.state == UNLOCKED and s.item.kind == "lab":
            lab = next(x for x in status.labs if x.lab_id == s.item.id)
            lab_tasks = tasks.get(s.item.id)
            touched = lab_tasks is not None and any(t.status for t in lab_tasks.tasks)
            if s.item.id not in pages_read and lab.last_status is None and not touched:
                return (
                    f"harness read {s.item.id}",
                    f"{s.item.id} is unlocked; read its walkthrough, then run its checks",
                )
            if lab_tasks is not None:
                nxt = lab_tasks.next_task
                if nxt is not None:
                    if nxt.status is None:
                        why = "not checked yet"
                    else:
                        why = f"its last check was {nxt.status}"
                    return (
                        f"harness check {s.item.id} --task {nxt.task.id}",
                        f"{lab_tasks.done}/{lab_tasks.total} tasks of {s.item.id} pass; "
                        f"next: {nxt.task.id} ({nxt.task.title}), {why}",
                    )
                return (
                    f"harness check {s.item.id}",
                    f"every task of {s.item.id} passes on its own; check the whole lab "
                    "to record it as done",
                )
            if lab.last_status is None:
                return (f"harness check {s.item.id}", f"{s.item.id} has not been checked yet")
            return (
                f"harness check {s.item.id}",
                f"{s.item.id}'s last check was {_lab_detail(lab)}",
            )
    if not status.quiz_passed:
        return (
            f"harness quiz {chapter.quiz_id}",
            f"the quiz needs {chapter.pass_mark:.0%} and your best is "
            + (f"{status.quiz_best:.0%}" if status.quiz_best is not None else "none yet"),
        )
    for prompt in chapter.reflections:
        entry = next((e for e in status.dod if e.label == f"reflection: {prompt.id}"), None)
        if entry is not None and not entry.done:
            return ("harness tui", f"reflection '{prompt.id}' ({entry.detail}): {prompt.text}")
    return ("harness status", "the Definition of Done is complete: ask a mentor to review")


def next_step_for(
    store: Store, chapter: Chapter, learner: str, status: Status | None = None
) -> tuple[str, str]:
    """`next_step` with everything it can use: the per-task results and the pages read."""
    status = status or compute_status(store, chapter, learner)
    return next_step(
        status,
        chapter,
        progress=chapter_progress(store, chapter, learner),
        pages_read=store.completed_pages(learner),
    )
