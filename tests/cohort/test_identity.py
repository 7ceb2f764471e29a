"""Issue 13's falsifications of bundles, each refused or flagged: a forged and re-sealed
bundle, another key, a truncated or rewritten history, two learners with one name."""

from __future__ import annotations

import copy
import json
import stat

import pytest

from harness.cohort import identity
from harness.cohort.records import (
    BundleError,
    _events_digest,
    _section,
    _signed_bytes,
    canonical,
    export_bundle,
    import_bundle,
    sha256,
)
from harness.store import Store, event_hash


def _export(store, chapter, root, name="ana"):
    return export_bundle(store, chapter, name, learners_root=root)


def _reseal(bundle: dict, key=None) -> dict:
    """What a motivated learner does: rebuild the export event over the edited records and
    (with their own key) re-sign."""
    payload = json.loads(bundle["events"][-1]["payload"])
    payload["records_sha256"] = sha256(canonical(_section(bundle)))
    last = bundle["events"][-1]
    last["payload"] = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    last["hash"] = event_hash(
        last["prev_hash"], bundle["learner"], last["at"], last["kind"], last["payload"]
    )
    if key is not None:
        bundle["signature"] = identity.sign(key, _signed_bytes(bundle))
    return bundle


def test_the_private_key_is_made_with_the_learner_mode_0600_and_never_exported(
    store, chapter, tmp_path, learner_maker
):
    root = tmp_path / "learners"
    learner_maker(store, chapter, "ana", root)
    path = identity.key_path("ana", root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    bundle = _export(store, chapter, root)
    secret = path.read_text().strip()
    assert secret not in json.dumps(bundle)
    assert bundle["public_key"] == identity.public_hex(identity.learner_key("ana", root))
    assert store.conn.execute("SELECT COUNT(*) FROM learner_keys WHERE own = 1").fetchone()[0]
    row = store.conn.execute("SELECT learner_id FROM learners WHERE name = 'ana'").fetchone()
    assert bundle["learner_id"] == row[0] and len(row[0]) == 16


def test_an_edited_and_resealed_bundle_is_refused(
    store, mentor_store, chapter, tmp_path, learner_maker
):
    root = tmp_path / "learners"
    learner_maker(store, chapter, "ana", root)
    bundle = _export(store, chapter, root)
    forged = copy.deepcopy(bundle)
    forged["records"]["check_runs"][0]["status"] = "pass"  # a fail turned to pass
    forged["records"]["quiz_attempts"][0]["score"] = 1.0  # the quiz raised to 100%
    _reseal(forged)
    with pytest.raises(BundleError, match="signature does not match"):
        import_bundle(mentor_store, chapter, forged, learners_root=tmp_path / "m")
    assert mentor_store.learners() == []


def test_a_bundle_signed_by_another_key_is_refused_after_the_first_import(
    store, mentor_store, chapter, tmp_path, learner_maker
):
    root = tmp_path / "learners"
    learner_maker(store, chapter, "ana", root)
    first = import_bundle(mentor_store, chapter, _export(store, chapter, root), learners_root=root)
    assert any("trust on first use" in n for n in first.notes)
    store.record_page("ana", "theory-01", "completed")
    later = _export(store, chapter, root)
    other = identity.load_or_create(tmp_path / "other.key")
    later["public_key"] = identity.public_hex(other)
    later["signature"] = identity.sign(other, _signed_bytes(later))
    with pytest.raises(BundleError, match="signed by another key"):
        import_bundle(mentor_store, chapter, later, learners_root=tmp_path / "m")


def test_a_truncated_history_is_refused_as_truncation(
    store, mentor_store, chapter, tmp_path, learner_maker
):
    """Delete the newest events (a failing check) on the learner's machine, export again:
    the chain is valid and signed, but shorter than what the mentor already imported."""
    root = tmp_path / "learners"
    learner_maker(store, chapter, "ana", root)
    import_bundle(
        mentor_store, chapter, _export(store, chapter, root), learners_root=tmp_path / "m"
    )
    bundle = _export(store, chapter, root)
    key = identity.learner_key("ana", root)
    short = copy.deepcopy(bundle)
    short["events"] = short["events"][:3]
    tail = short["events"][-1]
    payload = {
        "records_sha256": sha256(canonical(_section(short))),
        "events_sha256": _events_digest(short["events"]),
        "events": 3,
        "rows": {},
        "format": 2,
    }
    export_event = {
        "id": 99,
        "learner": "ana",
        "at": "2026-12-01T00:00:00+00:00",
        "kind": "records.exported",
        "payload": json.dumps(payload, sort_keys=True),
        "prev_hash": tail["hash"],
    }
    export_event["hash"] = event_hash(
        tail["hash"], "ana", export_event["at"], "records.exported", export_event["payload"]
    )
    short["events"].append(export_event)
    short["exported_at"] = export_event["at"]
    short["signature"] = identity.sign(key, _signed_bytes(short))
    with pytest.raises(BundleError, match="^truncation: "):
        import_bundle(mentor_store, chapter, short, learners_root=tmp_path / "m")


def test_a_rewritten_history_is_refused_as_rewrite(
    store, mentor_store, chapter, tmp_path, learner_maker
):
    root = tmp_path / "learners"
    learner_maker(store, chapter, "ana", root)
    bundle = _export(store, chapter, root)
    import_bundle(mentor_store, chapter, bundle, learners_root=tmp_path / "m")
    # Rebuild the whole chain with an early event changed, extend it, re-sign it.
    key = identity.learner_key("ana", root)
    rewritten = copy.deepcopy(bundle)
    events = rewritten["events"]
    events[1]["payload"] = events[1]["payload"].replace("theory-00", "theory-01")
    prev = events[0]["hash"]
    for ev in events[1:-1]:
        ev["prev_hash"] = prev
        ev["hash"] = prev = event_hash(prev, "ana", ev["at"], ev["kind"], ev["payload"])
    extra = {
        "id": 1000, "learner": "ana", "at": "2026-12-01T00:00:00+00:00",
        "kind": "page.completed", "payload": json.dumps({"item": "theory-02"}), "prev_hash": prev,
    }  # fmt: skip
    extra["hash"] = prev = event_hash(prev, "ana", extra["at"], extra["kind"], extra["payload"])
    last = events[-1]
    events[-1:] = [extra, last]
    last["prev_hash"] = prev
    payload = json.loads(last["payload"])
    payload["events_sha256"] = _events_digest(events[:-1])
    last["payload"] = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    last["hash"] = event_hash(prev, "ana", last["at"], last["kind"], last["payload"])
    rewritten["signature"] = identity.sign(key, _signed_bytes(rewritten))
    with pytest.raises(BundleError, match="^rewrite: the first"):
        import_bundle(mentor_store, chapter, rewritten, learners_root=tmp_path / "m")


def test_two_learners_with_one_name_never_merge_and_both_export_again(
    chapter, mentor_store, tmp_path, learner_maker
):
    bundles = []
    for machine in ("one", "two"):
        s = Store.memory()
        root = tmp_path / machine
        learner_maker(s, chapter, "learner", root)
        bundles.append(_export(s, chapter, root, "learner"))
        s.close()
    mroot = tmp_path / "mentor"
    first = import_bundle(mentor_store, chapter, bundles[0], learners_root=mroot)
    second = import_bundle(mentor_store, chapter, bundles[1], learners_root=mroot)
    alias = f"learner@{bundles[1]['learner_id'][:8]}"
    assert first.learner == "learner" and second.learner == alias
    assert any("name clash" in n and alias in n for n in second.notes)
    assert sorted(mentor_store.learners()) == ["learner", alias]
    # Each keeps its own rows, and each can be exported again (chain under its own name).
    for name in ("learner", alias):
        assert len(mentor_store.quiz_attempts(name)) == 1
        back = export_bundle(mentor_store, chapter, name, learners_root=mroot)
        assert back["learner"] == "learner"
    # Importing the second again matches by id, not by name.
    again = import_bundle(mentor_store, chapter, bundles[1], learners_root=mroot)
    assert again.learner == alias and not again.changed
