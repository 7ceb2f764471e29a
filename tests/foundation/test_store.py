"""The progress store: migrations, concurrent writers, crash safety, the hash chain."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.store import GENESIS, SCHEMA_VERSION, CheckResult, Store, StoreError, event_hash


def verify_chain(rows):
    prev = {}
    for row in rows:
        assert row["prev_hash"] == prev.get(row["learner"], GENESIS)
        assert row["hash"] == event_hash(
            row["prev_hash"], row["learner"], row["at"], row["kind"], row["payload"]
        )
        prev[row["learner"]] = row["hash"]


def test_migrates_an_empty_file_to_the_current_version(tmp_path):
    store = Store(tmp_path / "p.db")
    assert store.version == SCHEMA_VERSION
    tables = set(store.db.table_names())
    assert {
        "learners",
        "page_events",
        "check_runs",
        "check_results",
        "quiz_attempts",
        "quiz_answers",
        "reflections",
        "events",
        "runs",
        "feedback",
    } <= tables
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrates_from_the_previous_version_keeping_data_and_a_backup(tmp_path):
    path = tmp_path / "p.db"
    previous = SCHEMA_VERSION - 1
    old = Store(path, migrate_to=previous)
    old.add_learner("ana")
    old.record_page("ana", "theory-00", "completed")
    assert "hints_used" not in old.db.table_names()  # the newest migration's table (v6)
    old.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION
    assert store.completed_pages("ana") == {"theory-00"}
    assert "hints_used" in store.db.table_names()
    backups = list(tmp_path.glob(f"p.db.bak-v{previous}-*"))
    assert len(backups) == 1
    assert Store(backups[0], migrate_to=previous).completed_pages("ana") == {"theory-00"}


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.db"
    Store(path).conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this harness knows"):
        Store(path)


def test_a_corrupt_file_names_the_file_and_the_recovery(tmp_path):
    path = tmp_path / "progress.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(path) in str(info.value) and "mv " in str(info.value)


def test_records_round_trip_and_events_chain():
    store = Store.memory()
    store.add_learner("ana")
    store.add_learner("ben")
    assert store.add_learner("ana") is False
    store.record_page("ana", "theory-00", "opened")
    store.record_page("ana", "theory-00", "completed")
    run = store.record_check_run(
        learner="ana",
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[CheckResult("t1", "patchify", "pass"), CheckResult("t2", "train", "fail", "x")],
    )
    assert [r["status"] for r in store.check_results(run)] == ["pass", "fail"]
    assert store.last_check_run("ana", "lab-00")["failed"] == 1
    attempt = store.start_quiz_attempt("ben", "X2", 7, 2)
    store.record_quiz_answer(attempt, "q1", 0, "b", True)
    store.finish_quiz_attempt(attempt, 0.5, False)
    with pytest.raises(ValueError, match="not open"):
        store.record_quiz_answer(attempt, "q2", 1, "a", True)
    assert store.save_reflection("ana", "fusion", "late") == 1
    assert store.save_reflection("ana", "fusion", "late") == 1
    assert store.save_reflection("ana", "fusion", "early") == 2
    assert [v["text"] for v in store.reflection_versions("ana", "fusion")] == ["late", "early"]
    verify_chain(store.events())
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM events")
    with pytest.raises(KeyError, match="unknown learner 'zoe'"):
        store.record_page("zoe", "theory-00", "opened")


WRITER = """
import sys
from harness.store import Store
store = Store(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.log_event("ana", "test.tick", {"writer": sys.argv[2], "i": i})
"""


def test_two_processes_writing_500_events_each_lose_none(tmp_path):
    path = tmp_path / "p.db"
    Store(path).add_learner("ana")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), w, "500"]) for w in ("a", "b")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    rows = [r for r in Store(path).events("ana") if r["kind"] == "test.tick"]
    seen = {(json.loads(r["payload"])["writer"], json.loads(r["payload"])["i"]) for r in rows}
    assert len(rows) == 1000 and len(seen) == 1000
    verify_chain(Store(path).events())


KILLED = """
import sys
from harness.store import Store
store = Store(sys.argv[1])
i = 0
while True:
    store.log_event("ana", "test.tick", {"i": i})
    print(i, flush=True)   # printed only after the commit returned
    i += 1
"""


def test_a_process_killed_mid_write_loses_nothing_committed(tmp_path):
    path = tmp_path / "p.db"
    Store(path).add_learner("ana")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True
    )
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 200 and time.monotonic() < deadline:
        acknowledged = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(path)
    assert store.integrity_check() == ["ok"]
    ticks = {json.loads(r["payload"])["i"] for r in store.events("ana") if r["kind"] == "test.tick"}
    assert set(range(acknowledged + 1)) <= ticks
    verify_chain(store.events())


def test_store_knows_nothing_of_paths_outside_its_file(tmp_path):
    store = Store(tmp_path / "sub" / "p.db")
    assert Path(store.path).parent.is_dir()


def test_an_attempt_left_open_by_a_killed_process_is_closed_as_abandoned():
    store = Store.memory()
    store.add_learner("ana")
    old = store.start_quiz_attempt("ana", "X2", 1, 2)
    store.record_quiz_answer(old, "q1", 0, "b", True)
    store.conn.execute(
        "UPDATE quiz_attempts SET started_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", (old,)
    )
    fresh = store.start_quiz_attempt("ana", "X2", 2, 2)
    statuses = {a["id"]: a["status"] for a in store.quiz_attempts("ana")}
    assert statuses == {old: "abandoned", fresh: "in_progress"}
    assert len(store.quiz_answers(old)) == 1
