"""Regrade a synthetic cohort: throughput per worker and the scaling from 1 to 2 workers.

A cohort of LEARNERS learners (default 60), each with a self-reported check of the first
cheap task of each of the 3 labs (lab-00 patchify, lab-01 tokenize, lab-02 frames), is made
on "learners' machines" (one store each), exported as signed bundles and imported into a
mentor's store. The code is the lab's independent correct alternative for two learners in
three and a one-bug file from the lab's mistake catalogue for the rest, every result
self-reported as a pass (so a third are forged). Then `harness.cohort.regrade` grades JOBS of
those lab runs (default 18, the same sample each time) with 1 and then 2 local worker
processes, and with 2 Dask workers on a LocalCluster (loopback), each check in the sandbox
with a fresh seed. It checks every verdict (correct code: verified pass; mutated: verified
fail) and prints throughput and speed-up.

    .venv/bin/python bench/regrade.py [--learners 60] [--jobs 18] [--no-dask]

Wall time here is dominated by each check's process start-up (pytest, bubblewrap, the
worker, NumPy): about 3 s per task check on this machine. The 2-core machine is shared, so
the 1->2 speed-up is an upper bound of what one more core gives, not a promise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.chapter import load_chapter  # noqa: E402
from harness.cohort import regrade as rg  # noqa: E402
from harness.cohort.records import export_bundle, import_bundle  # noqa: E402
from harness.cohort.snapshots import record  # noqa: E402
from harness.store import CheckResult, Store  # noqa: E402

LABS = Path(__file__).resolve().parents[1] / "labs" / "x2_multimodal"
# lab -> (task, entry file, correct alternative, one-bug files of that task)
COHORT = {
    "lab-00": ("patchify", "tiny_vit.py", "lab00/mistakes/alt_explicit_heads.py",
               ["lab00/mistakes/patchify__float64_output.py",
                "lab00/mistakes/patchify__column_major_patches.py"]),
    "lab-01": ("tokenize", "clip_lab.py", "lab01/mistakes/alt_loops_and_logsumexp.py",
               ["lab01/mistakes/tokenize__no_cls_token.py",
                "lab01/mistakes/tokenize__mask_leaves_out_cls.py"]),
    "lab-02": ("frames", "whisper_lab.py", "lab02/mistakes/alt_explicit_stft.py",
               ["lab02/mistakes/frames__keeps_the_last_frame.py",
                "lab02/mistakes/frames__stride_hard_coded.py"]),
}  # fmt: skip


def make_cohort(chapter, n: int, tmp: Path) -> tuple[Store, dict[tuple[str, str], bool]]:
    """A mentor's store with n learners' imported bundles; {(learner, lab): code is correct}."""
    mentor = Store(tmp / "mentor.db")
    truth = {}
    for i in range(n):
        name = f"learner-{i:03d}"
        store = Store.memory()
        store.add_learner(name)
        for lab_id, (task, entry, correct, mutants) in COHORT.items():
            ok = i % 3 != 2
            source = correct if ok else mutants[i % len(mutants)]
            run = store.record_check_run(
                learner=name, lab_id=lab_id, impl="learner", task=task, status="pass",
                results=[CheckResult(f"test_{task}", task, "pass")], isolation="bwrap",
                heldout_seed=i,
            )  # fmt: skip
            record(store, run, {entry: (LABS / source).read_bytes()})
            truth[name, lab_id] = ok
        bundle = export_bundle(store, chapter, name, learners_root=tmp / "learners")
        import_bundle(mentor, chapter, bundle, learners_root=tmp / "mentor-learners")
        store.close()
    return mentor, truth


WRONG: list[tuple] = []  # verdicts that did not match the code: the bench then fails


def timed(label: str, mentor: Store, chapter, jobs, truth, **where) -> float:
    t0 = time.perf_counter()
    results = rg.regrade(mentor, chapter, jobs, mentor="bench", **where)
    wall = time.perf_counter() - t0
    by_run = {r["run_id"]: r for r in results}
    wrong = [
        (j.learner, j.lab_id, by_run[j.run_id]["status"])
        for j in jobs
        if (by_run[j.run_id]["status"] == "pass") != truth[j.learner, j.lab_id]
    ]
    workers = where.get("workers", 2)
    print(
        f"{label:<26} {len(jobs)} lab runs in {wall:6.1f} s: {len(jobs) / wall:5.2f} runs/s, "
        f"{len(jobs) / wall / workers:5.2f} runs/s per worker; verdicts wrong: {len(wrong)}"
    )
    if wrong:
        print("  wrong:", wrong[:5])
        WRONG.extend(wrong)
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=18, help="lab runs regraded per setting")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    chapter = load_chapter()
    with tempfile.TemporaryDirectory(prefix="x2-bench-regrade-") as tmp:
        t0 = time.perf_counter()
        mentor, truth = make_cohort(chapter, args.learners, Path(tmp))
        made = time.perf_counter() - t0
        jobs = rg.pending(mentor, chapter)
        print(
            f"cohort: {args.learners} learners x {len(COHORT)} labs = {len(jobs)} lab runs, "
            f"exported, signed and imported in {made:.1f} s"
        )
        step = max(1, len(jobs) // args.jobs)
        sample = jobs[::step][: args.jobs]
        one = timed("local pool, 1 worker", mentor, chapter, sample, truth, workers=1)
        two = timed("local pool, 2 workers", mentor, chapter, sample, truth, workers=2)
        print(f"1 -> 2 local workers: {one / two:.2f}x")
        if not args.no_dask:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None,
                ) as cluster,
                Client(cluster) as client,
            ):  # fmt: skip
                dask = timed("Dask LocalCluster, 2", mentor, chapter, sample, truth,
                             scheduler=client)  # fmt: skip
            print(f"Dask 2 workers vs local 1: {one / dask:.2f}x")
        t0 = time.perf_counter()
        pairs = rg.cohort_similarity(mentor, chapter)
        print(
            f"pairwise similarity over the cohort's {len(jobs)} lab runs in "
            f"{time.perf_counter() - t0:.1f} s: {len(pairs)} (learner pair, task) flagged >= 0.9 "
            "(the synthetic learners share a few files, so most pairs are copies)"
        )
        mentor.close()
    return 1 if WRONG else 0


if __name__ == "__main__":
    raise SystemExit(main())
