"""Run catalogue entries through the real grading path (`run_checks`), in parallel."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.chapter import Chapter
from harness.grading.catalogue import Entry
from harness.grading.checks import CheckOutcome, run_checks
from harness.learners import lab_dir

WORKERS = 2  # the machine has two cores, shared


def run_entry(chapter: Chapter, lab_id: str, entry: Entry, task: str, root: Path) -> CheckOutcome:
    """Grade `entry` as learner code on one task; each run gets its own learner folder, whose
    entry file is the entry's whole text (`Entry.source`: a mistake with a base composed over it),
    graded as a standalone file like any learner's."""
    lab = chapter.lab(lab_id)
    digest = hashlib.sha1(f"{lab_id}/{entry.name}/{task}".encode()).hexdigest()[:10]
    learner = f"gate-{digest}"
    folder = lab_dir(learner, chapter, lab_id, root)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{lab.entry}.py").write_text(entry.source, encoding="utf-8")
    return run_checks(chapter, lab_id, learner=learner, task=task)


def run_all(chapter: Chapter, jobs: list[tuple[str, Entry, str]], root: Path) -> list:
    """[(lab_id, entry, task)] -> [(lab_id, entry, task, outcome)], in the same order.
    The longest runs (whole suites, task None) start first so the pool ends together."""
    order = sorted(range(len(jobs)), key=lambda i: jobs[i][2] is not None)
    with ThreadPoolExecutor(WORKERS) as pool:
        done = {i: pool.submit(run_entry, chapter, *jobs[i][:1], jobs[i][1], jobs[i][2], root)
                for i in order}  # fmt: skip
        return [(*jobs[i], done[i].result()) for i in range(len(jobs))]


def base_name(test_name: str) -> str:
    return test_name.split("[", 1)[0]
