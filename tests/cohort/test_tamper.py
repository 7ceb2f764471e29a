"""Rows written around the event log (the sqlite3 command line on the learner's machine) are
found by `harness doctor` and `harness mentor`, which say which."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from harness.cli import main
from harness.cohort.tamper import findings
from harness.doctor import store as doctor_store
from harness.store import Store


def _db(tmp_path, chapter, learner_maker):
    path = tmp_path / "progress.db"
    store = Store(path)
    learner_maker(store, chapter, "ana", tmp_path / "learners")
    store.close()
    return path


def _sql(path, *statements):
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_records_written_through_the_store_are_clean(tmp_path, chapter, learner_maker):
    path = _db(tmp_path, chapter, learner_maker)
    with sqlite3.connect(path) as conn:
        assert findings(conn) == []
    assert [f for f in doctor_store(path) if f.name == "event log"][0].ok


def test_review_answers_and_hints_written_around_the_log_are_found(
    tmp_path, chapter, learner_maker
):
    """Bundles carry both (mentors' mastery and hints read them): a row added with sqlite3
    (a review answered right, a hint never revealed) has no event, and says so."""
    path = _db(tmp_path, chapter, learner_maker)
    store = Store(path)
    store.record_hint("ana", "lab-00", "patchify", 1)  # through the store: backed
    store.close()
    _sql(
        path,
        "INSERT INTO review_log (learner, card, source, outcome, correct, rating, at) "
        "VALUES ('ana', 'question:x', 'review', 'vit', 1, 3, '2026-01-01')",
        "DELETE FROM hints_used WHERE learner = 'ana'",
        "INSERT INTO hints_used (learner, lab_id, task, level, at) "
        "VALUES ('ana', 'lab-01', 'train', 1, '2026-01-01')",
    )
    with sqlite3.connect(path) as conn:
        text = "\n".join(findings(conn))
    assert "review answer 1 ('question:x', 1, 3) has no event in the log" in text
    assert "('lab-01', 'train', 1) has no event in the log" in text and "revealed hint" in text
    assert "patchify" not in text  # the deleted row was backed; a deletion is not a forgery


def test_each_bypass_is_found_and_named(tmp_path, chapter, learner_maker):
    path = _db(tmp_path, chapter, learner_maker)
    _sql(
        path,
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
        "started_at, duration_s) VALUES ('ana', 'lab-01', 'learner', NULL, 'pass', 9, 0, "
        "'2026-01-01', 1.0)",
        "UPDATE check_runs SET status = 'pass', passed = 2, failed = 0 WHERE id = 1",
        "UPDATE quiz_attempts SET score = 1.0, passed = 1",
        "INSERT INTO reflections (learner, prompt_id, version, text, saved_at) "
        "VALUES ('ana', 'fusion', 2, 'written later', '2026-01-02')",
        "UPDATE events SET payload = replace(payload, 'theory-00', 'theory-01') "
        "WHERE kind = 'page.completed'",
    )
    with sqlite3.connect(path) as conn:
        lines = findings(conn)
    text = "\n".join(lines)
    assert "check run 2 ('lab-01'" in text and "has no event" in text
    assert "check run 1 ('lab-00', 'learner', None, 'pass', 2, 0) has no event" in text
    assert "check run 1 says 2 passed but has 1 passing results" in text
    assert "finished quiz attempt 1" in text
    assert "reflection 2 ('fusion', 2" in text
    assert "(page.completed) does not match its hash" in text
    finding = [f for f in doctor_store(path) if f.name == "event log"][0]
    assert not finding.ok and "regrade" in finding.fix
    env = {"HARNESS_DB": str(path), "HARNESS_LEARNERS": str(tmp_path / "learners")}
    out = CliRunner().invoke(main, ["mentor", "overview"], env=env).output
    assert "TAMPER: ana: check run 2" in out


def test_a_forged_row_travels_in_a_bundle_and_the_mentor_sees_it(tmp_path, chapter, learner_maker):
    from harness.cohort.records import export_bundle, import_bundle

    path = _db(tmp_path, chapter, learner_maker)
    _sql(
        path,
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
        "started_at, duration_s) VALUES ('ana', 'lab-02', 'learner', NULL, 'pass', 7, 0, "
        "'2026-01-01', 1.0)",
    )
    learner = Store(path)
    bundle = export_bundle(learner, chapter, "ana", learners_root=tmp_path / "learners")
    learner.close()
    mentor = Store.memory()
    import_bundle(mentor, chapter, bundle, learners_root=tmp_path / "mentor")
    lines = findings(mentor.conn)
    assert lines == [
        "ana: check run 2 ('lab-02', 'learner', None, 'pass', 7, 0) has no event in the log",
        "ana: check run 2 says 7 passed but has 0 passing results",
    ]
    mentor.close()
