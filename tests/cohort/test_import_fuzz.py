"""Hostile bundles, re-sealed and re-signed by their learner (who holds the key): each is
refused with one BundleError line, or imported; never a traceback, and a refused one
changes nothing."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cohort import identity
from harness.cohort.records import (
    TABLES,
    BundleError,
    _section,
    _signed_bytes,
    canonical,
    export_bundle,
    import_bundle,
    read_bundle,
    sha256,
)
from harness.store import Store, event_hash


def _reseal(bundle: dict, key) -> dict:
    payload = json.loads(bundle["events"][-1]["payload"])
    payload["records_sha256"] = sha256(canonical(_section(bundle)))
    last = bundle["events"][-1]
    last["payload"] = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    last["hash"] = event_hash(
        last["prev_hash"], bundle["learner"], last["at"], last["kind"], last["payload"]
    )
    bundle["signature"] = identity.sign(key, _signed_bytes(bundle))
    return bundle


def _deep(n: int):
    value: object = 0
    for _ in range(n):
        value = [value]
    return value


HOSTILE = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=5),
    st.just("a\x00b"),
    st.just("../../etc/passwd"),
    st.just("x\x00/manifest.yaml"),
    st.just({"nested": {"deep": [1, 2]}}),
    st.just(_deep(5000)),
    st.lists(st.integers(), max_size=3),
)


def _paths(node, path=()):
    if path:
        yield path
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield from _paths(child, (*path, key))


@pytest.fixture(scope="module")
def sample(chapter, tmp_path_factory, learner_maker):
    root = tmp_path_factory.mktemp("fuzz") / "learners"
    store = Store.memory()
    learner_maker(store, chapter, "ana", root)
    bundle = export_bundle(store, chapter, "ana", learners_root=root)
    store.close()
    targets = [p for p in _paths({"records": bundle["records"], "files": bundle["files"]})]
    return json.dumps(bundle), targets, identity.learner_key("ana", root)


def _counts(store: Store) -> dict[str, int]:
    tables = [t[0] for t in TABLES] + ["events", "blobs", "learner_keys"]
    return {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), value=HOSTILE)
def test_a_hostile_resigned_bundle_is_one_bundle_error_and_changes_nothing(
    sample, chapter, tmp_path_factory, data, value
):
    text, targets, key = sample
    bundle = json.loads(text)
    path = data.draw(st.sampled_from(targets))
    section = {"records": bundle["records"], "files": bundle["files"]}
    parent = functools.reduce(lambda node, k: node[k], path[:-1], section)
    if data.draw(st.booleans()):
        parent[path[-1]] = value
    else:
        del parent[path[-1]]
    try:
        _reseal(bundle, key)
    except (RecursionError, ValueError):
        pass  # too deep, or infinite: cannot be sealed; imported as it is, refused in one line
    mentor = Store.memory()
    root = tmp_path_factory.mktemp("mentor")
    before = _counts(mentor)
    try:
        import_bundle(mentor, chapter, bundle, learners_root=root)
    except BundleError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert _counts(mentor) == before
        assert not any(root.iterdir())
    mentor.close()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda b: b["records"]["check_runs"].__setitem__(0, 5), "list of rows"),
        (lambda b: b["records"].__setitem__("quiz_answers", 3), "list of rows"),
        (lambda b: b["records"]["check_results"][0].__setitem__("run_id", None), "run_id is null"),
        (lambda b: b["records"]["page_events"][0].__setitem__("item_id", None), "is null"),
        (
            lambda b: b["files"]["manifests"].append({"path": "a\x00/manifest.yaml", "text": ""}),
            "NUL",
        ),
        (lambda b: b["records"]["snapshot_files"][0].__setitem__("path", "../x.py"), "plain"),
        (lambda b: b["files"]["blobs"].__setitem__("ab" * 32, "aGk="), "does not hash"),
    ],
    ids=[
        "row-number",
        "table-number",
        "null-parent",
        "null-column",
        "nul-path",
        "snap-path",
        "blob",
    ],
)
def test_each_malformed_bundle_named_in_the_issue_is_one_line(
    sample, chapter, tmp_path, edit, message
):
    text, _targets, key = sample
    bundle = json.loads(text)
    edit(bundle)
    _reseal(bundle, key)
    mentor = Store.memory()
    with pytest.raises(BundleError, match=message):
        import_bundle(mentor, chapter, bundle, learners_root=tmp_path / "m")
    assert mentor.learners() == [] and not (tmp_path / "m").exists()


def test_a_deeply_nested_file_is_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(
        '{"format": "x2-harness-records", "records": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    with pytest.raises(BundleError, match="nested too deeply"):
        read_bundle(path)
