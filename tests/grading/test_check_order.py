"""Checks run in the lab's task order, cheap ones first; a stub never waits for a model."""

from __future__ import annotations

import pytest

from harness.chapter import load_chapter
from harness.grading.checks import run_checks
from harness.learners import create_folders
from harness.store import Store


@pytest.fixture
def stub(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path / "learners"))
    chapter = load_chapter()
    store = Store(tmp_path / "progress.db")
    store.add_learner("stub")
    create_folders("stub", chapter)
    yield chapter, store
    store.close()


def test_lab_02_stubs_fail_without_loading_whisper(stub):
    chapter, store = stub
    progress = []
    outcome = run_checks(
        chapter, "lab-02", learner="stub", store=store, on_progress=progress.append
    )
    assert outcome.status == "fail" and outcome.passed == 0
    tasks = [t.id for t in chapter.lab("lab-02").tasks]
    ran = [r.task for r in outcome.results]
    assert ran == sorted(ran, key=tasks.index), "the lab's task order"
    rows = store.check_results(outcome.run_id)
    waiting = [r for r in rows if r["kind"] == "not_run"]
    assert len(waiting) >= 3, "the checks that may load Whisper wait for the cheap ones"
    assert all("cheaper check of this task" in r["message"] for r in waiting)
    assert "test_alignment_on_whisper_cross_attention_orders_the_words" in {
        r["name"] for r in waiting
    }
    for task in tasks:  # within a task, a check that ran comes before those that did not
        kinds = [r["kind"] for r in rows if r["task"] == task]
        assert kinds == sorted(kinds, key=lambda k: k == "not_run"), (task, kinds)
    starts = [p for p in progress if p.status is None]
    assert [p.index for p in starts] == list(range(1, len(outcome.results) + 1))
    assert all(p.total == len(outcome.results) for p in progress)


def test_a_folder_of_lab_files_is_graded_like_a_learners_own(tmp_path, stub):
    """What a mentor's regrade does with a snapshot: grade the files in a folder."""
    import shutil

    chapter, _ = stub
    lab = chapter.lab("lab-00")
    folder = tmp_path / "snapshot"
    shutil.copytree(lab.starter_dir, folder)
    outcome = run_checks(chapter, "lab-00", folder=folder, task="patchify")
    assert outcome.status == "fail" and outcome.passed == 0 and outcome.impl == "learner"
    assert (folder / "results.json").is_file() and outcome.run_id is None
    with pytest.raises(ValueError, match="not both"):
        run_checks(chapter, "lab-00", folder=folder, reference=True)
