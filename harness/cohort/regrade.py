"""A mentor's regrade: the learner's graded code, checked again on the mentor's machine.

A learner's records are self-reported: whatever their machine recorded, its owner could have
rewritten (and signed). For each learner and lab, the latest counted check run that kept its
code (`snapshots.py`) is graded again here, in the sandbox, with a fresh held-out seed drawn
by the mentor's process, and the result is stored in `verified_runs` beside the self-reported
run: who regraded, when, with which harness version, under which isolation, with which seed.
Views then say for each lab "verified: pass", "verified: fail" or "self-reported, not
verified", and flag a self-reported pass that the regrade does not confirm.

Where the checks run: a local process pool by default (`workers`), or a Dask distributed
cluster (`scheduler="tcp://HOST:PORT"`, `pip install -e '.[cluster]'`). Either way the task
is `grade_job`: it gets the lab files as bytes, extracts them to a temporary folder on the
worker, runs the sandboxed checks with `store=None` and returns plain data. Workers never
touch the store; only this process writes records. Knows nothing of the screen.
"""

from __future__ import annotations

import getpass
import json
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import combinations
from multiprocessing import get_context
from pathlib import Path

import harness
from harness.chapter import Chapter
from harness.cohort import snapshots
from harness.grading.similarity import SIMILARITY_FLAG
from harness.store import Store, now

VERIFIED = "verified"
REFERENCE = "(reference)"  # not a learner name: similarity to the reference solution
SELF_REPORTED = "self-reported, not verified"


@dataclass(frozen=True)
class Job:
    """One regrade: plain data, so it can cross to a process or a Dask worker."""

    run_id: int
    learner: str
    lab_id: str
    task: str | None
    snapshot: str
    files: dict[str, bytes]
    heldout_seed: int
    chapter_path: str


def pending(
    store: Store,
    chapter: Chapter,
    *,
    learners: Iterable[str] | None = None,
    task: str | None = None,
) -> list[Job]:
    """Per learner and lab, the latest counted full check that kept its code (else the latest
    task check that did); `task` regrades only that task of it (faster, and said so)."""
    wanted = set(learners) if learners is not None else None
    sql = (
        "SELECT r.id, r.learner, r.lab_id, r.task FROM check_runs r WHERE r.impl = 'learner' "
        "AND r.learner IS NOT NULL AND r.status != 'cancelled' AND EXISTS (SELECT 1 FROM "
        "snapshot_files f WHERE f.run_id = r.id) ORDER BY r.id"
    )
    latest: dict[tuple[str, str], tuple[int, str | None]] = {}
    with store._lock:
        rows = store.conn.execute(sql).fetchall()
    for run_id, learner, lab_id, run_task in rows:
        if wanted is not None and learner not in wanted:
            continue
        if task is not None and run_task not in (None, task):
            continue
        kept = latest.get((learner, lab_id))
        if kept is None or run_task is None or kept[1] is not None:
            latest[(learner, lab_id)] = (run_id, run_task)
    jobs = []
    for (learner, lab_id), (run_id, run_task) in sorted(latest.items()):
        files = snapshots.files(store, run_id)
        jobs.append(
            Job(
                run_id=run_id,
                learner=learner,
                lab_id=lab_id,
                task=task or run_task,
                snapshot=snapshots.snapshot_id(snapshots.listing(store, run_id)),
                files=files,
                heldout_seed=secrets.randbelow(2**31),
                chapter_path=str(chapter.source),
            )
        )
    return jobs


def grade_job(job: Job) -> dict:
    """The worker's task: grade the snapshot in the sandbox; return data, write no record.
    A failure of the harness itself comes back as an `error` result, never as a lost job."""
    try:
        return _grade(job)
    except Exception as exc:  # recorded as what it is: the regrade could not grade this code
        return {
            "run_id": job.run_id, "status": "error", "results": [], "isolation": "none",
            "message": f"the regrade could not run: {type(exc).__name__}: {exc}",
            "heldout_seed": job.heldout_seed, "duration_s": 0.0, "similarity": {},
        }  # fmt: skip


def _grade(job: Job) -> dict:
    from harness.chapter import load_chapter
    from harness.grading.checks import run_checks

    chapter = load_chapter(job.chapter_path)
    lab = chapter.lab(job.lab_id)
    with tempfile.TemporaryDirectory(prefix="x2-regrade-") as tmp:
        folder = snapshots.extract(job.files, Path(tmp) / job.lab_id)
        if not (folder / f"{lab.entry}.py").is_file():
            return {
                "run_id": job.run_id, "status": "error", "results": [], "isolation": "none",
                "message": f"the snapshot has no {lab.entry}.py", "heldout_seed": job.heldout_seed,
                "duration_s": 0.0, "similarity": {},
            }  # fmt: skip
        outcome = run_checks(
            chapter,
            job.lab_id,
            folder=folder,
            store=None,
            task=job.task,
            heldout_seed=job.heldout_seed,
        )
    return {
        "run_id": job.run_id,
        "status": outcome.status,
        "message": outcome.message,
        "results": [
            {"name": r.name, "task": r.task, "status": r.status, "kind": r.kind}
            for r in outcome.results
        ],
        "isolation": outcome.isolation,
        "heldout_seed": outcome.heldout_seed,
        "duration_s": outcome.duration_s,
        "similarity": outcome.similarity,
    }


def _local(jobs: list[Job], workers: int) -> Iterator[tuple[Job, dict]]:
    if workers <= 1:
        for job in jobs:
            yield job, grade_job(job)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(grade_job, job): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _dask(jobs: list[Job], scheduler: str | object) -> Iterator[tuple[Job, dict]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise RuntimeError(
            "--scheduler needs Dask distributed: pip install -e '.[cluster]'"
        ) from None
    try:
        client = scheduler if hasattr(scheduler, "submit") else Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RuntimeError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one "
            "(`dask scheduler`, then `dask worker tcp://HOST:PORT` on each machine) or drop "
            "--scheduler to grade on local processes"
        ) from None
    try:
        futures = {client.submit(grade_job, job, pure=False): job for job in jobs}
        for future in dask_completed(list(futures)):
            yield futures[future], future.result()
    finally:
        if client is not scheduler:
            client.close()


def regrade(
    store: Store,
    chapter: Chapter,
    jobs: list[Job],
    *,
    workers: int = 1,
    scheduler: str | object | None = None,
    mentor: str | None = None,
    on_result: Callable[[Job, dict], None] | None = None,
) -> list[dict]:
    """Grade every job (pool or cluster) and record each result from this process."""
    mentor = mentor or getpass.getuser()
    source = _dask(jobs, scheduler) if scheduler is not None else _local(jobs, workers)
    done = []
    for job, result in source:
        record_verified(store, job, result, mentor)
        done.append(result)
        if on_result is not None:
            on_result(job, result)
    return done


def record_verified(store: Store, job: Job, result: dict, mentor: str) -> int:
    passed = sum(r["status"] == "pass" for r in result["results"])
    at = now()
    with store._transaction() as conn:
        cur = conn.execute(
            "INSERT INTO verified_runs (run_id, learner, lab_id, task, snapshot, status, "
            "passed, failed, results, message, mentor, at, harness_version, isolation, "
            "heldout_seed, duration_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                job.run_id, job.learner, job.lab_id, job.task, job.snapshot, result["status"],
                passed, len(result["results"]) - passed, json.dumps(result["results"]),
                result["message"], mentor, at, harness.__version__, result["isolation"],
                result["heldout_seed"], result["duration_s"],
            ),
        )  # fmt: skip
        store._log(
            job.learner,
            "check.verified",
            {
                "lab": job.lab_id,
                "task": job.task,
                "run": job.run_id,
                "status": result["status"],
                "passed": passed,
                "mentor": mentor,
                "isolation": result["isolation"],
                "heldout_seed": result["heldout_seed"],
                "snapshot": job.snapshot,
            },  # fmt: skip
            at,
        )
    return cur.lastrowid


# --- what the views read ------------------------------------------------------------------


def verdicts(store: Store) -> dict[tuple[str, str], dict]:
    """{(learner, lab): verdict} for every learner's latest full self-reported check:
    `self_reported` (status), `verified` (status or None), `shown` (the words for views),
    `mismatch` (a self-reported pass the regrade does not confirm, or a status that differs)."""
    with store._lock:
        runs = store.conn.execute(
            "SELECT r.learner, r.lab_id, r.id, r.status FROM check_runs r WHERE r.id IN (SELECT "
            "MAX(id) FROM check_runs WHERE impl = 'learner' AND learner IS NOT NULL AND task IS "
            "NULL AND status != 'cancelled' GROUP BY learner, lab_id)"
        ).fetchall()
        latest_verified = store.conn.execute(
            "SELECT v.learner, v.lab_id, v.run_id, v.status, v.task FROM verified_runs v "
            "WHERE v.id IN (SELECT MAX(id) FROM verified_runs GROUP BY learner, lab_id)"
        ).fetchall()
    verified = {(r[0], r[1]): r for r in latest_verified}
    out = {}
    for learner, lab_id, run_id, status in runs:
        v = verified.get((learner, lab_id))
        if v is None or v[2] != run_id:
            v_status = None
            shown = SELF_REPORTED
            mismatch = False
        else:
            v_status = v[3]
            shown = f"{VERIFIED}: {v_status}" + (f" on {v[4]} only" if v[4] else "")
            mismatch = v_status != status
        out[(learner, lab_id)] = {
            "self_reported": status,
            "verified": v_status,
            "shown": shown,
            "mismatch": mismatch,
            "flag": mismatch or (status == "pass" and v_status is None),
        }
    return out


def verification_flags(store: Store) -> list[tuple[str, str]]:
    """(learner, line) for every mismatch, every pair of learners whose code is flagged as
    similar, and, once this store holds any regrade, every self-reported pass nobody
    regraded (before the first regrade every imported result is self-reported: flagging
    them all would hide the flags that matter; the tables still say it cell by cell)."""
    out = []
    with store._lock:
        regraded = store.conn.execute("SELECT 1 FROM verified_runs LIMIT 1").fetchone()
    for (learner, lab_id), v in sorted(verdicts(store).items()):
        if v["mismatch"] or (v["flag"] and regraded):
            out.append((learner, f"{lab_id} {v['self_reported']}: {v['shown']}"))
    with store._lock:
        pairs = store.conn.execute(
            "SELECT lab_id, task, learner_a, learner_b, similarity FROM cohort_similarity"
        ).fetchall()
    for lab_id, task, a, b, score in pairs:
        out.append((a, f"similar code to {b}: {lab_id} {task} {score:.0%}"))
        if b != REFERENCE:
            out.append((b, f"similar code to {a}: {lab_id} {task} {score:.0%}"))
    return out


def cohort_similarity(
    store: Store, chapter: Chapter, *, threshold: float = SIMILARITY_FLAG
) -> list[dict]:
    """Pairwise copy similarity between learners' latest graded code per lab task
    (containment of the smaller in the larger, winnowed fingerprints), and of each learner's
    code in the reference solution, measured here from the kept code (the learner's machine
    reports its own, which a mentor cannot trust); pairs at or above `threshold` are stored
    in `cohort_similarity` (the reference as learner_b = REFERENCE) and returned, highest
    first."""
    import ast

    from harness.grading.similarity import (
        MIN_FINGERPRINTS,
        fingerprints,
        reference_fingerprints,
        task_source,
    )

    prints: dict[tuple[str, str], dict[str, set[int]]] = {}
    for job in pending(store, chapter):
        lab = chapter.lab(job.lab_id)
        source = job.files.get(f"{lab.entry}.py")
        if source is None:
            continue
        try:
            tree = ast.parse(source.decode("utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for task in lab.tasks:
            fp = fingerprints(task_source(tree, task.functions))
            if len(fp) >= MIN_FINGERPRINTS:
                prints.setdefault((job.lab_id, task.id), {})[job.learner] = fp
    flagged = []
    at = now()
    references: dict[str, set[int]] = {}
    for (lab_id, task_id), by_learner in sorted(prints.items()):
        if lab_id not in references:
            try:
                references[lab_id] = reference_fingerprints(chapter.lab(lab_id))
            except (OSError, SyntaxError, ValueError):
                references[lab_id] = set()
        for a, fa in sorted(by_learner.items()):
            score = round(len(fa & references[lab_id]) / len(fa), 3)
            if score >= threshold:
                flagged.append(
                    {"lab_id": lab_id, "task": task_id, "learner_a": a, "learner_b": REFERENCE,
                     "similarity": score, "at": at}
                )  # fmt: skip
        for a, b in combinations(sorted(by_learner), 2):
            fa, fb = by_learner[a], by_learner[b]
            score = round(len(fa & fb) / min(len(fa), len(fb)), 3)
            if score >= threshold:
                flagged.append(
                    {"lab_id": lab_id, "task": task_id, "learner_a": a, "learner_b": b,
                     "similarity": score, "at": at}
                )  # fmt: skip
    with store._transaction() as conn:
        conn.execute("DELETE FROM cohort_similarity")
        conn.executemany(
            "INSERT INTO cohort_similarity (lab_id, task, learner_a, learner_b, similarity, at) "
            "VALUES (:lab_id, :task, :learner_a, :learner_b, :similarity, :at)",
            flagged,
        )
    return sorted(flagged, key=lambda r: -r["similarity"])
