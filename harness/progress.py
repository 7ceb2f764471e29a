"""Where a learner stands: each read-order item done / unlocked / locked, the Definition of
Done checklist, and the next step with its reason. Pure functions over the store."""

from __future__ import annotations

from dataclasses import dataclass

from harness.chapter import Chapter, Item
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


def lab_passed(store: Store, learner: str, lab_id: str) -> bool:
    run = store.last_check_run(learner, lab_id)
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
        run = store.last_check_run(learner, lab.id)
        labs.append(
            LabStatus(
                lab.id,
                run["status"] if run else None,
                run["passed"] if run else 0,
                run["failed"] if run else 0,
                run["started_at"] if run else None,
            )
        )

    best = store.best_quiz(learner, chapter.quiz_id)
    attempts = store.quiz_attempts(learner, chapter.quiz_id)
    best_score = best["score"] if best else None
    quiz_passed = best_score is not None and best_score >= chapter.pass_mark
    reflections = store.reflections(learner)

    dod = [
        DodEntry(f"{lab.lab_id} checks pass", lab.last_status == "pass", _lab_detail(lab))
        for lab in labs
        if lab.lab_id in chapter.dod_labs
    ]
    for prompt in chapter.reflections:
        text = reflections.get(prompt.id, "").strip()
        dod.append(
            DodEntry(
                f"reflection: {prompt.id}",
                bool(text),
                f"{len(text.split())} words" if text else "not written",
            )
        )
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


def _lab_detail(lab: LabStatus) -> str:
    if lab.last_status is None:
        return "never checked"
    return f"{lab.last_status}: {lab.passed} passed, {lab.failed} failed"


def next_step(status: Status, chapter: Chapter) -> tuple[str, str]:
    """(command, reason) for the most useful next thing to do."""
    for s in status.items:
        if s.state == UNLOCKED and s.item.kind == "theory":
            return (
                f"harness read {s.item.id}",
                f"'{s.item.title}' is the next page in the read order",
            )
    for s in status.items:
        if s.state == UNLOCKED and s.item.kind == "lab":
            lab = next(x for x in status.labs if x.lab_id == s.item.id)
            if lab.last_status is None:
                return (
                    f"harness read {s.item.id}",
                    f"{s.item.id} is unlocked; read its walkthrough, then run its checks",
                )
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
        if not status.reflections.get(prompt.id, "").strip():
            return ("harness tui", f"reflection '{prompt.id}' is not written yet: {prompt.text}")
    return ("harness status", "the Definition of Done is complete: ask a mentor to review")
