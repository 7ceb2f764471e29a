"""Time the review queue and mastery per outcome over 1,000 learners with 200 events each.

    .venv/bin/python bench/review_mastery.py [--learners 1000] [--repeat 7]

Builds a database file (WAL, as `harness` uses it) in a temporary folder: per learner 100 quiz
answers (5 attempts of 20), 60 review answers and 40 task results (10 check runs of 4 tasks),
then lets the review queue read them (`review.sync`: FSRS cards for the misses, running
mastery counts). Then times, on a freshly opened store (cold) and again (warm,
the median of --repeat runs), what a mentor's view needs for the whole cohort:
`review.cohort_due` (due cards and what today's cap allows, per learner) plus
`mastery.cohort_mastery` and `mastery.cohort_outcomes` (a Beta posterior and interval per
learner and outcome, and the cohort row per outcome). For scale it also times one learner's
`review.queue` and `mastery.learner_mastery`, and `review.sync` reading 200 new events.
The goal is under 200 ms for the cohort; docs/PERFORMANCE.md records a run.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.chapter import load_chapter  # noqa: E402
from harness.learning import mastery, review  # noqa: E402
from harness.learning.quiz import load_bank  # noqa: E402
from harness.store import Store  # noqa: E402

GOAL_MS = 200.0
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def build(store: Store, chapter, bank, n_learners: int, seed: int = 0) -> int:
    """n learners x 200 events (answers, reviews, task results) and their cards, bulk-inserted."""
    rng = random.Random(seed)
    questions = [(q.id, q.outcome) for q in bank.questions]
    tasks = [(lab.id, t.id, t.outcome) for lab in chapter.labs for t in lab.tasks]
    c = store.conn
    events = 0
    with store._transaction():  # noqa: SLF001 (bulk load for the benchmark)
        for i in range(n_learners):
            name = f"learner-{i:04d}"
            skill = rng.uniform(0.3, 0.95)
            start = NOW - timedelta(days=rng.uniform(1, 30))
            c.execute("INSERT INTO learners (name, created_at) VALUES (?, ?)", (name, _iso(start)))
            cards = {}
            for a in range(5):  # 5 attempts x 20 answers = 100 events
                at = start + timedelta(hours=a)
                cur = c.execute(
                    "INSERT INTO quiz_attempts (learner, quiz_id, seed, started_at, finished_at, "
                    "status, n_questions, score, passed, practice) "
                    "VALUES (?, 'X2', ?, ?, ?, 'finished', 20, 0.5, 0, 0)",
                    (name, rng.getrandbits(31), _iso(at), _iso(at)),
                )
                for pos, (qid, outcome) in enumerate(rng.sample(questions, 20)):
                    ok = rng.random() < skill
                    c.execute(
                        "INSERT INTO quiz_answers (attempt_id, question_id, position, answer, "
                        "correct, answered_at) VALUES (?,?,?,?,?,?)",
                        (cur.lastrowid, qid, pos, "x", int(ok), _iso(at)),
                    )
                    if not ok:
                        cards[f"question:{qid}"] = ("question", qid, outcome, at)
            for r in range(10):  # 10 check runs x 4 task results = 40 events
                at = start + timedelta(hours=6 + r)
                lab_id = rng.choice(["lab-00", "lab-01", "lab-02"])
                cur = c.execute(
                    "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
                    "started_at, duration_s) VALUES (?,?, 'learner', NULL, 'fail', 0, 0, ?, 1.0)",
                    (name, lab_id, _iso(at)),
                )
                for lab, task, outcome in [t for t in tasks if t[0] == lab_id][:4]:
                    ok = rng.random() < skill
                    c.execute(
                        "INSERT INTO check_results (run_id, name, task, status) VALUES (?,?,?,?)",
                        (cur.lastrowid, f"test_{task}", task, "pass" if ok else "fail"),
                    )
                    if not ok:
                        cards[f"task:{lab}/{task}"] = ("task", f"{lab}/{task}", outcome, at)
            reviews: dict[str, list[int]] = {}
            for _ in range(60):  # 60 review answers, stored as `harness review` stores them
                key = rng.choice(list(cards)) if cards else "question:none"
                outcome = cards[key][2] if cards else "vit"
                at = start + timedelta(days=rng.uniform(0, 1))
                ok = rng.random() < skill
                c.execute(
                    "INSERT INTO review_log (learner, card, source, outcome, correct, rating, at) "
                    "VALUES (?,?, 'review', ?,?,?,?)",
                    (name, key, outcome, int(ok), 3 if ok else 1, _iso(at)),
                )
                cell = reviews.setdefault(outcome, [0, 0])
                cell[0] += ok
                cell[1] += 1
            store._add_evidence(  # noqa: SLF001
                name,
                [
                    {"source": "review", "key": o, "outcome": o, "successes": s, "trials": n}
                    for o, (s, n) in reviews.items()
                ],
            )
            events += 200
    # The queue reads every learner's answers and results once, as `harness quiz` and
    # `harness check` leave them: FSRS cards for the misses, mastery counts for all.
    for i in range(n_learners):
        review.sync(store, chapter, f"learner-{i:04d}", bank=bank, now=NOW)
    return events


def cohort(store: Store, chapter, bank) -> tuple[dict, list]:
    due = review.cohort_due(store, now=NOW)
    per_learner = mastery.cohort_mastery(store, chapter, bank)
    rows = mastery.cohort_outcomes(store, chapter, bank, per_learner=per_learner)
    assert len(due) == len(per_learner)
    return due, rows


def _forget_intervals() -> None:
    mastery.beta_interval.cache_clear()
    mastery._SUMMARIES.clear()  # noqa: SLF001


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _cpu_ms(fn) -> float:
    """CPU time of this process: on a shared, loaded machine wall time also counts waiting."""
    t0 = time.process_time()
    fn()
    return (time.process_time() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    chapter = load_chapter()
    bank = load_bank(chapter.quiz_bank)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.db"
        store = Store(path)
        t0 = time.perf_counter()
        events = build(store, chapter, bank, args.learners)
        build_s = time.perf_counter() - t0
        store.close()

        store = Store(path)
        _forget_intervals()
        cold = _ms(lambda: cohort(store, chapter, bank))
        warm = statistics.median(
            _ms(lambda: cohort(store, chapter, bank)) for _ in range(args.repeat)
        )
        warm_cpu = statistics.median(
            _cpu_ms(lambda: cohort(store, chapter, bank)) for _ in range(args.repeat)
        )
        uncached = statistics.median(
            _ms(lambda: (_forget_intervals(), cohort(store, chapter, bank))) for _ in range(3)
        )
        one = "learner-0007"
        queue_ms = statistics.median(
            _ms(lambda: review.queue(store, chapter, bank, one, now=NOW, seed=1))
            for _ in range(args.repeat)
        )
        learner_ms = statistics.median(
            _ms(lambda: mastery.learner_mastery(store, chapter, bank, one))
            for _ in range(args.repeat)
        )
        # sync: forget what one learner's queue read, so its 140 answers and results are read again
        store.conn.execute("DELETE FROM review_cards WHERE learner = ?", (one,))
        store.conn.execute(
            "DELETE FROM mastery_evidence WHERE learner = ? AND source != 'review'", (one,)
        )
        store.conn.execute("DELETE FROM review_sync WHERE learner = ?", (one,))
        sync_ms = _ms(lambda: review.sync(store, chapter, one, bank=bank, now=NOW))
        _, rows = cohort(store, chapter, bank)
        store.close()
    result = {
        "learners": args.learners,
        "events": events,
        "build_s": round(build_s, 1),
        "cohort_cold_ms": round(cold, 1),
        "cohort_warm_ms": round(warm, 1),
        "cohort_warm_cpu_ms": round(warm_cpu, 1),
        "cohort_no_interval_cache_ms": round(uncached, 1),
        "one_learner_queue_ms": round(queue_ms, 1),
        "one_learner_mastery_ms": round(learner_ms, 1),
        "one_learner_sync_ms": round(sync_ms, 1),
        "goal_ms": GOAL_MS,
        "met": cold < GOAL_MS and warm < GOAL_MS,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "example_row": {k: v for k, v in vars(rows[0]).items() if k != "description"},
    }
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
