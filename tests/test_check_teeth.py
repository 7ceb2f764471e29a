"""The course author's self-test (`rustlings dev check` in spirit): for every lab, every DoD
check passes on the reference and fails on the untouched starter stubs. A check that a stub
passes has no teeth."""

import pytest

from harness.chapter import load_chapter
from harness.grading.checks import run_checks
from harness.learners import create_folders
from harness.store import Store

CHAPTER = load_chapter()


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", [lab.id for lab in CHAPTER.labs])
def test_every_check_passes_on_the_reference_and_fails_on_the_stubs(lab_id, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path))
    store = Store(tmp_path / "progress.db")
    store.add_learner("stub")
    create_folders("stub", CHAPTER, tmp_path)

    reference = run_checks(CHAPTER, lab_id, reference=True, store=store)
    not_passing = [(r.name, r.message) for r in reference.results if r.status != "pass"]
    assert reference.status == "pass" and not not_passing, (reference.message, not_passing)
    assert len(reference.results) >= 3

    # run_all: every check must fail on its own, not only because a cheaper one failed first
    stub = run_checks(CHAPTER, lab_id, learner="stub", store=store, run_all=True)
    assert {r.name for r in stub.results} == {r.name for r in reference.results}
    passing = [r.name for r in stub.results if r.status == "pass"]
    assert not passing, f"checks a stub passes (no teeth): {passing}"
    assert stub.status == "fail"

    tasks = {t.id for t in CHAPTER.lab(lab_id).tasks}
    assert {r.task for r in reference.results} == tasks, "every task has at least one check"
    assert store.last_check_run("stub", lab_id)["status"] == "fail"
