"""What the OS sandbox costs a check: bubblewrap vs the plain subprocess path, one run.

Each round runs the same checks twice, once confined by bwrap and once with
HARNESS_ISOLATION=none (limits and the audit hook only, the path before the sandbox), in
alternating order so that load on the shared machine falls on both. Reports the median
wall time of each and their ratio; the target is bwrap <= 1.10x.

    .venv/bin/python bench/grading_sandbox.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

# (lab, task): cheap tasks of every lab, so the sandbox's start-up cost is not hidden by
# a long computation; the reference is graded, confined like learner code.
CASES = [("lab-00", "attention"), ("lab-01", "info_nce"), ("lab-02", "log_mel")]
TARGET = 1.10


def one_check(lab: str, task: str, isolated: bool) -> float:
    from harness.chapter import load_chapter
    from harness.grading import isolation
    from harness.grading.checks import run_checks

    if isolated:
        os.environ.pop("HARNESS_ISOLATION", None)
    else:
        os.environ["HARNESS_ISOLATION"] = "none"
    isolation.detect.cache_clear()
    t0 = time.perf_counter()
    outcome = run_checks(load_chapter(), lab, reference=True, task=task)
    elapsed = time.perf_counter() - t0
    if outcome.status != "pass" or outcome.isolation != ("bwrap" if isolated else "none"):
        sys.exit(f"{lab} {task}: {outcome.status} under {outcome.isolation}: {outcome.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from harness.grading import isolation

    if not isolation.detect().sandboxed:
        print(f"SKIP: no sandbox here ({isolation.detect().detail})")
        return
    os.environ["HARNESS_LEARNERS"] = tempfile.mkdtemp(prefix="x2-bench-")
    times: dict[bool, list[float]] = {True: [], False: []}
    for r in range(args.rounds):
        for isolated in (True, False) if r % 2 == 0 else (False, True):
            times[isolated].append(sum(one_check(lab, task, isolated) for lab, task in CASES))
    sandboxed, plain = statistics.median(times[True]), statistics.median(times[False])
    ratio = sandboxed / plain
    cases = ", ".join(f"{lab} --task {task}" for lab, task in CASES)
    print(f"checks: {cases} (reference), {args.rounds} rounds, alternating")
    print(f"bwrap   median {sandboxed:.2f} s  (all: {', '.join(f'{t:.2f}' for t in times[True])})")
    print(f"none    median {plain:.2f} s  (all: {', '.join(f'{t:.2f}' for t in times[False])})")
    print(
        f"ratio   {ratio:.3f}x (target <= {TARGET:.2f}x): {'met' if ratio <= TARGET else 'MISSED'}"
    )
    if ratio > TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
