"""Property-based tests over every parser that takes user input: nothing a user types or
feeds in raises anything but the parser's own clean error."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from harness.chapter import ManifestError, load_chapter
from harness.grading.remote import CodecError, Handle, decode, encode
from harness.learners import NAME_PATTERN, LearnerNameError, validate_name

TOYLAB = Path(__file__).with_name("toylab")
CHAPTER_TEXT = (TOYLAB / "chapter.yaml").read_text(encoding="utf-8")
CHAPTER_DATA = yaml.safe_load(CHAPTER_TEXT)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=25)  # for parsers whose every example costs ~50 ms


# --- learner names ---------------------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="abc-_./\\ 019Z\0é", max_size=40),
        st.from_regex(NAME_PATTERN, fullmatch=True),
        st.none(),
        st.integers(),
        st.binary(),
    )
)
@example("../x")
@example("a" * 33)
@example("a" * 24 + "@" + "0" * 8)
def test_a_learner_name_is_safe_or_refused_with_a_reason(name):
    try:
        assert validate_name(name) == name
    except LearnerNameError as exc:
        assert "learner name" in str(exc)
        return
    # A name is up to 32 characters; an imported learner whose name was taken here gets
    # `name@<8 hex of their key>` (harness/cohort/records.py), so 41 at most.
    base, _, suffix = name.partition("@")
    assert isinstance(name, str) and 1 <= len(base) <= 32
    assert not suffix or (len(suffix) == 8 and all(c in "0123456789abcdef" for c in suffix))
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.isascii() and "\0" not in name


# --- chapter YAML ----------------------------------------------------------------------------

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _paths(value, prefix + (i,))


CHAPTER_PATHS = [p for p in _paths(CHAPTER_DATA) if p]


def _replaced(tree, path, value):
    if not path:
        return value
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[path[0]] = _replaced(tree[path[0]], path[1:], value)
    return copy


@pytest.fixture(scope="module")
def chapter_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapter")
    shutil.copytree(TOYLAB / "pages", folder / "pages")
    return folder


def _load(folder: Path, text: str | bytes) -> None:
    path = folder / "chapter.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_chapter(path)
    except ManifestError as exc:
        assert "chapter.yaml" in str(exc), str(exc)


def test_the_unmutated_toy_chapter_loads(chapter_dir):
    _load(chapter_dir, CHAPTER_TEXT)
    assert load_chapter(chapter_dir / "chapter.yaml").labs[0].entry == "toy"


@SETTINGS
@given(st.sampled_from(CHAPTER_PATHS), yaml_values)
def test_a_chapter_with_any_value_replaced_loads_or_raises_manifest_error(chapter_dir, path, value):
    _load(chapter_dir, yaml.safe_dump(_replaced(CHAPTER_DATA, path, value)))


@SETTINGS
@given(st.data())
def test_a_mutated_chapter_text_loads_or_raises_manifest_error(chapter_dir, data):
    text = CHAPTER_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 30)))
        text = text[:i] + data.draw(st.text(max_size=8)) + text[j:]
    _load(chapter_dir, text)


def _is_utf8(blob: bytes) -> bool:
    try:
        blob.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@SETTINGS
@given(st.one_of(st.binary(max_size=300).filter(_is_utf8), st.text(max_size=300)))
def test_garbage_chapter_files_raise_manifest_error(chapter_dir, blob):
    _load(chapter_dir, blob)


@pytest.mark.parametrize(
    "blob", [b"id: X2\ntitle: \xff\xfe\n", "[" * 1000], ids=["not-utf8", "nested-1000-deep"]
)
def test_undecodable_or_absurdly_nested_chapter_files_raise_manifest_error(chapter_dir, blob):
    _load(chapter_dir, blob)


def test_a_very_long_unlock_chain_is_not_a_crash(chapter_dir):
    n = 1500
    items = [
        {
            "id": f"p{i}",
            "kind": "theory",
            "title": "t",
            "path": "pages/lab-00.md",
            "after": [f"p{i - 1}"] if i else [],
        }
        for i in range(n)
    ]
    data = dict(CHAPTER_DATA, read_order=items[::-1] + CHAPTER_DATA["read_order"])
    _load(chapter_dir, yaml.safe_dump(data))


# --- CLI arguments ---------------------------------------------------------------------------

cli_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "-", "--", "-x", "--help=", "lab-0", "lab-00x", "../..", "theory-00/..", "\0", " "]
    ),
)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    from harness.store import Store

    store = Store(folder / "progress.db")
    store.add_learner("ana")
    store.close()
    return {
        "HARNESS_CHAPTER": str(TOYLAB / "chapter.yaml"),
        "HARNESS_DB": str(folder / "progress.db"),
        "HARNESS_LEARNERS": str(folder / "learners"),
        "HARNESS_LEARNER": None,
    }


def _invoke(env, args):
    from harness.cli import main

    result = CliRunner(env=env).invoke(main, args, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    if result.exit_code:
        assert result.output.strip(), args  # a message, not silence
        assert "Traceback" not in result.output
    return result


@SETTINGS
@given(
    st.sampled_from(["read", "check", "run", "status", "next", "learner-add"]), cli_text, cli_text
)
def test_cli_arguments_give_exit_1_or_2_with_a_message_never_a_traceback(
    cli_env, command, target, name
):
    assume(target not in ("lab-00", "--help", "-h") and name not in ("--help", "-h"))
    if command == "learner-add":
        args = ["learner", "add", target]
    elif command in ("status", "next"):
        args = [command, "--learner", name]
    else:
        args = [command, target, "--learner", name]
    _invoke(cli_env, args)


# --- the remote codec ------------------------------------------------------------------------

keys = st.text(max_size=8).filter(lambda k: not (k.startswith("__") and k.endswith("__")))
arrays = hnp.arrays(
    dtype=st.one_of(
        hnp.integer_dtypes(),
        hnp.unsigned_integer_dtypes(),
        hnp.floating_dtypes(),
        hnp.complex_number_dtypes(),
        hnp.boolean_dtypes(),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        arrays,
        st.builds(Handle, st.integers(0, 2**62), st.text(max_size=5)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=3),
    ),
    max_leaves=10,
)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@SETTINGS
@given(values)
def test_the_codec_round_trips_every_allowed_value(value):
    assert same(value, decode(encode(value)))


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda v, cut, junk: encode(v)[:cut] + junk,
            values,
            st.integers(0, 400),
            st.binary(max_size=10),
        ),
    )
)
@example(b"\0" * 7)
@example(b"\0\0\0\0\0\0\0\x02[]" + b"\0\0\0\0\0\0\0\x10" + b"\x93NUMPY" + b"\0" * 9)
@example(b'\0\0\0\0\0\0\0\x0c{"__nd__":7}')
@example(b'\0\0\0\0\0\0\0\x0f{"__tuple__":1}')
@example(b"\x00\x00\x00\x00\x00\x00\x00\x01" + b"[" * 1 + b"")
def test_garbage_to_decode_raises_codec_error_only(blob):
    try:
        decode(blob)
    except CodecError:
        pass


def test_a_lying_array_header_is_refused_without_allocating():
    buf = encode(np.zeros(2))
    forged = buf.replace(b"(2,)", b"(10000000000000,)".ljust(len(b"(2,)"))[:4])
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16
    tree = b'{"__nd__": 0}'
    blob = len(tree).to_bytes(8, "big") + tree + len(npy).to_bytes(8, "big") + npy
    with pytest.raises(CodecError, match="bytes follow"):
        decode(blob)
    assert forged  # the real encoding is untouched by the above


def test_object_and_pickled_arrays_never_cross():
    with pytest.raises(CodecError):
        encode(np.array([object()]))
    import io

    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    tree = b'{"__nd__": 0}'
    blob = (
        len(tree).to_bytes(8, "big")
        + tree
        + len(pickled.getvalue()).to_bytes(8, "big")
        + pickled.getvalue()
    )
    with pytest.raises(CodecError):
        decode(blob)


# --- the quiz: what a learner types, and the question bank ---------------------------------

quiz = pytest.importorskip("harness.learning.quiz")
BANK_PATH = Path(__file__).resolve().parents[2] / "quizzes" / "X2.yaml"


@pytest.fixture(scope="module")
def presented():
    bank = quiz.load_bank(BANK_PATH)
    return quiz.draw(bank, seed=0, n=len(bank.questions))


typed = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[\d\s,;.eE+-]{0,20}", fullmatch=True),
    st.integers().map(str),
    st.floats().map(str),
)


@SETTINGS
@given(typed)
@example("1,5")
@example("1e999")
@example("nan")
@example("٣")  # an Arabic-Indic digit
def test_a_typed_number_parses_or_raises_answer_error(raw):
    try:
        value = quiz.parse_number(raw)
    except quiz.AnswerError as exc:
        assert str(exc)
        return
    assert math.isfinite(value)


def _grade_all(questions, raw: str) -> None:
    for p in questions:
        try:
            shown, correct = p.grade(raw)
        except quiz.AnswerError as exc:
            assert str(exc)
            continue
        assert isinstance(shown, str) and isinstance(correct, bool)


@SETTINGS
@given(st.data(), typed)
def test_any_answer_to_any_question_is_graded_or_refused_with_answer_error(presented, data, raw):
    _grade_all([data.draw(st.sampled_from(presented))], raw)


def test_a_5000_digit_choice_is_refused_with_answer_error(presented):
    choice_questions = [p for p in presented if p.question.kind in ("single", "multiple")]
    assert choice_questions
    _grade_all(choice_questions, "9" * 5000)
    for p in choice_questions:  # refused, not graded: no choice has 5000 digits
        with pytest.raises(quiz.AnswerError):
            p.grade("9" * 5000)


BANK_TEXT = BANK_PATH.read_text(encoding="utf-8") if BANK_PATH.exists() else ""


@FEW
@given(st.data())
def test_a_mutated_question_bank_loads_or_raises_manifest_error(tmp_path_factory, data):
    text = BANK_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        text = text[:i] + data.draw(st.text(max_size=8)) + text[j:]
    path = tmp_path_factory.mktemp("bank") / "X2.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        quiz.load_bank(path)
    except ManifestError as exc:
        assert "X2.yaml" in str(exc)


# --- records bundles -------------------------------------------------------------------------

records = pytest.importorskip("harness.cohort.records")


@SETTINGS
@given(st.one_of(st.binary(max_size=200).filter(_is_utf8), yaml_values.map(json.dumps)))
def test_a_garbage_bundle_file_raises_bundle_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("bundle") / "b.json"
    path.write_bytes(blob if isinstance(blob, bytes) else blob.encode())
    try:
        bundle = records.read_bundle(path)
        records.verify_bundle(bundle)
    except records.BundleError as exc:
        assert str(exc)


BUNDLE_SKELETON = {
    "format": "x2-harness-records",
    "version": 1,
    "schema": 2,
    "learner": "ana",
    "records": {},
    "files": {},
    "events": [],
}


def _verify(bundle: dict) -> None:
    try:
        records.verify_bundle(bundle)
    except records.BundleError as exc:
        assert str(exc)


def _export_event(payload: str) -> dict:
    from harness.store import GENESIS, event_hash

    at, kind = "2026-01-01T00:00:00+00:00", "records.exported"
    return {
        "id": 1,
        "learner": "ana",
        "prev_hash": GENESIS,
        "at": at,
        "kind": kind,
        "payload": payload,
        "hash": event_hash(GENESIS, "ana", at, kind, payload),
    }


@SETTINGS
@given(st.sampled_from(["records", "files", "events", "learner", "schema", "payload"]), yaml_values)
def test_a_bundle_with_any_section_replaced_raises_bundle_error(key, value):
    if key == "payload":  # a correctly hashed export event whose payload is any JSON
        bundle = dict(BUNDLE_SKELETON, events=[_export_event(json.dumps(value))])
    else:
        bundle = dict(BUNDLE_SKELETON, **{key: value})
    _verify(bundle)


@pytest.mark.parametrize(
    "bundle",
    [dict(BUNDLE_SKELETON, events=[None]), dict(BUNDLE_SKELETON, events=[_export_event("[]")])],
    ids=["event-not-an-object", "export-payload-not-an-object"],
)
def test_a_bundle_with_non_object_events_raises_bundle_error(bundle):
    _verify(bundle)
