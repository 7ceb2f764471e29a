"""What a cohort's check records prove, in the words docs/ARCHITECTURE.md uses.

- *Self-reported only*: a learner's check-run row with no matching `check.run` event in their
  hash-chained event log. The harness writes both in one transaction, so a row alone was put
  there some other way (an edited database); the view says so and trusts it no further.
- *Confined*: the run records how learner code was isolated (`check_runs.isolation`), and
  whether the trusted side drew a held-out seed for it (`heldout_seed`).
- *Similar*: `check_similarity` rows at or above SIMILARITY_FLAG for a task.

Each list is empty when its data is absent, and a view shows a section only when it is not.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from harness.store import Store

SIMILARITY_FLAG = 0.9


@dataclass(frozen=True)
class UnbackedRun:
    run_id: int
    learner: str
    lab_id: str
    impl: str
    task: str | None
    status: str
    passed: int
    failed: int
    started_at: str

    @property
    def key(self) -> tuple:
        """What the row and its `check.run` event both record."""
        return (self.lab_id, self.impl, self.task, self.status, self.passed, self.failed)


@dataclass(frozen=True)
class ConfinedRun:
    learner: str
    lab_id: str
    status: str
    isolation: str
    heldout_seed: bool  # the trusted side drew a held-out seed for this run
    started_at: str


@dataclass(frozen=True)
class SimilarityFlag:
    learner: str
    lab_id: str
    task: str
    similarity: float
    run_id: int


def unbacked_runs(store: Store | sqlite3.Connection) -> list[UnbackedRun]:
    """Learner check runs that no `check.run` event accounts for, oldest first.

    Rows and events are matched on what both record (lab, impl, task, status, passed,
    failed), in order: the first k rows of a kind pair with the k events of that kind, and
    any rows beyond those are unbacked. Takes a Store or, for `harness doctor`'s read-only
    look (tamper.py), a plain connection.
    """
    conn = store.conn if isinstance(store, Store) else store
    logged: Counter = Counter()
    for *key, n in conn.execute(
        """
        SELECT learner, json_extract(payload, '$.lab'), json_extract(payload, '$.impl'),
               json_extract(payload, '$.task'), json_extract(payload, '$.status'),
               json_extract(payload, '$.passed'), json_extract(payload, '$.failed'), COUNT(*)
        FROM events WHERE kind = 'check.run' AND json_valid(payload)
        GROUP BY 1, 2, 3, 4, 5, 6, 7"""
    ):
        logged[tuple(key)] = n
    out = []
    for row in conn.execute(
        "SELECT id, learner, lab_id, impl, task, status, passed, failed, started_at "
        "FROM check_runs WHERE learner IS NOT NULL ORDER BY id"
    ):
        key = row[1:8]
        if logged[key] > 0:
            logged[key] -= 1
        else:
            out.append(UnbackedRun(*row))
    return out


def confined_runs(store: Store) -> list[ConfinedRun]:
    """Each learner's latest full check per lab that records its isolation."""
    rows = store.conn.execute(
        """
        SELECT learner, lab_id, status, isolation, heldout_seed, started_at, MAX(id)
        FROM check_runs
        WHERE learner IS NOT NULL AND task IS NULL AND isolation IS NOT NULL
              AND status != 'cancelled'
        GROUP BY learner, lab_id ORDER BY learner, lab_id"""
    )
    return [
        ConfinedRun(learner, lab_id, status, isolation, seed is not None, at)
        for learner, lab_id, status, isolation, seed, at, _ in rows
    ]


def similarity_flags(store: Store, threshold: float = SIMILARITY_FLAG) -> list[SimilarityFlag]:
    rows = store.conn.execute(
        """
        SELECT c.learner, c.lab_id, s.task, s.similarity, c.id
        FROM check_similarity s JOIN check_runs c ON c.id = s.run_id
        WHERE c.learner IS NOT NULL AND s.similarity >= ?
        ORDER BY s.similarity DESC, c.learner""",
        (threshold,),
    )
    return [SimilarityFlag(*row) for row in rows]


def flags_by_learner(
    unbacked: list[UnbackedRun], similar: list[SimilarityFlag]
) -> dict[str, list[str]]:
    """learner -> one line per thing a mentor should look at, as the views show it."""
    out: dict[str, list[str]] = {}
    for u in unbacked:
        out.setdefault(u.learner, []).append(
            f"self-reported only: {u.lab_id}{' ' + u.task if u.task else ''} {u.status} "
            "has no event in the log"
        )
    for s in similar:
        out.setdefault(s.learner, []).append(
            f"similar code: {s.lab_id} {s.task} {s.similarity:.0%}"
        )
    return out


def store_flags(store: Store) -> dict[str, list[str]]:
    flags = flags_by_learner(unbacked_runs(store), similarity_flags(store))
    from harness.cohort.regrade import verification_flags  # a mentor's regrade (issue 13)

    for learner, line in verification_flags(store):
        flags.setdefault(learner, []).append(line)
    return flags
