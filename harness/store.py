"""The progress store: SQLite, with the standard library's sqlite3.

One file (default `learners/progress.db`) holds learners, page events, check runs with
per-test results, quiz attempts with per-answer rows, reflections (every save a version),
lab runs, mentor feedback and an append-only event log whose rows form a hash chain per
learner (so an exported record can be verified on a mentor's machine).

Writes go through `_transaction()` (BEGIN IMMEDIATE), so the TUI and a CLI command can
write at once: WAL mode lets readers go on, and the busy timeout makes a second writer wait
instead of failing. The schema has an explicit version (`PRAGMA user_version`) and forward
migrations; a file is backed up before it is migrated.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from harness.learners import validate_name

GENESIS = "0" * 64
STALE_ATTEMPT_HOURS = 12
BUSY_TIMEOUT_MS = 30_000


class StoreError(RuntimeError):
    """The database cannot be used; the message names the file and the recovery step."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def event_hash(prev: str, learner: str, at: str, kind: str, payload: str) -> str:
    """The chain link: sha256 over the previous hash and the event's canonical fields."""
    blob = json.dumps([prev, learner, at, kind, payload], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- schema ---------------------------------------------------------------------------------

_V1 = """
CREATE TABLE learners (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE page_events (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    item_id TEXT NOT NULL, event TEXT NOT NULL CHECK (event IN ('opened', 'completed')),
    at TEXT NOT NULL);
CREATE TABLE check_runs (
    id INTEGER PRIMARY KEY, learner TEXT REFERENCES learners(name), lab_id TEXT NOT NULL,
    impl TEXT NOT NULL, task TEXT, status TEXT NOT NULL, passed INTEGER NOT NULL,
    failed INTEGER NOT NULL, message TEXT, output_tail TEXT, started_at TEXT NOT NULL,
    duration_s REAL NOT NULL);
CREATE TABLE check_results (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES check_runs(id),
    name TEXT NOT NULL, task TEXT, status TEXT NOT NULL, message TEXT, duration_s REAL);
CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    quiz_id TEXT NOT NULL, seed INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'finished', 'abandoned')),
    n_questions INTEGER NOT NULL, score REAL, passed INTEGER);
CREATE TABLE quiz_answers (
    id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL REFERENCES quiz_attempts(id),
    question_id TEXT NOT NULL, position INTEGER NOT NULL, answer TEXT NOT NULL,
    correct INTEGER NOT NULL, answered_at TEXT NOT NULL);
CREATE TABLE reflections (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    prompt_id TEXT NOT NULL, version INTEGER NOT NULL, text TEXT NOT NULL,
    saved_at TEXT NOT NULL, UNIQUE (learner, prompt_id, version));
CREATE TABLE events (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE);
CREATE INDEX events_learner ON events(learner, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""

_V2 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, learner TEXT REFERENCES learners(name), lab_id TEXT NOT NULL,
    impl TEXT NOT NULL, run_dir TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL,
    metrics TEXT, started_at TEXT NOT NULL, duration_s REAL);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    mentor TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX check_runs_learner ON check_runs(learner, lab_id, id);
CREATE INDEX quiz_attempts_learner ON quiz_attempts(learner, id);
"""

# Grading you can trust: how a check run was confined, the held-out seed the trusted side drew,
# how each failing check ended, copy similarity per task; seeded quiz attempts are practice.
_V3 = """
ALTER TABLE check_runs ADD COLUMN isolation TEXT;
ALTER TABLE check_runs ADD COLUMN heldout_seed INTEGER;
ALTER TABLE check_results ADD COLUMN kind TEXT;
CREATE TABLE check_similarity (
    run_id INTEGER NOT NULL REFERENCES check_runs(id), task TEXT NOT NULL,
    similarity REAL NOT NULL, PRIMARY KEY (run_id, task));
ALTER TABLE quiz_attempts ADD COLUMN practice INTEGER NOT NULL DEFAULT 0;
"""

# Learning that lasts: what each quiz attempt drew (with variant parameters), the spaced-review
# queue (FSRS cards), its log and sync marks, and mentors' marks on reflections.
_V4 = """
CREATE TABLE quiz_drawn (
    attempt_id INTEGER NOT NULL REFERENCES quiz_attempts(id), position INTEGER NOT NULL,
    question_id TEXT NOT NULL, generator TEXT, params TEXT, PRIMARY KEY (attempt_id, position));
CREATE TABLE review_cards (
    learner TEXT NOT NULL REFERENCES learners(name), card TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('question', 'task')), ref TEXT NOT NULL, outcome TEXT,
    fsrs TEXT NOT NULL, due TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (learner, card));
CREATE INDEX review_cards_due ON review_cards(learner, due);
CREATE TABLE review_log (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    card TEXT NOT NULL, source TEXT NOT NULL, outcome TEXT, question_id TEXT, params TEXT,
    answer TEXT, correct INTEGER NOT NULL, rating INTEGER NOT NULL, at TEXT NOT NULL);
CREATE INDEX review_log_learner ON review_log(learner, source, at);
CREATE TABLE review_sync (
    learner TEXT PRIMARY KEY REFERENCES learners(name), last_answer_id INTEGER NOT NULL,
    last_check_run_id INTEGER NOT NULL);
CREATE TABLE reflection_marks (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL REFERENCES learners(name),
    prompt_id TEXT NOT NULL, version INTEGER NOT NULL, mentor TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('needs_work', 'ok')), feedback TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE mastery_evidence (
    learner TEXT NOT NULL REFERENCES learners(name),
    source TEXT NOT NULL CHECK (source IN ('quiz', 'review', 'task')), key TEXT NOT NULL,
    outcome TEXT NOT NULL, successes INTEGER NOT NULL, trials INTEGER NOT NULL,
    PRIMARY KEY (learner, source, key));
CREATE INDEX quiz_answers_attempt ON quiz_answers(attempt_id, id);
CREATE INDEX check_results_run ON check_results(run_id);
"""

# Mentor-verified results (issue 13): a random id per learner (names are display names; the
# trigger gives every new learner one), learners' Ed25519 public keys (own, or pinned on first
# import with how much history was imported), the lab files each check run graded
# (content-addressed blobs), regrade results beside the self-reported ones, and pairwise copy
# similarity within the cohort.
_V5 = """
ALTER TABLE learners ADD COLUMN learner_id TEXT;
UPDATE learners SET learner_id = lower(hex(randomblob(8))) WHERE learner_id IS NULL;
CREATE UNIQUE INDEX learners_learner_id ON learners(learner_id);
CREATE TRIGGER learners_new_id AFTER INSERT ON learners WHEN NEW.learner_id IS NULL
    BEGIN UPDATE learners SET learner_id = lower(hex(randomblob(8))) WHERE name = NEW.name; END;
CREATE TABLE learner_keys (
    learner_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, chain_name TEXT NOT NULL,
    public_key TEXT NOT NULL, own INTEGER NOT NULL DEFAULT 0, pinned_at TEXT NOT NULL,
    last_events INTEGER NOT NULL DEFAULT 0, last_events_sha256 TEXT, last_import_at TEXT);
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE snapshot_files (
    run_id INTEGER NOT NULL REFERENCES check_runs(id), path TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256), PRIMARY KEY (run_id, path));
CREATE TABLE verified_runs (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES check_runs(id),
    learner TEXT NOT NULL REFERENCES learners(name), lab_id TEXT NOT NULL, task TEXT,
    snapshot TEXT NOT NULL, status TEXT NOT NULL, passed INTEGER NOT NULL,
    failed INTEGER NOT NULL, results TEXT NOT NULL, message TEXT, mentor TEXT NOT NULL,
    at TEXT NOT NULL, harness_version TEXT NOT NULL, isolation TEXT NOT NULL,
    heldout_seed INTEGER NOT NULL, duration_s REAL);
CREATE INDEX verified_runs_run ON verified_runs(run_id, id);
CREATE TABLE cohort_similarity (
    lab_id TEXT NOT NULL, task TEXT NOT NULL, learner_a TEXT NOT NULL, learner_b TEXT NOT NULL,
    similarity REAL NOT NULL, at TEXT NOT NULL, PRIMARY KEY (lab_id, task, learner_a, learner_b));
"""

# Graded hints (issue 14): which hint of which task each learner revealed, and when.
_V6 = """
CREATE TABLE hints_used (
    learner TEXT NOT NULL REFERENCES learners(name), lab_id TEXT NOT NULL, task TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level >= 1), at TEXT NOT NULL,
    PRIMARY KEY (learner, lab_id, task, level));
"""

# MIGRATIONS[i] takes a database from version i to i + 1.
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class CheckResult:
    name: str
    task: str | None
    status: str  # pass | fail | error
    message: str = ""
    duration_s: float = 0.0
    kind: str | None = None  # how a failing call ended: raised | timeout | memory | crashed …


class Rows:
    """The store's read side: `query(sql, params)` yields rows as dicts.

    sqlite-utils' `Database.query` did the same; importing it also loads NumPy, about a third
    of the TUI's start-up, for nothing the store uses."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def query(self, sql: str, params: Any = None) -> Iterator[dict]:
        cursor = self.conn.execute(sql, [] if params is None else params)
        keys = [column[0] for column in cursor.description or ()]
        for row in cursor:
            yield dict(zip(keys, row, strict=True))

    def table_names(self) -> list[str]:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        return [row["name"] for row in self.query(sql)]


class Store:
    """All reads and writes of learner records. Knows nothing of the screen."""

    def __init__(self, path: Path | str = ":memory:", *, migrate_to: int = SCHEMA_VERSION):
        self.path = str(path)
        self._lock = threading.RLock()
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        self.conn = conn
        self.db = Rows(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this harness knows "
                f"({SCHEMA_VERSION}); upgrade the harness (git pull && make run)"
            )
        if version < migrate_to:
            self._migrate(version, migrate_to)

    @classmethod
    def memory(cls) -> Store:
        return cls(":memory:")

    def close(self) -> None:
        self.conn.close()

    def _unusable(self, exc: Exception) -> StoreError:
        return StoreError(
            f"{self.path}: the progress database cannot be read ({exc}). Recovery: move it "
            f"aside (mv {self.path} {self.path}.broken), then restore a backup "
            f"({self.path}.bak-*) or run `harness doctor` and start a fresh one."
        )

    # --- migrations -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self, current: int, target: int) -> None:
        if current > 0 and self.path != ":memory:":
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            backup = f"{self.path}.bak-v{current}-{stamp}"
            self.conn.execute(f"VACUUM INTO '{backup}'")
        for version in range(current, target):
            with self._transaction():
                # executescript would commit our transaction; run statements one by one.
                for statement in MIGRATIONS[version].split(";\n"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    # --- transactions and the event log ---------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._unusable(exc) from None
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def _log(self, learner: str, kind: str, payload: dict[str, Any], at: str | None = None) -> str:
        """Append one event to the learner's hash chain (call inside a transaction)."""
        at = at or now()
        body = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        row = self.conn.execute(
            "SELECT hash FROM events WHERE learner = ? ORDER BY id DESC LIMIT 1", (learner,)
        ).fetchone()
        prev = row[0] if row else GENESIS
        # A learner imported under another name (a clash: `ana@1f2e3d4c`) keeps the name
        # their own chain was written with, so the chain still verifies where it came from.
        try:
            alias = self.conn.execute(
                "SELECT chain_name FROM learner_keys WHERE name = ?", (learner,)
            ).fetchone()
        except sqlite3.OperationalError:  # a database not yet at the schema that has keys
            alias = None
        digest = event_hash(prev, alias[0] if alias else learner, at, kind, body)
        self.conn.execute(
            "INSERT INTO events (learner, at, kind, payload, prev_hash, hash) VALUES (?,?,?,?,?,?)",
            (learner, at, kind, body, prev, digest),
        )
        return digest

    def log_event(self, learner: str, kind: str, payload: dict[str, Any]) -> None:
        with self._transaction():
            self._require_learner(learner)
            self._log(learner, kind, payload)

    def events(self, learner: str | None = None, limit: int | None = None) -> list[dict]:
        sql = "SELECT * FROM events"
        args: list[Any] = []
        if learner:
            sql += " WHERE learner = ?"
            args.append(learner)
        if limit:  # the newest `limit` events, oldest first
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
            args.append(limit)
        else:
            sql += " ORDER BY id"
        return list(self.db.query(sql, args))

    # --- learners -------------------------------------------------------------------------

    def add_learner(self, name: str) -> bool:
        """Create a learner; return False if the name was already there."""
        validate_name(name)
        with self._transaction():
            if self._has_learner(name):
                return False
            at = now()
            self.conn.execute("INSERT INTO learners (name, created_at) VALUES (?, ?)", (name, at))
            self._log(name, "learner.added", {"name": name}, at)
            return True

    def learners(self) -> list[str]:
        return [r["name"] for r in self.db.query("SELECT name FROM learners ORDER BY name")]

    def _has_learner(self, name: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM learners WHERE name = ?", (name,)).fetchone()
        return row is not None

    def _require_learner(self, name: str) -> None:
        validate_name(name)
        if not self._has_learner(name):
            known = ", ".join(self.learners()) or "none yet"
            raise KeyError(
                f"unknown learner '{name}'; known: {known} "
                f"(add one with `harness learner add {name}`)"
            )

    # --- pages ----------------------------------------------------------------------------

    def record_page(self, learner: str, item_id: str, event: str) -> None:
        if event not in ("opened", "completed"):
            raise ValueError(f"page event must be 'opened' or 'completed', got {event!r}")
        with self._transaction():
            self._require_learner(learner)
            at = now()
            self.conn.execute(
                "INSERT INTO page_events (learner, item_id, event, at) VALUES (?,?,?,?)",
                (learner, item_id, event, at),
            )
            self._log(learner, f"page.{event}", {"item": item_id}, at)

    def completed_pages(self, learner: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT item_id FROM page_events WHERE learner = ? AND event = 'completed'",
            (learner,),
        )
        return {r[0] for r in rows}

    # --- checks ---------------------------------------------------------------------------

    def record_check_run(
        self,
        *,
        learner: str | None,
        lab_id: str,
        impl: str,
        task: str | None,
        status: str,
        results: list[CheckResult],
        message: str = "",
        output_tail: str = "",
        started_at: str | None = None,
        duration_s: float = 0.0,
        isolation: str | None = None,
        heldout_seed: int | None = None,
        similarity: dict[str, float] | None = None,
    ) -> int:
        passed = sum(r.status == "pass" for r in results)
        with self._transaction():
            if learner:
                self._require_learner(learner)
            cur = self.conn.execute(
                "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
                "message, output_tail, started_at, duration_s, isolation, heldout_seed) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    learner,
                    lab_id,
                    impl,
                    task,
                    status,
                    passed,
                    len(results) - passed,
                    message,
                    output_tail,
                    started_at or now(),
                    duration_s,
                    isolation,
                    heldout_seed,
                ),
            )
            run_id = cur.lastrowid
            self.conn.executemany(
                "INSERT INTO check_results (run_id, name, task, status, message, duration_s, "
                "kind) VALUES (?,?,?,?,?,?,?)",
                [
                    (run_id, r.name, r.task, r.status, r.message, r.duration_s, r.kind)
                    for r in results
                ],
            )
            self.conn.executemany(
                "INSERT INTO check_similarity (run_id, task, similarity) VALUES (?,?,?)",
                [(run_id, t, float(v)) for t, v in (similarity or {}).items()],
            )
            if learner:
                self._log(
                    learner,
                    "check.run",
                    {
                        "lab": lab_id,
                        "impl": impl,
                        "task": task,
                        "status": status,
                        "passed": passed,
                        "failed": len(results) - passed,
                        "isolation": isolation,
                        "heldout_seed": heldout_seed,
                    },
                )
            return run_id

    def last_check_run(self, learner: str, lab_id: str, *, full_only: bool = True) -> dict | None:
        sql = "SELECT * FROM check_runs WHERE learner = ? AND lab_id = ? AND impl = 'learner'"
        if full_only:
            sql += " AND task IS NULL"
        rows = list(self.db.query(sql + " ORDER BY id DESC LIMIT 1", [learner, lab_id]))
        return rows[0] if rows else None

    def check_results(self, run_id: int) -> list[dict]:
        return list(
            self.db.query("SELECT * FROM check_results WHERE run_id = ? ORDER BY id", [run_id])
        )

    # --- quiz -----------------------------------------------------------------------------

    def start_quiz_attempt(
        self, learner: str, quiz_id: str, seed: int, n_questions: int, *, practice: bool = False
    ) -> int:
        """Open an attempt. Attempts left open for over STALE_ATTEMPT_HOURS (a process killed
        mid-quiz) are closed as abandoned first, keeping their answers. A practice attempt
        (the learner chose the seed) never counts toward the Definition of Done."""
        with self._transaction():
            self._require_learner(learner)
            at = now()
            cutoff = (datetime.now(timezone.utc) - timedelta(hours=STALE_ATTEMPT_HOURS)).isoformat()
            stale = self.conn.execute(
                "SELECT id FROM quiz_attempts WHERE learner = ? AND status = 'in_progress' "
                "AND started_at < ?",
                (learner, cutoff),
            ).fetchall()
            for (stale_id,) in stale:
                self.conn.execute(
                    "UPDATE quiz_attempts SET status = 'abandoned', finished_at = ? WHERE id = ?",
                    (at, stale_id),
                )
                self._log(learner, "quiz.abandoned", {"attempt": stale_id, "stale": True}, at)
            cur = self.conn.execute(
                "INSERT INTO quiz_attempts (learner, quiz_id, seed, started_at, status, "
                "n_questions, practice) VALUES (?,?,?,?, 'in_progress', ?, ?)",
                (learner, quiz_id, seed, at, n_questions, int(practice)),
            )
            payload = {"quiz": quiz_id, "attempt": cur.lastrowid, "seed": seed}
            if practice:
                payload["practice"] = True
            self._log(learner, "quiz.started", payload, at)
            return cur.lastrowid

    def record_quiz_answer(
        self, attempt_id: int, question_id: str, position: int, answer: str, correct: bool
    ) -> None:
        with self._transaction():
            attempt = self._attempt(attempt_id)
            if attempt["status"] != "in_progress":
                raise ValueError(f"quiz attempt {attempt_id} is {attempt['status']}, not open")
            self.conn.execute(
                "INSERT INTO quiz_answers (attempt_id, question_id, position, answer, correct, "
                "answered_at) VALUES (?,?,?,?,?,?)",
                (attempt_id, question_id, position, answer, int(correct), now()),
            )

    def finish_quiz_attempt(
        self, attempt_id: int, score: float | None, passed: bool | None, status: str = "finished"
    ) -> None:
        if status not in ("finished", "abandoned"):
            raise ValueError(f"status must be 'finished' or 'abandoned', got {status!r}")
        with self._transaction():
            attempt = self._attempt(attempt_id)
            self.conn.execute(
                "UPDATE quiz_attempts SET status = ?, finished_at = ?, score = ?, passed = ? "
                "WHERE id = ?",
                (status, now(), score, None if passed is None else int(passed), attempt_id),
            )
            self._log(
                attempt["learner"],
                f"quiz.{status}",
                {
                    "quiz": attempt["quiz_id"],
                    "attempt": attempt_id,
                    "score": score,
                    "passed": passed,
                },
            )

    def _attempt(self, attempt_id: int) -> dict:
        rows = list(self.db.query("SELECT * FROM quiz_attempts WHERE id = ?", [attempt_id]))
        if not rows:
            raise KeyError(f"no quiz attempt {attempt_id}")
        return rows[0]

    def quiz_attempts(self, learner: str | None = None, quiz_id: str | None = None) -> list[dict]:
        where, args = [], []
        if learner:
            where.append("learner = ?")
            args.append(learner)
        if quiz_id:
            where.append("quiz_id = ?")
            args.append(quiz_id)
        sql = "SELECT * FROM quiz_attempts" + (" WHERE " + " AND ".join(where) if where else "")
        return list(self.db.query(sql + " ORDER BY id", args))

    def quiz_answers(self, attempt_id: int) -> list[dict]:
        return list(
            self.db.query(
                "SELECT * FROM quiz_answers WHERE attempt_id = ? ORDER BY position", [attempt_id]
            )
        )

    def best_quiz(self, learner: str, quiz_id: str) -> dict | None:
        rows = list(
            self.db.query(
                "SELECT * FROM quiz_attempts WHERE learner = ? AND quiz_id = ? AND "
                "status = 'finished' ORDER BY score DESC, id LIMIT 1",
                [learner, quiz_id],
            )
        )
        return rows[0] if rows else None

    # --- reflections ----------------------------------------------------------------------

    def save_reflection(self, learner: str, prompt_id: str, text: str) -> int:
        """Keep every save as a new version; saving the same text twice adds nothing."""
        with self._transaction():
            self._require_learner(learner)
            last = self.conn.execute(
                "SELECT version, text FROM reflections WHERE learner = ? AND prompt_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (learner, prompt_id),
            ).fetchone()
            if last and last[1] == text:
                return last[0]
            version = (last[0] if last else 0) + 1
            at = now()
            self.conn.execute(
                "INSERT INTO reflections (learner, prompt_id, version, text, saved_at) "
                "VALUES (?,?,?,?,?)",
                (learner, prompt_id, version, text, at),
            )
            self._log(
                learner,
                "reflection.saved",
                {"prompt": prompt_id, "version": version, "chars": len(text)},
                at,
            )
            return version

    def reflections(self, learner: str) -> dict[str, str]:
        """The latest text for each prompt."""
        rows = self.conn.execute(
            "SELECT prompt_id, text FROM reflections r WHERE learner = ? AND version = "
            "(SELECT MAX(version) FROM reflections WHERE learner = r.learner "
            "AND prompt_id = r.prompt_id)",
            (learner,),
        )
        return {p: t for p, t in rows}

    def reflection_versions(self, learner: str, prompt_id: str) -> list[dict]:
        return list(
            self.db.query(
                "SELECT * FROM reflections WHERE learner = ? AND prompt_id = ? ORDER BY version",
                [learner, prompt_id],
            )
        )

    # --- runs -----------------------------------------------------------------------------

    def record_run(
        self,
        *,
        learner: str | None,
        lab_id: str,
        impl: str,
        run_dir: str,
        seed: int,
        status: str,
        metrics: dict | None,
        started_at: str,
        duration_s: float,
    ) -> int:
        with self._transaction():
            if learner:
                self._require_learner(learner)
            cur = self.conn.execute(
                "INSERT INTO runs (learner, lab_id, impl, run_dir, seed, status, metrics, "
                "started_at, duration_s) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    learner,
                    lab_id,
                    impl,
                    run_dir,
                    seed,
                    status,
                    json.dumps(metrics or {}),
                    started_at,
                    duration_s,
                ),
            )
            if learner:
                self._log(
                    learner,
                    "run.finished",
                    {"lab": lab_id, "status": status, "run_dir": run_dir, "metrics": metrics},
                )
            return cur.lastrowid

    def last_run(self, learner: str | None, lab_id: str) -> dict | None:
        sql = "SELECT * FROM runs WHERE lab_id = ? AND "
        sql += "learner = ?" if learner else "learner IS NULL"
        args = [lab_id] + ([learner] if learner else [])
        rows = list(self.db.query(sql + " ORDER BY id DESC LIMIT 1", args))
        return rows[0] if rows else None

    # --- mentor feedback ------------------------------------------------------------------

    def add_feedback(self, learner: str, mentor: str, target: str, text: str) -> int:
        if not text.strip():
            raise ValueError("feedback text is empty")
        with self._transaction():
            self._require_learner(learner)
            at = now()
            cur = self.conn.execute(
                "INSERT INTO feedback (learner, mentor, target, text, at) VALUES (?,?,?,?,?)",
                (learner, mentor, target, text, at),
            )
            self._log(learner, "feedback.added", {"mentor": mentor, "target": target}, at)
            return cur.lastrowid

    def feedback(self, learner: str) -> list[dict]:
        return list(
            self.db.query("SELECT * FROM feedback WHERE learner = ? ORDER BY id", [learner])
        )

    # --- health ---------------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """`PRAGMA integrity_check` rows; ['ok'] when the file is sound."""
        with self._lock:
            return [r[0] for r in self.conn.execute("PRAGMA integrity_check")]

    # --- review and mastery ---------------------------------------------------------------

    def record_quiz_drawn(
        self, attempt_id: int, drawn: list[tuple[int, str, str | None, Any]]
    ) -> None:
        """What an attempt showed: (position, question id, generator or None, parameters)."""
        with self._transaction():
            self._attempt(attempt_id)
            self.conn.executemany(
                "INSERT INTO quiz_drawn (attempt_id, position, question_id, generator, params) "
                "VALUES (?,?,?,?,?)",
                [
                    (attempt_id, pos, qid, gen, None if params is None else json.dumps(params))
                    for pos, qid, gen, params in drawn
                ],
            )

    def quiz_drawn(self, attempt_id: int) -> list[dict]:
        return list(
            self.db.query(
                "SELECT * FROM quiz_drawn WHERE attempt_id = ? ORDER BY position", [attempt_id]
            )
        )

    def best_counted_quiz(self, learner: str, quiz_id: str) -> dict | None:
        """The best finished attempt that counts: drawn by the harness, not seeded practice."""
        rows = list(
            self.db.query(
                "SELECT * FROM quiz_attempts WHERE learner = ? AND quiz_id = ? AND "
                "status = 'finished' AND practice = 0 ORDER BY score DESC, id LIMIT 1",
                [learner, quiz_id],
            )
        )
        return rows[0] if rows else None

    def variant_answers(self, quiz_id: str) -> list[dict]:
        """Every answer to a generated variant, with its parameters (for per-parameter stats)."""
        return list(
            self.db.query(
                "SELECT d.question_id, d.generator, d.params, a.correct, t.learner "
                "FROM quiz_drawn d JOIN quiz_attempts t ON t.id = d.attempt_id "
                "JOIN quiz_answers a ON a.attempt_id = d.attempt_id AND a.position = d.position "
                "WHERE t.quiz_id = ? AND d.generator IS NOT NULL ORDER BY a.id",
                [quiz_id],
            )
        )

    def review_pending(self, learner: str) -> tuple[list[dict], list[dict], tuple[int, int]]:
        """What the review queue has not seen yet: quiz answers (and questions left unanswered
        in finished attempts) and per-task check results, oldest first, with the marks to
        store once they are applied."""
        row = self.conn.execute(
            "SELECT last_answer_id, last_check_run_id FROM review_sync WHERE learner = ?",
            (learner,),
        ).fetchone()
        last_answer, last_run = row if row else (0, 0)
        answers = list(
            self.db.query(
                "SELECT a.id, a.question_id, a.correct, a.answered_at AS at, d.generator, "
                "d.params, t.id = (SELECT MIN(e.id) FROM quiz_attempts e WHERE "
                "e.learner = t.learner AND e.quiz_id = t.quiz_id AND e.seed = t.seed) AS first "
                "FROM quiz_answers a JOIN quiz_attempts t ON t.id = a.attempt_id "
                "LEFT JOIN quiz_drawn d ON d.attempt_id = a.attempt_id AND d.position = a.position "
                "WHERE t.learner = ? AND a.id > ? ORDER BY a.id",
                [learner, last_answer],
            )
        )
        # Questions a finished attempt showed but the learner left unanswered count as missed,
        # once each: the review log names every one it has queued.
        unanswered = list(
            self.db.query(
                "SELECT t.id AS attempt_id, d.position, d.question_id, t.finished_at AS at, "
                "d.generator, d.params FROM quiz_drawn d JOIN quiz_attempts t "
                "ON t.id = d.attempt_id WHERE t.learner = ? AND t.status = 'finished' "
                "AND NOT EXISTS (SELECT 1 FROM quiz_answers a WHERE a.attempt_id = d.attempt_id "
                "AND a.position = d.position) AND NOT EXISTS (SELECT 1 FROM review_log l "
                "WHERE l.learner = t.learner "
                "AND l.source = 'unanswered:' || t.id || ':' || d.position)",
                [learner],
            )
        )
        answers += [{**u, "id": 0, "correct": 0, "unanswered": True} for u in unanswered]
        answers.sort(key=lambda a: a["at"] or "")
        tasks = list(
            self.db.query(
                "SELECT r.id AS run_id, r.lab_id, c.task, MIN(c.status = 'pass') AS passed, "
                "r.started_at AS at FROM check_runs r JOIN check_results c ON c.run_id = r.id "
                "WHERE r.learner = ? AND r.impl = 'learner' AND r.id > ? AND c.task IS NOT NULL "
                "AND r.status != 'cancelled' "
                "GROUP BY r.id, c.task ORDER BY r.id, c.task",
                [learner, last_run],
            )
        )
        marks = (
            max([last_answer] + [a["id"] for a in answers]),
            max([last_run] + [t["run_id"] for t in tasks]),
        )
        return answers, tasks, marks

    def review_cards(self, learner: str, *, due_by: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM review_cards WHERE learner = ?", [learner]
        if due_by is not None:
            sql += " AND due <= ?"
            args.append(due_by)
        return list(self.db.query(sql + " ORDER BY due, card", args))

    def apply_review_sync(
        self,
        learner: str,
        cards: list[dict],
        log: list[dict],
        marks: tuple[int, int],
        evidence: list[dict] = (),
    ) -> None:
        """Store updated cards and what moved them, the mastery evidence read, and how far the
        queue has read, at once."""
        with self._transaction():
            self._require_learner(learner)
            self._upsert_cards(learner, cards)
            self._insert_review_log(learner, log)
            self._add_evidence(learner, evidence)
            self.conn.execute(
                "INSERT INTO review_sync (learner, last_answer_id, last_check_run_id) "
                "VALUES (?,?,?) ON CONFLICT (learner) DO UPDATE SET "
                "last_answer_id = excluded.last_answer_id, "
                "last_check_run_id = excluded.last_check_run_id",
                (learner, *marks),
            )
            if cards:
                self._log(
                    learner,
                    "review.queued",
                    {"cards": sorted({c["card"] for c in cards}), "changes": len(log)},
                )

    def record_review(self, learner: str, card: dict, entry: dict) -> None:
        """One answer in `harness review`: the card's new schedule, the log row, an event."""
        with self._transaction():
            self._require_learner(learner)
            self._upsert_cards(learner, [card])
            self._insert_review_log(learner, [entry])
            if entry.get("outcome"):
                self._add_evidence(
                    learner,
                    [
                        {
                            "source": "review",
                            "key": entry["outcome"],
                            "outcome": entry["outcome"],
                            "successes": int(entry["correct"]),
                            "trials": 1,
                        }
                    ],
                )
            self._log(
                learner,
                "review.answered",
                {
                    "card": card["card"],
                    "correct": bool(entry["correct"]),
                    "rating": entry["rating"],
                    "due": card["due"],
                },
                entry["at"],
            )

    def _upsert_cards(self, learner: str, cards: list[dict]) -> None:
        self.conn.executemany(
            "INSERT INTO review_cards (learner, card, kind, ref, outcome, fsrs, due, created_at) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (learner, card) DO UPDATE SET "
            "fsrs = excluded.fsrs, due = excluded.due, outcome = excluded.outcome",
            [
                (
                    learner,
                    c["card"],
                    c["kind"],
                    c["ref"],
                    c.get("outcome"),
                    c["fsrs"],
                    c["due"],
                    c.get("created_at") or now(),
                )
                for c in cards
            ],
        )

    def _insert_review_log(self, learner: str, log: list[dict]) -> None:
        self.conn.executemany(
            "INSERT INTO review_log (learner, card, source, outcome, question_id, params, "
            "answer, correct, rating, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    learner,
                    e["card"],
                    e["source"],
                    e.get("outcome"),
                    e.get("question_id"),
                    None if e.get("params") is None else json.dumps(e["params"]),
                    e.get("answer"),
                    int(e["correct"]),
                    e["rating"],
                    e["at"],
                )
                for e in log
            ],
        )

    def reviews_since(self, learner: str, since: str) -> int:
        """Reviews the learner answered in `harness review` since `since` (the daily cap)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM review_log WHERE learner = ? AND source = 'review' AND at >= ?",
            (learner, since),
        ).fetchone()
        return row[0]

    def review_log(self, learner: str) -> list[dict]:
        return list(
            self.db.query("SELECT * FROM review_log WHERE learner = ? ORDER BY id", [learner])
        )

    def due_counts(self, due_by: str, since: str) -> dict[str, tuple[int, int]]:
        """Per learner: cards due by `due_by`, reviews answered since `since` (set-based)."""
        rows = self.conn.execute(
            "SELECT l.name, (SELECT COUNT(*) FROM review_cards c WHERE c.learner = l.name "
            "AND c.due <= ?), (SELECT COUNT(*) FROM review_log r WHERE r.learner = l.name "
            "AND r.source = 'review' AND r.at >= ?) FROM learners l",
            (due_by, since),
        )
        return {name: (due, done) for name, due, done in rows}

    def _add_evidence(self, learner: str, rows: list[dict]) -> None:
        """Add to the running counts; a row with `replace` (a task's latest result) replaces."""
        for r in rows:
            keep = "0" if r.get("replace") else "1"
            self.conn.execute(
                "INSERT INTO mastery_evidence (learner, source, key, outcome, successes, trials) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT (learner, source, key) DO UPDATE SET "
                f"outcome = excluded.outcome, successes = {keep} * successes + "
                f"excluded.successes, trials = {keep} * trials + excluded.trials",
                (learner, r["source"], r["key"], r["outcome"], r["successes"], r["trials"]),
            )

    def unsynced_learners(self) -> list[str]:
        """Learners with quiz answers or check runs the review queue has not read yet."""
        rows = self.conn.execute(
            "SELECT l.name FROM learners l LEFT JOIN review_sync s ON s.learner = l.name "
            "WHERE EXISTS (SELECT 1 FROM quiz_attempts t JOIN quiz_answers a "
            "ON a.attempt_id = t.id WHERE t.learner = l.name "
            "AND a.id > COALESCE(s.last_answer_id, 0)) "
            "OR EXISTS (SELECT 1 FROM check_runs r WHERE r.learner = l.name "
            "AND r.id > COALESCE(s.last_check_run_id, 0)) ORDER BY l.name"
        )
        return [r[0] for r in rows]

    def outcome_evidence(self, learner: str | None = None) -> list[tuple[str, str, str, int, int]]:
        """(learner, outcome, source, successes, trials) rows as the review queue's sync
        counted them (tasks give one row each: add them up per outcome): 'quiz' (answers in
        the first attempt at each seed: a replay can be answered from the first one's review),
        'review' (answers in `harness review`) and 'task' (the latest result of each lab task,
        once). Call `harness.learning.review.sync` first."""
        sql = "SELECT learner, outcome, source, successes, trials FROM mastery_evidence"
        if learner:
            sql += " WHERE learner = ?"
        with self._lock:
            return self.conn.execute(sql, (learner,) if learner else ()).fetchall()

    def mark_reflection(
        self, learner: str, prompt_id: str, mentor: str, verdict: str, feedback: str
    ) -> int:
        """A mentor's verdict on the latest version of a reflection: 'needs_work' reopens its
        Definition-of-Done item until the learner saves a revision; 'ok' clears a mark."""
        if verdict not in ("needs_work", "ok"):
            raise ValueError(f"verdict must be 'needs_work' or 'ok', got {verdict!r}")
        if verdict == "needs_work" and not feedback.strip():
            raise ValueError("say what needs work: the learner sees this feedback")
        with self._transaction():
            self._require_learner(learner)
            row = self.conn.execute(
                "SELECT MAX(version) FROM reflections WHERE learner = ? AND prompt_id = ?",
                (learner, prompt_id),
            ).fetchone()
            if row[0] is None:
                raise KeyError(f"{learner} has not written reflection '{prompt_id}' yet")
            at = now()
            cur = self.conn.execute(
                "INSERT INTO reflection_marks (learner, prompt_id, version, mentor, verdict, "
                "feedback, at) VALUES (?,?,?,?,?,?,?)",
                (learner, prompt_id, row[0], mentor, verdict, feedback.strip(), at),
            )
            self._log(
                learner,
                "reflection.marked",
                {"prompt": prompt_id, "version": row[0], "mentor": mentor, "verdict": verdict},
                at,
            )
            return cur.lastrowid

    def reflection_marks(self, learner: str) -> dict[str, dict]:
        """The latest mentor mark per prompt (with the version it was made on)."""
        rows = self.db.query(
            "SELECT * FROM reflection_marks WHERE learner = ? ORDER BY id", [learner]
        )
        return {r["prompt_id"]: r for r in rows}

    # --- hints (issue 14) ------------------------------------------------------------------

    def hints_revealed(self, learner: str, lab_id: str, task: str) -> int:
        """How many of the task's graded hints the learner has revealed (0 to 3)."""
        row = self.conn.execute(
            "SELECT MAX(level) FROM hints_used WHERE learner = ? AND lab_id = ? AND task = ?",
            (learner, lab_id, task),
        ).fetchone()
        return int(row[0] or 0)

    def record_hint(self, learner: str, lab_id: str, task: str, level: int) -> None:
        """The learner revealed hint `level` (1-based) of a task; logged as `hint.revealed`."""
        with self._transaction():
            self._require_learner(learner)
            at = now()
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO hints_used (learner, lab_id, task, level, at) "
                "VALUES (?,?,?,?,?)",
                (learner, lab_id, task, int(level), at),
            )
            if cur.rowcount:
                payload = {"lab": lab_id, "task": task, "level": int(level)}
                self._log(learner, "hint.revealed", payload, at)

    def hints_used(self, learner: str | None = None) -> list[dict]:
        """For mentors: hints revealed per learner, lab and task (`hints` = the highest level)."""
        sql = (
            "SELECT learner, lab_id, task, MAX(level) AS hints, MAX(at) AS last_at FROM hints_used"
        )
        args: list[Any] = []
        if learner:
            sql += " WHERE learner = ?"
            args.append(learner)
        sql += " GROUP BY learner, lab_id, task ORDER BY learner, lab_id, task"
        cur = self.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
