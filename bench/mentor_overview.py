"""Time the mentor's cohort overview over 1,000 learners with 50 events each.

    .venv/bin/python bench/mentor_overview.py [--learners 1000] [--repeat 7]

Builds the database in a temporary folder (a file, WAL, as `harness` uses it), then times
`harness.cohort.views.overview` on a freshly opened store (cold) and again (warm, the median of
--repeat runs), and, for comparison, the per-learner `compute_status` loop it replaces.
The goal is under 200 ms; bench/RESULTS-mentor.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.chapter import load_chapter  # noqa: E402
from harness.cohort.views import overview  # noqa: E402
from harness.progress import compute_status  # noqa: E402
from harness.store import Store, now  # noqa: E402

EVENTS_PER_LEARNER = 50
GOAL_MS = 200.0


def build(store: Store, n_learners: int, seed: int = 0) -> int:
    """Fill the store with n learners of exactly 50 events each, in one transaction."""
    rng = random.Random(seed)
    pages = [f"theory-0{i}" for i in range(5)]
    labs = ["lab-00", "lab-01", "lab-02"]
    prompts = ["fusion", "whisper-attention", "grammar-tutor"]
    c = store.conn
    with store._transaction():
        for i in range(n_learners):
            name = f"learner-{i:04d}"
            at = now()
            c.execute("INSERT INTO learners (name, created_at) VALUES (?, ?)", (name, at))
            store._log(name, "learner.added", {"name": name})
            logged = 1
            for page in pages:  # 10 events
                for event in ("opened", "completed"):
                    c.execute(
                        "INSERT INTO page_events (learner, item_id, event, at) VALUES (?,?,?,?)",
                        (name, page, event, now()),
                    )
                    store._log(name, f"page.{event}", {"item": page})
            logged += 10
            for lab in labs:  # 12 check runs, 3 results each
                for _ in range(4):
                    status = rng.choice(["pass", "fail", "fail"])
                    task = rng.choice([None, None, "t1"])
                    cur = c.execute(
                        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, "
                        "failed, message, output_tail, started_at, duration_s) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            name,
                            lab,
                            "learner",
                            task,
                            status,
                            2,
                            int(status == "fail"),
                            "",
                            "",
                            now(),
                            1.5,
                        ),
                    )
                    c.executemany(
                        "INSERT INTO check_results (run_id, name, task, status) VALUES (?,?,?,?)",
                        [(cur.lastrowid, f"test_{k}", task, "pass") for k in range(3)],
                    )
                    store._log(
                        name,
                        "check.run",
                        {"lab": lab, "impl": "learner", "task": task, "status": status,
                         "passed": 2, "failed": int(status == "fail")},
                    )  # fmt: skip
            logged += 12
            for lab in labs:  # 6 runs
                for _ in range(2):
                    metrics = {"accuracy": round(rng.random(), 3), "loss": rng.random()}
                    c.execute(
                        "INSERT INTO runs (learner, lab_id, impl, run_dir, seed, status, "
                        "metrics, started_at, duration_s) VALUES (?,?,?,?,?,?,?,?,?)",
                        (
                            name,
                            lab,
                            "learner",
                            f"experiments/x/{lab}/{name}",
                            0,
                            "ok",
                            json.dumps(metrics),
                            now(),
                            2.0,
                        ),
                    )
                    store._log(name, "run.finished", {"lab": lab, "metrics": metrics})
            logged += 6
            for _ in range(3):  # 3 quiz attempts, 2 events and 5 answers each
                score = rng.choice([0.4, 0.6, 0.8, 1.0])
                cur = c.execute(
                    "INSERT INTO quiz_attempts (learner, quiz_id, seed, started_at, "
                    "finished_at, status, n_questions, score, passed) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        name,
                        "X2",
                        rng.randrange(10**6),
                        now(),
                        now(),
                        "finished",
                        5,
                        score,
                        int(score >= 0.8),
                    ),
                )
                c.executemany(
                    "INSERT INTO quiz_answers (attempt_id, question_id, position, "
                    "answer, correct, answered_at) VALUES (?,?,?,?,?,?)",
                    [
                        (cur.lastrowid, f"q{k}", k, "a", rng.random() < score, now())
                        for k in range(5)
                    ],
                )
                store._log(name, "quiz.started", {"attempt": cur.lastrowid})
                store._log(name, "quiz.finished", {"attempt": cur.lastrowid, "score": score})
            logged += 6
            for prompt in prompts:  # 6 reflection saves
                for version in (1, 2):
                    c.execute(
                        "INSERT INTO reflections (learner, prompt_id, version, text, "
                        "saved_at) VALUES (?,?,?,?,?)",
                        (name, prompt, version, "words " * rng.randrange(5, 80), now()),
                    )
                    store._log(name, "reflection.saved", {"prompt": prompt, "version": version})
            logged += 6
            c.execute(
                "INSERT INTO feedback (learner, mentor, target, text, at) VALUES (?,?,?,?,?)",
                (name, "mia", "lab-00", "ok", now()),
            )
            store._log(name, "feedback.added", {"mentor": "mia", "target": "lab-00"})
            logged += 1
            for _ in range(EVENTS_PER_LEARNER - logged):  # re-reads fill up to 50
                page = rng.choice(pages)
                c.execute(
                    "INSERT INTO page_events (learner, item_id, event, at) VALUES (?,?,?,?)",
                    (name, page, "opened", now()),
                )
                store._log(name, "page.opened", {"item": page})
    return c.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def timed(fn) -> tuple[float, float, object]:
    """(wall ms, this process's CPU ms, result): CPU time shows our cost when the machine is
    shared and the wall clock mostly measures waiting for a core."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    chapter = load_chapter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.db"
        store = Store(path)
        build_ms, _, events = timed(lambda: build(store, args.learners))
        store.close()
        print(f"built {args.learners} learners, {events} events in {build_ms / 1000:.1f} s")

        store = Store(path)  # a fresh connection: nothing cached in this process
        cold_ms, cold_cpu, rows = timed(lambda: overview(store, chapter))
        assert len(rows) == args.learners
        warm = [timed(lambda: overview(store, chapter))[:2] for _ in range(args.repeat)]
        loop_ms, loop_cpu, _ = timed(lambda: [compute_status(store, chapter, r.name) for r in rows])
        store.close()
    warm_ms = statistics.median(w for w, _ in warm)
    warm_cpu = statistics.median(c for _, c in warm)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(f"overview, cold:                wall {cold_ms:7.1f} ms   cpu {cold_cpu:7.1f} ms")
    print(
        f"overview, warm (median of {args.repeat}): wall {warm_ms:7.1f} ms   "
        f"cpu {warm_cpu:7.1f} ms   (wall min {min(w for w, _ in warm):.1f})"
    )
    print(
        f"compute_status per learner:    wall {loop_ms:7.1f} ms   cpu {loop_cpu:7.1f} ms"
        "   (the loop the overview replaces)"
    )
    ok = max(cold_ms, warm_ms) < GOAL_MS
    print(f"goal < {GOAL_MS:.0f} ms wall: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
