"""Export -> import: nothing lost, nothing doubled, and any change after export refused."""

from __future__ import annotations

import copy
import functools
import json
import shutil

import pytest

from harness.cohort.records import (
    EXPORT_KIND,
    BundleError,
    export_bundle,
    import_bundle,
    verify_bundle,
)
from harness.progress import compute_status
from harness.store import GENESIS, event_hash


def _snapshot(store, name):
    from harness.cohort.snapshots import record

    run = store.conn.execute(
        "SELECT id FROM check_runs WHERE learner = ? ORDER BY id LIMIT 1", (name,)
    ).fetchone()[0]
    record(store, run, {"patches.py": b"def patchify(x):\n    return x\n"})


@pytest.fixture
def exported(store, chapter, tmp_path, busy_learner):
    busy_learner(store, "ana", tmp_path)
    _snapshot(store, "ana")
    return export_bundle(store, chapter, "ana", learners_root=tmp_path / "learners")


def _mentor_root(tmp_path):
    return tmp_path / "mentor-learners"


def test_round_trip_loses_nothing(store, mentor_store, chapter, tmp_path, exported, comparable):
    mentor_store.add_learner("zed")  # the mentor's ids are not the learner's
    mentor_store.record_page("zed", "theory-00", "completed")
    result = import_bundle(mentor_store, chapter, exported, learners_root=_mentor_root(tmp_path))
    assert comparable(mentor_store, "ana") == comparable(store, "ana")
    assert all(n > 0 for n in result.added.values()), result.added
    assert mentor_store.events("ana")[-1]["kind"] == EXPORT_KIND
    folder = _mentor_root(tmp_path) / "ana" / "extension-X2"
    assert (folder / "reflections.md").read_text(encoding="utf-8").startswith("# Reflections")
    manifest = folder / "runs" / "X2-multimodal" / "lab-00" / "20261127-ana-s0" / "manifest.yaml"
    assert "accuracy: 0.91" in manifest.read_text(encoding="utf-8")
    assert compute_status(mentor_store, chapter, "ana") == compute_status(store, chapter, "ana")


def test_mentors_see_the_hints_and_reviews_of_an_imported_learner(
    mentor_store, chapter, tmp_path, exported
):
    from harness.cohort import dashboard

    import_bundle(mentor_store, chapter, exported, learners_root=_mentor_root(tmp_path))
    hints = mentor_store.hints_used("ana")
    assert [(h["lab_id"], h["task"], h["hints"]) for h in hints] == [("lab-00", "patchify", 2)]
    board = dashboard.build(mentor_store, chapter)  # what the mentor's dashboard shows
    vit = next(m for m in board.mastery["ana"] if m.outcome == "vit")
    assert vit.by_source.get("review") == (1, 1)


def test_importing_twice_adds_nothing(mentor_store, chapter, tmp_path, exported, counts):
    import_bundle(mentor_store, chapter, exported, learners_root=_mentor_root(tmp_path))
    before = counts(mentor_store)
    files_before = sorted(p for p in _mentor_root(tmp_path).rglob("*"))
    again = import_bundle(mentor_store, chapter, exported, learners_root=_mentor_root(tmp_path))
    assert counts(mentor_store) == before
    assert not again.changed and not any(again.added.values())
    assert sorted(p for p in _mentor_root(tmp_path).rglob("*")) == files_before


def test_a_later_export_brings_only_the_new_rows_and_finishes_open_attempts(
    store, mentor_store, chapter, tmp_path, busy_learner, comparable
):
    busy_learner(store, "ana", tmp_path, finish_quiz=False)
    root = tmp_path / "learners"
    import_bundle(
        mentor_store,
        chapter,
        export_bundle(store, chapter, "ana", learners_root=root),
        learners_root=_mentor_root(tmp_path),
    )
    attempt = store.quiz_attempts("ana")[-1]["id"]
    store.record_quiz_answer(attempt, "q-fusion-2", 1, "c", True)
    store.finish_quiz_attempt(attempt, 1.0, True)
    second = import_bundle(
        mentor_store,
        chapter,
        export_bundle(store, chapter, "ana", learners_root=root),
        learners_root=_mentor_root(tmp_path),
    )
    assert second.updated == {"quiz_attempts": 1}
    assert second.added["quiz_answers"] == 1 and second.added["page_events"] == 0
    assert comparable(mentor_store, "ana") == comparable(store, "ana")


def test_feedback_travels_back_and_forked_chains_still_verify(
    store, mentor_store, chapter, tmp_path, exported, comparable
):
    root, mroot = tmp_path / "learners", _mentor_root(tmp_path)
    import_bundle(mentor_store, chapter, exported, learners_root=mroot)
    mentor_store.add_feedback("ana", "mia", "reflection:fusion", "Say why for VQA.")
    store.record_page("ana", "theory-02", "completed")  # the learner goes on meanwhile
    shutil.rmtree(tmp_path / "experiments")  # the mentor's machine never had the run folder
    back = export_bundle(mentor_store, chapter, "ana", learners_root=mroot)
    assert back["files"] == exported["files"]  # the manifest comes from the imported copy
    import_bundle(store, chapter, back, learners_root=root)
    assert "Say why for VQA." in [f["text"] for f in compute_status(store, chapter, "ana").feedback]
    # The learner's log now forks at the first export; a new export still verifies.
    store.record_page("ana", "theory-03", "completed")
    again = export_bundle(store, chapter, "ana", learners_root=root)
    verify_bundle(again)
    import_bundle(mentor_store, chapter, again, learners_root=mroot)
    here, there = comparable(store, "ana"), comparable(mentor_store, "ana")
    # Each database appended the other's branch after its own, so only the order differs.
    by_hash = lambda rows: sorted(rows, key=lambda e: e["hash"])  # noqa: E731
    assert by_hash(here.pop("events")) == by_hash(there.pop("events"))
    assert here == there
    verify_bundle(export_bundle(mentor_store, chapter, "ana", learners_root=mroot))


# --- refusals -------------------------------------------------------------------------------


def _edit_row(b):
    b["records"]["reflections"][-1]["text"] = "I wrote this later."


def _drop_row(b):
    b["records"]["check_results"].pop(0)


def _edit_manifest(b):
    b["files"]["manifests"][0]["text"] += "\nmetrics: {accuracy: 0.99}\n"


def _edit_event(b):
    b["events"][3]["payload"] = b["events"][3]["payload"].replace("theory-01", "theory-04")


def _drop_last_events(b):
    del b["events"][-2:]


def _drop_first_event(b):
    del b["events"][0]


def _drop_middle_event(b):
    del b["events"][4]


def _swap_events(b):
    b["events"][2], b["events"][3] = b["events"][3], b["events"][2]


def _rename_learner(b):
    b["learner"] = "bob"


REFUSALS = {
    "edited row": (_edit_row, "records or files were changed"),
    "dropped row": (_drop_row, "records or files were changed"),
    "edited manifest": (_edit_manifest, "records or files were changed"),
    "edited event": (_edit_event, "chain broken at event 3"),
    "truncated end": (_drop_last_events, "truncated"),
    "truncated start": (_drop_first_event, "genesis"),
    "cut middle": (_drop_middle_event, "chain broken at event 4"),
    "reordered": (_swap_events, "chain broken at event 2"),
    "other learner": (_rename_learner, "belongs to 'ana', not the bundle's learner 'bob'"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_changed_bundle_is_refused_and_nothing_is_written(
    mentor_store, chapter, tmp_path, exported, counts, name
):
    tamper, message = REFUSALS[name]
    bundle = copy.deepcopy(exported)
    tamper(bundle)
    before = counts(mentor_store)
    with pytest.raises(BundleError) as err:
        import_bundle(mentor_store, chapter, bundle, learners_root=_mentor_root(tmp_path))
    assert message in str(err.value)
    assert counts(mentor_store) == before
    assert not _mentor_root(tmp_path).exists()


def test_the_message_says_which_event_and_both_hashes(exported):
    bundle = copy.deepcopy(exported)
    _edit_event(bundle)
    ev = bundle["events"][3]
    with pytest.raises(BundleError) as err:
        verify_bundle(bundle)
    text = str(err.value)
    assert f"event 3 (id {ev['id']}, 'page.opened')" in text
    assert ev["hash"] in text
    assert event_hash(ev["prev_hash"], "ana", ev["at"], ev["kind"], ev["payload"]) in text


def test_a_reordered_chain_names_the_expected_link(exported):
    bundle = copy.deepcopy(exported)
    _swap_events(bundle)
    with pytest.raises(BundleError) as err:
        verify_bundle(bundle)
    assert bundle["events"][2]["prev_hash"] in str(err.value)  # found
    assert bundle["events"][1]["hash"] in str(err.value)  # expected


@pytest.mark.parametrize("bad", ["../evil", "../../etc", "a/b", ".hidden", "Ana"])
def test_a_learner_name_that_escapes_learners_is_refused(
    mentor_store, chapter, tmp_path, exported, bad
):
    # Rebuild a chain that verifies under the bad name, so only the name check can stop it.
    bundle = copy.deepcopy(exported)
    bundle["learner"] = bad
    prev = GENESIS
    for ev in bundle["events"]:
        ev["learner"], ev["prev_hash"] = bad, prev
        ev["hash"] = prev = event_hash(prev, bad, ev["at"], ev["kind"], ev["payload"])
    with pytest.raises(BundleError, match="invalid learner name"):
        import_bundle(mentor_store, chapter, bundle, learners_root=_mentor_root(tmp_path))
    assert not (tmp_path / "evil").exists() and not _mentor_root(tmp_path).exists()
    assert mentor_store.learners() == []


def test_a_manifest_path_that_escapes_is_refused(exported):
    bundle = copy.deepcopy(exported)
    bundle["files"]["manifests"][0]["path"] = "../../../.bashrc"
    with pytest.raises(BundleError):  # the digest breaks first; the path check backs it up
        verify_bundle(bundle)
    from harness.cohort.records import _verify_files

    with pytest.raises(BundleError, match="outside the learner's folder"):
        _verify_files(bundle["files"])


def _forge(bundle: dict, edit=_edit_row, root=None) -> dict:
    """Edit a row and rebuild the whole chain: the signature breaks, unless the learner
    re-signs it with their own key (`root`: their learners folder), which they can."""
    from harness.cohort import identity
    from harness.cohort.records import _events_digest, _section, _signed_bytes, canonical, sha256

    forged = copy.deepcopy(bundle)
    edit(forged)
    payload = json.loads(forged["events"][-1]["payload"])
    payload["records_sha256"] = sha256(canonical(_section(forged)))
    forged["events"][-1]["payload"] = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    prev = forged["events"][-2]["hash"]
    last = forged["events"][-1]
    last["hash"] = event_hash(prev, "ana", last["at"], last["kind"], last["payload"])
    assert _events_digest(forged["events"][:-1]) == payload["events_sha256"]
    if root is not None:
        key = identity.learner_key("ana", root)
        forged["signature"] = identity.sign(key, _signed_bytes(forged))
    return forged


def test_hmac_catches_a_full_rebuild_that_the_chain_alone_cannot(
    store, chapter, tmp_path, busy_learner
):
    busy_learner(store, "ana", tmp_path)
    key = b"shared-secret"
    signed = export_bundle(store, chapter, "ana", learners_root=tmp_path / "learners", key=key)
    verify_bundle(signed, key=key)
    with pytest.raises(BundleError, match="signature does not match"):
        verify_bundle(_forge(signed))  # a stranger's rebuild: the signature breaks
    forged = _forge(signed, root=tmp_path / "learners")
    verify_bundle(forged)  # the learner's own rebuild, re-signed: only regrade can tell
    with pytest.raises(BundleError, match="HMAC does not match"):
        verify_bundle(forged, key=key)
    with pytest.raises(BundleError, match="HMAC does not match"):
        verify_bundle(signed, key=b"another key")
    unsigned = {k: v for k, v in signed.items() if k != "hmac_sha256"}
    with pytest.raises(BundleError, match="carries no HMAC"):
        verify_bundle(unsigned, key=key)


def _nested_value(b):
    b["records"]["page_events"][0]["item_id"] = {"not": "a string"}


def _no_learner_row(b):
    b["records"]["learners"] = []


@pytest.mark.parametrize("edit", [_nested_value, _no_learner_row])
def test_a_resealed_bundle_the_schema_rejects_is_refused_whole(
    mentor_store, chapter, tmp_path, exported, counts, edit
):
    before = counts(mentor_store)
    forged = _forge(exported, edit, root=tmp_path / "learners")
    with pytest.raises(BundleError, match="text, numbers and nulls|exactly the bundle's learner"):
        import_bundle(mentor_store, chapter, forged, learners_root=_mentor_root(tmp_path))
    assert counts(mentor_store) == before


# --- every value, changed or removed, is refused ---------------------------------------------


@pytest.fixture(scope="module")
def sample_bundle(busy_learner, chapter, tmp_path_factory) -> str:
    from harness.store import Store

    root = tmp_path_factory.mktemp("sample-bundle")
    store = Store.memory()
    busy_learner(store, "ana", root)
    _snapshot(store, "ana")
    bundle = export_bundle(store, chapter, "ana", learners_root=root / "learners")
    store.close()
    return json.dumps(bundle)


def _leaves(node, path=()):
    """Every (path, value) in the bundle, containers included, except the event ids: they are
    the exporting database's row numbers, shown in messages, never evidence (import ignores
    them), so the chain does not cover them."""
    if len(path) == 3 and path[0] == "events" and path[2] == "id":
        return
    if path:
        yield path, node
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield from _leaves(child, (*path, key))


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    return None  # a container: removed instead


def test_any_change_or_removal_anywhere_is_refused(sample_bundle):
    """Exhaustive, not sampled: every value in the bundle, changed and removed in turn."""
    not_refused = []
    for path, value in _leaves(json.loads(sample_bundle)):
        for remove in (False, True):
            bundle = json.loads(sample_bundle)
            parent = functools.reduce(lambda node, key: node[key], path[:-1], bundle)
            replacement = _changed(value)
            if remove or replacement is None:
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
            try:
                verify_bundle(bundle, chapter_id="X2")
            except BundleError:
                continue
            not_refused.append(("removed" if remove else "changed", path))
    assert not_refused == []
