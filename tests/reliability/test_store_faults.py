"""Store faults: damaged files, migrations with backups, and two processes writing at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from harness.store import GENESIS, SCHEMA_VERSION, Store, event_hash


def one_clear_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def filled_store(path) -> None:
    store = Store(path)
    store.add_learner("ana")
    for _ in range(30):
        store.record_page("ana", "lab-00", "opened")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty-header"])
def test_a_damaged_database_is_one_line_naming_the_file_and_the_recovery(
    cli, tmp_path, toy_env, damage
):
    db = tmp_path / "progress.db"
    filled_store(db)
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(b"not a database at all " * 500)
    elif damage == "truncated":
        db.write_bytes(data[:5000])
    else:
        db.write_bytes(b"\0" * 100 + data[100:])
    proc = cli("learner", "list")
    one_clear_line(proc, str(db), "cannot be read", "Recovery", "mv ", ".broken")


def test_a_damaged_table_page_is_one_line_too(cli, tmp_path, toy_env):
    db = tmp_path / "progress.db"
    filled_store(db)
    conn = sqlite3.connect(db)
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_learners_1'"
    ).fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xff" * page)
    one_clear_line(cli("status", "--learner", "ana"), str(db), "harness doctor")


def test_opening_a_v1_database_backs_it_up_before_migrating(cli, tmp_path, toy_env):
    db = tmp_path / "progress.db"
    old = Store(db, migrate_to=1)
    old.add_learner("ana")
    old.record_page("ana", "lab-00", "completed")
    old.close()

    proc = cli("learner", "list")
    assert proc.returncode == 0 and proc.stdout.split() == ["ana"], proc.stderr

    backups = list(tmp_path.glob("progress.db.bak-v1-*"))
    assert len(backups) == 1
    kept = sqlite3.connect(backups[0])
    assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
    assert kept.execute("SELECT name FROM learners").fetchall() == [("ana",)]
    assert kept.execute("SELECT item_id, event FROM page_events").fetchall() == [
        ("lab-00", "completed")
    ]
    assert "runs" not in {r[0] for r in kept.execute("SELECT name FROM sqlite_master")}
    assert Store(db).version == SCHEMA_VERSION


WRITER = textwrap.dedent("""
    import sys
    from harness.store import CheckResult, Store
    store = Store(sys.argv[1])
    for i in range(int(sys.argv[3])):
        store.record_page("ana", f"{sys.argv[2]}-{i}", "opened")
        store.record_check_run(learner="ana", lab_id="lab-00", impl="learner", task=None,
                               status="fail", results=[CheckResult("t", "square", "fail")])
""")


def test_two_processes_writing_at_once_lose_nothing(tmp_path, toy_env):
    db = tmp_path / "progress.db"
    Store(db).add_learner("ana")
    n = 60
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), tag, str(n)], stderr=subprocess.PIPE, text=True
        )
        for tag in ("a", "b")
    ]
    for w in writers:
        assert w.wait(timeout=60) == 0, w.stderr.read()
    store = Store(db)
    assert store.conn.execute("SELECT COUNT(*) FROM page_events").fetchone()[0] == 2 * n
    assert store.conn.execute("SELECT COUNT(*) FROM check_runs").fetchone()[0] == 2 * n
    assert store.conn.execute("SELECT COUNT(*) FROM check_results").fetchone()[0] == 2 * n
    events = store.events("ana")
    assert len(events) == 1 + 4 * n
    prev = GENESIS
    for row in events:  # one unbroken chain, whatever the interleaving
        assert row["prev_hash"] == prev
        assert row["hash"] == event_hash(prev, "ana", row["at"], row["kind"], row["payload"])
        prev = row["hash"]


def test_two_cli_processes_recording_page_events_at_once_lose_nothing(cli, tmp_path, toy_env):
    db = tmp_path / "progress.db"
    Store(db).add_learner("ana")
    procs = [
        subprocess.Popen(
            [cli.executable, "read", "lab-00", "--learner", "ana"],
            env=toy_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]  # both at once
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read()
    rows = (
        Store(db).conn.execute("SELECT event, COUNT(*) FROM page_events GROUP BY event").fetchall()
    )
    assert dict(rows) == {"opened": 2, "completed": 2}
