"""Time the mentor's dashboard over 1,000 learners with 50 events each, and weigh the file.

    .venv/bin/python bench/dashboard.py [--learners 1000] [--repeat 3] [--out FILE]

Builds a synthetic cohort in a temporary database (a file, WAL, as `harness` uses it), with
the shape the harness writes: every check row has its `check.run` event and per-task results,
quiz answers name questions of the real bank, reflections have words, a mentor leaves
feedback and marks. Then times `dashboard.build` + `dashboard.render` once in a fresh process
state (cold: the module imported, nothing else warm) and --repeat times more (warm), reporting
wall and CPU time, and the size of the page; last, the whole command a mentor types,
`harness mentor dashboard --out FILE`, in fresh processes (interpreter start, imports, queries,
charts, writing the file). Goals (issue 19): under 2 s, under ~5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.chapter import load_chapter  # noqa: E402
from harness.learning.quiz import load_bank  # noqa: E402
from harness.store import Store, now  # noqa: E402

EVENTS_PER_LEARNER = 50
GOAL_S = 2.0
GOAL_MB = 5.0
WORDS = "late early fusion patches tokens encoder attention alignment whisper heads".split()


def build(store: Store, n_learners: int, seed: int = 0) -> int:
    """n learners of exactly 50 events each, in one transaction."""
    rng = random.Random(seed)
    chapter = load_chapter()
    bank = load_bank(chapter.quiz_bank)
    questions = [q.id for q in bank.questions]
    theory = [i.id for i in chapter.items if i.kind == "theory"]
    c = store.conn
    with store._transaction():
        for i in range(n_learners):
            name = f"learner-{i:04d}"
            skill = rng.random()  # stronger learners pass more, score higher
            c.execute("INSERT INTO learners (name, created_at) VALUES (?, ?)", (name, now()))
            store._log(name, "learner.added", {"name": name})
            logged = 1
            for page in theory:  # 10 events
                for event in ("opened", "completed"):
                    c.execute(
                        "INSERT INTO page_events (learner, item_id, event, at) VALUES (?,?,?,?)",
                        (name, page, event, now()),
                    )
                    store._log(name, f"page.{event}", {"item": page})
            logged += 10
            for lab in chapter.labs:  # 7 full check runs per lab: 21 events
                for _ in range(7):
                    results = [
                        (f"test_{t.id}", t.id, "pass" if rng.random() < skill else "fail")
                        for t in lab.tasks
                    ]
                    passed = sum(r[2] == "pass" for r in results)
                    status = "pass" if passed == len(results) else "fail"
                    cur = c.execute(
                        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, "
                        "failed, message, output_tail, started_at, duration_s, isolation) "
                        "VALUES (?,?,'learner',NULL,?,?,?,'','',?,40.0,'bubblewrap')",
                        (name, lab.id, status, passed, len(results) - passed, now()),
                    )
                    c.executemany(
                        "INSERT INTO check_results (run_id, name, task, status, kind) "
                        "VALUES (?,?,?,?,?)",
                        [
                            (cur.lastrowid, *r, None if r[2] == "pass" else "raised")
                            for r in results
                        ],  # fmt: skip
                    )
                    store._log(
                        name,
                        "check.run",
                        {"lab": lab.id, "impl": "learner", "task": None, "status": status,
                         "passed": passed, "failed": len(results) - passed},
                    )  # fmt: skip
            logged += 21
            for lab in chapter.labs:  # 6 runs
                for _ in range(2):
                    metrics = {"accuracy": round(rng.random(), 3), "loss": rng.random()}
                    c.execute(
                        "INSERT INTO runs (learner, lab_id, impl, run_dir, seed, status, "
                        "metrics, started_at, duration_s) VALUES (?,?,?,?,?,?,?,?,?)",
                        (name, lab.id, "learner", f"experiments/x/{lab.id}/{name}", 0, "ok",
                         json.dumps(metrics), now(), 2.0),
                    )  # fmt: skip
                    store._log(name, "run.finished", {"lab": lab.id, "metrics": metrics})
            logged += 6
            for _ in range(3):  # 3 quiz attempts of 20 questions: 6 events
                drawn = rng.sample(questions, 20)
                marks = [rng.random() < 0.3 + 0.7 * skill for _ in drawn]
                score = sum(marks) / len(marks)
                cur = c.execute(
                    "INSERT INTO quiz_attempts (learner, quiz_id, seed, started_at, "
                    "finished_at, status, n_questions, score, passed) "
                    "VALUES (?,?,?,?,?,'finished',20,?,?)",
                    (name, chapter.quiz_id, rng.randrange(10**6), now(), now(), score,
                     int(score >= chapter.pass_mark)),
                )  # fmt: skip
                c.executemany(
                    "INSERT INTO quiz_answers (attempt_id, question_id, position, answer, "
                    "correct, answered_at) VALUES (?,?,?,?,?,?)",
                    [(cur.lastrowid, q, k, "a", int(m), now()) for k, (q, m) in
                     enumerate(zip(drawn, marks, strict=True))],
                )  # fmt: skip
                store._log(name, "quiz.started", {"attempt": cur.lastrowid})
                store._log(name, "quiz.finished", {"attempt": cur.lastrowid, "score": score})
            logged += 6
            for prompt in chapter.reflections:  # 3 reflection saves
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(10, 120)))
                c.execute(
                    "INSERT INTO reflections (learner, prompt_id, version, text, saved_at) "
                    "VALUES (?,?,1,?,?)",
                    (name, prompt.id, text, now()),
                )
                store._log(name, "reflection.saved", {"prompt": prompt.id, "version": 1})
            logged += 3
            c.execute(
                "INSERT INTO feedback (learner, mentor, target, text, at) VALUES (?,?,?,?,?)",
                (name, "mia", "reflection:fusion", "Say which use case each one suits.", now()),
            )
            store._log(name, "feedback.added", {"mentor": "mia", "target": "reflection:fusion"})
            logged += 1
            for _ in range(EVENTS_PER_LEARNER - logged):  # re-reads fill up to 50
                page = rng.choice(theory)
                c.execute(
                    "INSERT INTO page_events (learner, item_id, event, at) VALUES (?,?,?,?)",
                    (name, page, "opened", now()),
                )
                store._log(name, "page.opened", {"item": page})
    return c.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def timed(fn) -> tuple[float, float, object]:
    """(wall s, this process's CPU s, result): CPU time shows our cost when the machine is
    shared and the wall clock mostly measures waiting for a core."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def timed_child(command: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """(wall s, the child's CPU s) of one command in a fresh process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="Keep the generated page here.")
    args = parser.parse_args()
    import_s, _, _ = timed(lambda: __import__("harness.cohort.dashboard"))
    from harness.cohort import dashboard

    chapter = load_chapter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.db"
        store = Store(path)
        build_s, _, events = timed(lambda: build(store, args.learners))
        store.close()
        print(f"built {args.learners} learners, {events} events in {build_s:.1f} s")

        store = Store(path)  # a fresh connection: nothing cached in this process
        make = lambda: dashboard.render(dashboard.build(store, chapter))  # noqa: E731
        cold_s, cold_cpu, page = timed(make)
        warm = [timed(make)[:2] for _ in range(args.repeat)]
        phases = {}
        board, phases["build (queries + charts)"] = _phase(lambda: dashboard.build(store, chapter))
        _, phases["  of which charts"] = _phase(lambda: dashboard._charts(board))
        _, phases["render (HTML + JSON)"] = _phase(lambda: dashboard.render(board))
        store.close()
        command = [sys.executable, "-m", "harness", "mentor", "dashboard", "--out"]
        env = {**os.environ, "HARNESS_DB": str(path), "NO_COLOR": "1"}
        root = Path(__file__).resolve().parents[1]
        whole = [
            timed_child([*command, str(Path(tmp) / f"cli-{k}.html")], env, root)
            for k in range(args.repeat)
        ]
    size_mb = len(page.encode("utf-8")) / 1e6
    if args.out:
        args.out.write_text(page, encoding="utf-8")
    warm_s = statistics.median(w for w, _ in warm)
    warm_cpu = statistics.median(c for _, c in warm)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(f"import harness.cohort.dashboard: {import_s:.2f} s")
    print(f"dashboard, cold:                wall {cold_s:6.2f} s   cpu {cold_cpu:6.2f} s")
    print(
        f"dashboard, warm (median of {args.repeat}):  wall {warm_s:6.2f} s   cpu {warm_cpu:6.2f} s"
    )
    for name, secs in phases.items():
        print(f"  {name:<26} wall {secs:6.2f} s")
    whole_s = statistics.median(w for w, _ in whole)
    whole_cpu = statistics.median(c for _, c in whole)
    print(
        f"`harness mentor dashboard --out` (median of {args.repeat} fresh processes): "
        f"wall {whole_s:.2f} s   cpu {whole_cpu:.2f} s"
    )
    print(f"page: {size_mb:.2f} MB")
    ok = max(cold_s, warm_s, whole_s) < GOAL_S and size_mb < GOAL_MB
    cpu_ok = max(cold_cpu, warm_cpu, whole_cpu) < GOAL_S and size_mb < GOAL_MB
    goal = f"goal < {GOAL_S:.0f} s and < {GOAL_MB:.0f} MB"
    print(f"{goal}: {'met' if ok else 'NOT met'} in wall time,")
    print(f"  {'met' if cpu_ok else 'NOT met'} in CPU time (a quiet machine's wall time)")
    return 0 if ok else 1


def _phase(fn) -> tuple[object, float]:
    wall, _, out = timed(fn)
    return out, wall


if __name__ == "__main__":
    sys.exit(main())
