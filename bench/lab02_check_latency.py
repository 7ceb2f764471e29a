"""Lab 02: how long one task's checks take with `--task`, per task (issue 18, target 1).

    .venv/bin/python bench/lab02_check_latency.py [--runs 3] [--cold]

Each of lab 02's tasks is checked on the reference (`run_checks(..., reference=True,
task=T)`, the path of `harness check lab-02 --reference --task T`), `--runs` times, and the
median is printed against the 5 s target. Whisper's outputs that the cross_attention and
timestamps checks read (`model_outputs`) are cached after their first use on a machine; the
first pass below fills the cache if needed and is reported separately. `--cold` also times
each task once with an empty outputs cache (a temporary X2_CACHE_DIR holding only a link to
the converted weights): what the very first check of those tasks costs on a new machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 5.0


def check_task(chapter, task: str) -> float:
    from harness.grading.checks import run_checks

    t0 = time.perf_counter()
    outcome = run_checks(chapter, "lab-02", reference=True, task=task)
    if outcome.status != "pass":
        sys.exit(f"lab-02 {task}: the reference did not pass: {outcome.message}")
    return time.perf_counter() - t0


def cold_cache() -> Path:
    """A cache folder with the converted weights (linked) and no model outputs."""
    from labs.x2_multimodal.lab02.whisper_model import cache_dir

    folder = Path(tempfile.mkdtemp(prefix="x2-cold-"))
    for weights in cache_dir().glob("*.safetensors"):
        (folder / weights.name).symlink_to(weights)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also time each task once, cold")
    args = parser.parse_args()
    os.environ["HARNESS_LEARNERS"] = tempfile.mkdtemp(prefix="x2-lab02-latency-")
    from harness.chapter import load_chapter

    chapter = load_chapter()
    tasks = [t.id for t in chapter.lab("lab-02").tasks]
    print(f"load average {os.getloadavg()[0]:.1f}")
    first = {task: check_task(chapter, task) for task in tasks}  # fills the outputs cache
    runs = {task: [check_task(chapter, task) for _ in range(args.runs)] for task in tasks}
    cold = {}
    if args.cold:
        os.environ["X2_CACHE_DIR"] = str(cold_cache())
        cold = {task: check_task(chapter, task) for task in tasks}
    print("| task | first pass (s) | median of runs (s) | cold outputs cache (s) | <= 5 s |")
    print("|---|---|---|---|---|")
    missed = 0
    for task in tasks:
        median = statistics.median(runs[task])
        missed += median > TARGET_S
        cold_s = f"{cold[task]:.1f}" if task in cold else "-"
        verdict = "met" if median <= TARGET_S else "MISSED"
        print(f"| {task} | {first[task]:.1f} | {median:.1f} | {cold_s} | {verdict} |")
    print(f"load average {os.getloadavg()[0]:.1f}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
