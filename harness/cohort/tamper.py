"""Rows that bypassed the event log, and events whose hash does not hold.

Every write through `Store` appends an event in the same transaction, so a check run, a
finished quiz attempt or a reflection without its event was written by something else (the
sqlite3 command line, say). Rows are matched to events by what both record (a check run by
lab, impl, task, status and counts; a finished attempt by quiz and score; a reflection by
prompt, version and length), each event used once. This shows damage and crude edits on the
learner's own machine; it cannot show a careful forger who also writes matching events, and
says so: only a regrade shows the code is right. Plain sqlite3, read only (doctor uses it).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from harness.cohort.evidence import unbacked_runs
from harness.store import GENESIS, event_hash


def _events(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    by_learner: dict[str, list[tuple]] = {}
    for row in conn.execute(
        "SELECT id, learner, at, kind, payload, prev_hash, hash FROM events ORDER BY id"
    ):
        by_learner.setdefault(row[1], []).append(row)
    return by_learner


def _payloads(events: list[tuple], kind: str) -> list[dict]:
    out = []
    for ev in events:
        if ev[3] == kind:
            try:
                out.append(json.loads(ev[4]))
            except json.JSONDecodeError:
                continue
    return out


def findings(conn: sqlite3.Connection) -> list[str]:
    """One line per row without its event and per event whose hash or link does not hold."""
    try:
        aliases = dict(conn.execute("SELECT name, chain_name FROM learner_keys"))
    except sqlite3.OperationalError:
        aliases = {}
    events = _events(conn)
    found: list[str] = []
    for learner, evs in sorted(events.items()):
        chain = aliases.get(learner, learner)
        seen = {GENESIS}
        for ev_id, _l, at, kind, payload, prev, digest in evs:
            if event_hash(prev, chain, at, kind, payload) != digest:
                found.append(f"{learner}: event {ev_id} ({kind}) does not match its hash")
            elif prev not in seen:
                found.append(f"{learner}: event {ev_id} ({kind}) links to no earlier event")
            seen.add(digest)
    learners = [r[0] for r in conn.execute("SELECT name FROM learners ORDER BY name")]
    unbacked: dict[str, list] = {}
    for u in unbacked_runs(conn):  # the mentor views' matching (evidence.py), reused
        unbacked.setdefault(u.learner, []).append(u)
    for learner in learners:
        evs = events.get(learner, [])
        found += [
            f"{learner}: check run {u.run_id} {u.key} has no event in the log"
            for u in unbacked.get(learner, [])
        ]
        found += [
            f"{learner}: check run {run_id} says {passed} passed but has {n} passing results"
            for run_id, passed, n in conn.execute(
                "SELECT r.id, r.passed, (SELECT COUNT(*) FROM check_results c WHERE "
                "c.run_id = r.id AND c.status = 'pass') FROM check_runs r WHERE r.learner = ?",
                (learner,),
            )
            if passed != n
        ]
        found += _unmatched(
            learner,
            "finished quiz attempt",
            conn.execute(
                "SELECT id, quiz_id, score FROM quiz_attempts WHERE learner = ? AND "
                "status = 'finished' ORDER BY id",
                (learner,),
            ).fetchall(),
            [(p.get("quiz"), p.get("score")) for p in _payloads(evs, "quiz.finished")],
        )
        found += _unmatched(  # bundles carry these since #16/#14: mastery and hints read them
            learner,
            "review answer",
            conn.execute(
                "SELECT id, card, correct != 0, rating FROM review_log WHERE learner = ? "
                "AND source = 'review' ORDER BY id",
                (learner,),
            ).fetchall(),
            [
                (p.get("card"), bool(p.get("correct")), p.get("rating"))
                for p in _payloads(evs, "review.answered")
            ],  # fmt: skip
        )
        found += _unmatched(
            learner,
            "revealed hint",
            conn.execute(
                "SELECT rowid, lab_id, task, level FROM hints_used WHERE learner = ? "
                "ORDER BY rowid",
                (learner,),
            ).fetchall(),
            [
                (p.get("lab"), p.get("task"), p.get("level"))
                for p in _payloads(evs, "hint.revealed")
            ],
        )
        found += _unmatched(
            learner,
            "reflection",
            conn.execute(
                "SELECT id, prompt_id, version, length(text) FROM reflections WHERE learner = ? "
                "ORDER BY id",
                (learner,),
            ).fetchall(),
            [
                (p.get("prompt"), p.get("version"), p.get("chars"))
                for p in _payloads(evs, "reflection.saved")
            ],  # fmt: skip
        )
    return found


def _unmatched(learner: str, what: str, rows: list[tuple], logged: list[tuple]) -> list[str]:
    available = Counter(logged)
    out = []
    for row in rows:
        key = tuple(row[1:])
        if available[key] > 0:
            available[key] -= 1
        else:
            out.append(f"{learner}: {what} {row[0]} {key} has no event in the log")
    return out
