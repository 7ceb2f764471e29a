"""A learner's store and a mentor's, with a few records of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chapter import load_chapter
from harness.cohort.snapshots import record
from harness.learners import create_folders
from harness.store import CheckResult, Store


@pytest.fixture(scope="session")
def chapter():
    return load_chapter()


@pytest.fixture
def store():
    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def mentor_store():
    s = Store.memory()
    yield s
    s.close()


def make_learner(store: Store, chapter, name: str, root: Path, *, status: str = "fail") -> int:
    """A learner with folders and key, a page, a graded check run with its code, a quiz."""
    store.add_learner(name)
    create_folders(name, chapter, root)
    store.record_page(name, "theory-00", "completed")
    results = [
        CheckResult("test_patchify_shape", "patchify", "pass"),
        CheckResult("test_patchify_values", "patchify", status),
    ]
    run = store.record_check_run(
        learner=name, lab_id="lab-00", impl="learner", task=None, status=status,
        results=results, isolation="bwrap", heldout_seed=7,
    )  # fmt: skip
    record(store, run, {"patches.py": f"def patchify(x):\n    return x  # {name}\n".encode()})
    attempt = store.start_quiz_attempt(name, chapter.quiz_id, 3, 2)
    store.record_quiz_answer(attempt, "q1", 0, "a", True)
    store.finish_quiz_attempt(attempt, 0.5, False)
    store.save_reflection(name, "fusion", "Late fusion first, because it is simple.")
    return run


@pytest.fixture(scope="session")
def learner_maker():
    return make_learner
