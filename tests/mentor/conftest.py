"""Shared pieces for the mentor and records tests: the chapter, stores, a busy learner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.chapter import load_chapter
from harness.cohort.records import TABLES
from harness.store import CheckResult, Store

CHAPTER = load_chapter()


@pytest.fixture(scope="session")
def chapter():
    return CHAPTER


@pytest.fixture
def store():
    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def mentor_store():
    s = Store.memory()
    yield s
    s.close()


def make_busy_learner(store: Store, name: str, root: Path, *, finish_quiz: bool = True) -> None:
    """A learner with rows in every table, a reflections.md and one run manifest."""
    store.add_learner(name)
    for item in ("theory-00", "theory-01"):
        store.record_page(name, item, "opened")
        store.record_page(name, item, "completed")
    store.record_check_run(
        learner=name,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[CheckResult("t_patchify", "patchify", "fail", "shape (2, 3) != (2, 4)", 0.1)],
    )
    store.record_check_run(
        learner=name,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="pass",
        results=[
            CheckResult("t_patchify", "patchify", "pass"),
            CheckResult("t_attn", None, "pass"),
        ],
    )
    store.record_check_run(
        learner=name,
        lab_id="lab-01",
        impl="learner",
        task="info_nce",
        status="fail",
        results=[CheckResult("t_nce", "info_nce", "fail")],
    )
    done = store.start_quiz_attempt(name, "X2", seed=7, n_questions=2)
    store.record_quiz_answer(done, "q-vit-1", 0, "b", True)
    store.record_quiz_answer(done, "q-fusion-2", 1, "a", False)
    store.finish_quiz_attempt(done, 0.5, False)
    open_attempt = store.start_quiz_attempt(name, "X2", seed=8, n_questions=2)
    store.record_quiz_answer(open_attempt, "q-vit-1", 0, "b", True)
    if finish_quiz:
        store.record_quiz_answer(open_attempt, "q-fusion-2", 1, "c", True)
        store.finish_quiz_attempt(open_attempt, 1.0, True)
    store.save_reflection(name, "fusion", "Late fusion first.")
    store.save_reflection(name, "fusion", "Late fusion for retrieval; early fusion for VQA.")
    run_dir = root / "experiments" / "X2-multimodal" / "lab-00" / f"20261127-{name}-s0"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "manifest.yaml").write_text(
        yaml.safe_dump({"lab": "lab-00", "seed": 0, "metrics": {"accuracy": 0.91}}),
        encoding="utf-8",
    )
    store.record_run(
        learner=name,
        lab_id="lab-00",
        impl="learner",
        run_dir=str(run_dir),
        seed=0,
        status="ok",
        metrics={"accuracy": 0.91, "loss": 0.3},
        started_at="2026-11-27T01:00:00+00:00",
        duration_s=3.5,
    )
    store.add_feedback(name, "mia", "lab-00", "Nice patchify.")
    store.record_hint(name, "lab-00", "patchify", 1)
    store.record_hint(name, "lab-00", "patchify", 2)
    card = {
        "card": "question:q-vit-1",
        "kind": "question",
        "ref": "q-vit-1",
        "outcome": "vit",
        "fsrs": json.dumps({"card_id": 1, "state": 2, "step": None}),
        "due": "2026-12-02T00:00:00+00:00",
    }
    entry = {"card": card["card"], "source": "review", "outcome": "vit", "correct": True}
    store.record_review(name, card, {**entry, "rating": 3, "at": "2026-11-28T09:00:00+00:00"})
    folder = root / "learners" / name / "extension-X2"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reflections.md").write_text(
        "# Reflections\n\nLate fusion first.\n", encoding="utf-8"
    )


@pytest.fixture(scope="session")
def busy_learner():
    return make_busy_learner


def comparable_rows(store: Store, name: str) -> dict[str, list]:
    """Every table's rows for `name` without surrogate ids (children keyed by their parent's
    position), so two databases can be compared whatever ids they handed out."""
    from harness.cohort.records import learner_records

    records = learner_records(store, name)
    out: dict[str, list] = {}
    positions: dict[str, dict[int, int]] = {}
    for table, parent, parent_col, _key in TABLES:
        rows = []
        positions[table] = {}
        for i, row in enumerate(records[table]):
            row = dict(row)
            if "id" in row:
                positions[table][row.pop("id")] = i
            if parent:
                row[parent_col] = positions[parent][row[parent_col]]
            rows.append(row)
        out[table] = rows
    out["events"] = [{k: v for k, v in e.items() if k != "id"} for e in store.events(name)]
    return out


@pytest.fixture
def comparable():
    return comparable_rows


def table_counts(store: Store) -> dict[str, int]:
    tables = [t[0] for t in TABLES] + ["events"]
    return {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.fixture
def counts():
    return table_counts


def dump(bundle: dict, path: Path) -> Path:
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path
