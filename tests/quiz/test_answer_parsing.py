"""Parsing what a learner types: numbers, choices, short text; never a traceback."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.learning.quiz import AnswerError, Presented, normalise_text, parse_number


@pytest.mark.parametrize(
    "raw,value",
    [
        ("1500", 1500.0),
        ("1,500", 1500.0),
        ("1.5e3", 1500.0),
        ("  1500 ", 1500.0),
        ("1,500,000", 1.5e6),
        ("1,234.5", 1234.5),
        ("-0.25", -0.25),
        ("+7", 7.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("1E3", 1000.0),
        ("150528", 150528.0),
        ("1.5e-2", 0.015),
    ],
)
def test_numbers_in_the_accepted_spellings(raw, value):
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize(
    "raw,words",
    [
        ("", "type a number"),
        ("   ", "type a number"),
        ("abc", "not a number"),
        ("1,5", "use a point"),
        ("15,00", "use a point"),
        ("1 500", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1e999", "too large"),
        ("1_500", "not a number"),
        ("0x10", "not a number"),
        ("196 tokens", "not a number"),
        ("١٢", "not a number"),
    ],
)
def test_numbers_refused_with_a_reason(raw, words):
    with pytest.raises(AnswerError, match=words):
        parse_number(raw)


@pytest.mark.parametrize(
    "raw,norm",
    [
        (" Cross-Attention. ", "cross attention"),
        ("MM-Bench", "mm bench"),
        ("modality\tgap!", "modality gap"),
        ("[CLS]", "cls"),
        ("ＭＭＭＵ", "mmmu"),
    ],
)
def test_text_normalisation(raw, norm):
    assert normalise_text(raw) == norm


def _presented(bank, qid: str, reverse: bool = False) -> Presented:
    q = bank.question(qid)
    choices = tuple(reversed(q.choices)) if reverse else q.choices
    return Presented(0, q, choices)


def test_single_choice_is_graded_against_the_shown_order(tiny):
    p = _presented(tiny, "a-single", reverse=True)  # shown: blue, green, red
    assert p.grade("3") == ("red", True)
    assert p.grade(" 1 ") == ("blue", False)
    for bad, words in [
        ("", "type the number"),
        ("4", "no choice 4"),
        ("0", "no choice 0"),
        ("b", "not a choice"),
        ("1,2", "pick one"),
        ("-1", "not a choice"),
        ("²", "not a choice"),
    ]:
        with pytest.raises(AnswerError, match=words):
            p.grade(bad)


def test_multiple_choice_needs_exactly_the_right_set(tiny):
    p = _presented(tiny, "b-multiple")  # 2, 3, 4
    assert p.grade("1,2")[1] and p.grade("2 1")[1] and p.grade("1, 2, 1")[1]
    assert not p.grade("1")[1] and not p.grade("1,2,3")[1]
    assert p.grade("2;1")[0] == '["2", "3"]'
    with pytest.raises(AnswerError, match="no choice 9"):
        p.grade("1,9")


def test_numeric_uses_the_tolerance(tiny):
    p = _presented(tiny, "a-numeric")
    assert p.grade("1,500")[1] and p.grade("1.5e3")[1] and not p.grade("1501")[1]


def test_text_ignores_case_space_and_punctuation(tiny):
    p = _presented(tiny, "b-text")
    assert p.grade("  CROSS attention!! ")[1] and p.grade("Encoder-decoder attention")[1]
    assert not p.grade("self attention")[1]
    with pytest.raises(AnswerError):
        p.grade(" ... ")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40))
def test_parse_number_returns_a_finite_float_or_answer_error(raw):
    try:
        value = parse_number(raw)
    except AnswerError as exc:
        assert str(exc)
    else:
        assert isinstance(value, float) and math.isfinite(value)


@settings(max_examples=100, deadline=None, database=None)
@given(st.from_regex(r"[+-]?[0-9]{1,3}(,[0-9]{3}){0,3}(\.[0-9]{1,4})?", fullmatch=True))
def test_grouped_numbers_mean_what_they_say(raw):
    assert parse_number(raw) == pytest.approx(float(raw.replace(",", "")))


@settings(max_examples=200, deadline=None, database=None)
@given(
    raw=st.one_of(st.text(max_size=30), st.from_regex(r"[0-9, ;]{0,12}", fullmatch=True)),
    qid=st.sampled_from(["a-single", "a-numeric", "b-multiple", "b-text"]),
)
def test_grading_any_text_gives_a_verdict_or_answer_error(tiny_shared, raw, qid):
    p = _presented(tiny_shared, qid)
    try:
        stored, correct = p.grade(raw)
    except AnswerError as exc:
        assert str(exc)
    else:
        assert isinstance(stored, str) and stored and isinstance(correct, bool)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=30))
def test_normalise_is_idempotent(raw):
    once = normalise_text(raw)
    assert normalise_text(once) == once
