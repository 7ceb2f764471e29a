"""Per-task progress: the latest result of each task from full and `--task` runs, a cancelled
check never replacing a real one, and a next step that moves on from a lab's walkthrough."""

from __future__ import annotations

import pytest

from harness.chapter import load_chapter
from harness.progress import (
    chapter_progress,
    compute_status,
    lab_progress,
    next_step,
    next_step_for,
)
from harness.store import CheckResult, Store


@pytest.fixture
def chapter():
    return load_chapter()


@pytest.fixture
def store():
    store = Store.memory()
    store.add_learner("ana")
    return store


def check(store, *, task=None, status="fail", results=(), lab="lab-00"):
    return store.record_check_run(
        learner="ana",
        lab_id=lab,
        impl="learner",
        task=task,
        status=status,
        results=[CheckResult(*r) for r in results],
        message=f"{status} run",
    )


def unlock_lab_00(store):
    for page in ("theory-00", "theory-01"):
        store.record_page("ana", page, "completed")


def test_task_runs_count_and_the_summary_names_the_next_task(store, chapter):
    lab = chapter.lab("lab-00")
    check(
        store,
        results=[
            ("test_patch", "patchify", "fail", "wrong order"),
            ("test_ln", "layernorm", "fail", "dx off"),
        ],
    )
    check(store, task="patchify", status="pass", results=[("test_patch", "patchify", "pass")])
    check(store, task="layernorm", status="pass", results=[("test_ln", "layernorm", "pass")])
    progress = lab_progress(store, lab, "ana")
    assert [t.task.id for t in progress.tasks] == [t.id for t in lab.tasks]  # the lab's order
    assert [t.status for t in progress.tasks] == ["pass", "pass", None, None, None]
    assert progress.summary() == "lab-00: 2/5 tasks, next: attention"


def test_a_later_full_run_replaces_an_earlier_task_run(store, chapter):
    check(store, task="patchify", status="pass", results=[("test_patch", "patchify", "pass")])
    check(store, results=[("test_patch", "patchify", "fail", "patches[0] = 0.5, expected 0.25")])
    state = lab_progress(store, chapter.lab("lab-00"), "ana").tasks[0]
    assert state.status == "fail" and "expected 0.25" in state.message


def test_a_timed_out_task_run_without_results_is_that_tasks_result(store, chapter):
    check(store, task="attention", status="timeout")
    states = {t.task.id: t.status for t in lab_progress(store, chapter.lab("lab-00"), "ana").tasks}
    assert states["attention"] == "timeout" and states["patchify"] is None


def test_a_cancelled_check_never_replaces_the_last_real_result(store, chapter):
    """Bug 4: a cancelled check replaced the last real result everywhere."""
    unlock_lab_00(store)
    passing = [(f"test_{t.id}", t.id, "pass") for t in chapter.lab("lab-00").tasks]
    check(store, status="pass", results=passing)
    check(store, status="cancelled")
    check(store, task="patchify", status="cancelled")
    status = compute_status(store, chapter, "ana")
    lab = next(x for x in status.labs if x.lab_id == "lab-00")
    assert lab.last_status == "pass" and lab.passed == 5
    assert next(s for s in status.items if s.item.id == "lab-00").state == "done"
    assert lab_progress(store, chapter.lab("lab-00"), "ana").done == 5


def test_next_step_moves_from_the_walkthrough_to_the_next_task(store, chapter):
    """Bug 2: after reading lab-00 the next step still said `read lab-00`, forever."""
    for page in ("theory-00", "theory-01", "theory-02", "theory-03", "theory-04"):
        store.record_page("ana", page, "completed")
    assert next_step_for(store, chapter, "ana")[0] == "harness read lab-00"
    store.record_page("ana", "lab-00", "completed")
    command, reason = next_step_for(store, chapter, "ana")
    assert command == "harness check lab-00 --task patchify"
    assert "0/5 tasks" in reason and "not checked yet" in reason
    check(store, task="patchify", status="pass", results=[("test_patch", "patchify", "pass")])
    assert next_step_for(store, chapter, "ana")[0] == "harness check lab-00 --task layernorm"


def test_every_task_passing_asks_for_the_whole_lab(store, chapter):
    for page in ("theory-00", "theory-01", "theory-02", "theory-03", "theory-04", "lab-00"):
        store.record_page("ana", page, "completed")
    for task in chapter.lab("lab-00").tasks:
        check(store, task=task.id, status="pass", results=[(f"test_{task.id}", task.id, "pass")])
    command, reason = next_step_for(store, chapter, "ana")
    assert command == "harness check lab-00" and "whole lab" in reason


def test_next_step_without_progress_keeps_its_old_answer(store, chapter):
    """Callers that only have a Status (mentor views) still get a sensible step."""
    unlock_lab_00(store)
    for page in ("theory-02", "theory-03", "theory-04"):
        store.record_page("ana", page, "completed")
    assert next_step(compute_status(store, chapter, "ana"), chapter)[0] == "harness read lab-00"


def test_one_word_is_one_word(store, chapter):
    """Bug 10: `1 words`."""
    store.save_reflection("ana", "fusion", "late")
    entry = next(e for e in compute_status(store, chapter, "ana").dod if "fusion" in e.label)
    assert entry.detail.startswith("1 word") and "1 words" not in entry.detail


def test_chapter_progress_covers_every_lab(store, chapter):
    assert [p.lab_id for p in chapter_progress(store, chapter, "ana")] == [
        lab.id for lab in chapter.labs
    ]
