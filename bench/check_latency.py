"""Where the learner waits on a check: time to first failure, one task, the whole reference.

For every lab, in one run on this machine (medians of --runs):
  first failure  `harness check LAB` on the untouched starter: from the call to the first
                 failing check reported (target <= 3 s)
  one task       `harness check LAB --task T` on finished code (the reference) for the
                 lab's slowest non-training task (target <= 5 s)
  full reference `harness check LAB --reference` (targets: lab 00 and 01 <= 15 s, lab 02
                 <= 30 s)

    .venv/bin/python bench/check_latency.py [--runs 3] [--skip-full]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

TASKS = {"lab-00": "block", "lab-01": "info_nce", "lab-02": "log_mel"}
TARGETS = {"first": 3.0, "task": 5.0, "full": {"lab-00": 15.0, "lab-01": 15.0, "lab-02": 30.0}}


def first_failure(chapter, lab_id: str, store) -> float:
    from harness.grading.checks import run_checks

    seen: list[float] = []
    t0 = time.perf_counter()

    def on_progress(p) -> None:
        if p.status in ("fail", "error") and not seen:
            seen.append(time.perf_counter() - t0)

    outcome = run_checks(chapter, lab_id, learner="stub", store=store, on_progress=on_progress)
    if outcome.status == "pass" or not seen:
        sys.exit(f"{lab_id}: the starter did not fail ({outcome.status}: {outcome.message})")
    return seen[0]


def timed(chapter, lab_id: str, task: str | None) -> float:
    from harness.grading.checks import run_checks

    t0 = time.perf_counter()
    outcome = run_checks(chapter, lab_id, reference=True, task=task)
    if outcome.status != "pass":
        sys.exit(f"{lab_id} {task}: the reference did not pass: {outcome.message}")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    os.environ["HARNESS_LEARNERS"] = tempfile.mkdtemp(prefix="x2-latency-")
    from harness.chapter import load_chapter
    from harness.grading import isolation
    from harness.learners import create_folders
    from harness.store import Store

    chapter = load_chapter()
    store = Store(":memory:")
    store.add_learner("stub")
    create_folders("stub", chapter)
    print(f"isolation: {isolation.detect().kind}; load average {os.getloadavg()[0]:.1f}")
    missed = []
    for lab in chapter.labs:
        rows = {
            "first": [first_failure(chapter, lab.id, store) for _ in range(args.runs)],
            "task": [timed(chapter, lab.id, TASKS[lab.id]) for _ in range(args.runs)],
        }
        if not args.skip_full:
            rows["full"] = [timed(chapter, lab.id, None) for _ in range(args.runs)]
        for what, values in rows.items():
            median = statistics.median(values)
            target = TARGETS[what][lab.id] if what == "full" else TARGETS[what]
            verdict = "met" if median <= target else "MISSED"
            if verdict == "MISSED":
                missed.append(f"{lab.id} {what}")
            label = f"{what} ({TASKS[lab.id]})" if what == "task" else what
            runs = ", ".join(f"{v:.1f}" for v in values)
            print(f"{lab.id}  {label:<18} median {median:6.2f} s  target {target:4.0f} s  "
                  f"{verdict}   [{runs}]")  # fmt: skip
    if missed:
        print("missed: " + ", ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
