"""Loading a bank, and every kind of validation error naming file, question and field."""

from __future__ import annotations

import pytest
from quiz_helpers import TINY

from harness.chapter import ManifestError
from harness.learning.quiz import load_bank


def test_tiny_bank_loads_into_dataclasses(tiny):
    assert tiny.id == "T1" and list(tiny.outcomes) == ["a", "b"]
    single, numeric, multiple, text = tiny.questions
    assert single.choices == ("red", "green", "blue") and single.correct == ("red",)
    assert numeric.value == 1500.0 and numeric.tolerance == 0.0
    assert multiple.correct == ("2", "3")
    assert text.accept == ("cross-attention", "encoder decoder attention")
    assert str(text.section) == "theory-03 § Cross-attention"
    assert tiny.question("b-text") is text


def test_unknown_question_id_is_a_clear_key_error(tiny):
    with pytest.raises(KeyError, match="no question 'zz' in T1.yaml"):
        tiny.question("zz")


def _broken(old: str, new: str) -> str:
    assert old in TINY, old
    return TINY.replace(old, new, 1)


# (what is changed, replaced by, words the error must contain)
BROKEN = [
    ("answer: red", "answer: purple", ["question 'a-single'", "'answer'", "'purple'"]),
    ('answer: ["2", "3"]', 'answer: ["2", "5"]', ["question 'b-multiple'", "'answer'", "'5'"]),
    ('answer: ["2", "3"]', "answer: []", ["question 'b-multiple'", "'answer'", "non-empty"]),
    ("answer: 1500", "answer: lots", ["question 'a-numeric'", "'answer'", "'lots'"]),
    ("tolerance: 0", "tolerance: -1", ["question 'a-numeric'", "'tolerance'", ">= 0"]),
    ("kind: single", "kind: essay", ["question 'a-single'", "'kind'", "'essay'"]),
    (
        "outcome: b\n    kind: text",
        "outcome: z\n    kind: text",
        ["question 'b-text'", "'outcome'", "unknown outcome 'z'"],
    ),
    (
        "accept: [cross-attention, encoder decoder attention]",
        "accept: []",
        ["question 'b-text'", "'accept'"],
    ),
    (
        "accept: [cross-attention, encoder decoder attention]",
        'accept: ["?!"]',
        ["question 'b-text'", "'accept'", "punctuation"],
    ),
    ("choices: [red, green, blue]", "choices: [red]", ["question 'a-single'", "'choices'", "2"]),
    (
        "choices: [red, green, blue]",
        "choices: [red, red, blue]",
        ["question 'a-single'", "'choices'", "twice"],
    ),
    ("    explanation: Red is red.\n", "", ["question 'a-single'", "missing", "explanation"]),
    (
        "    prompt: Pick red.\n",
        "    prompt: Pick red.\n    hint: it is red\n",
        ["question 'a-single'", "unknown field", "hint"],
    ),
    (
        'section: {item: theory-00, heading: "Why more than one modality"}\n  - id: a-numeric',
        "section: {item: theory-00}\n  - id: a-numeric",
        ["question 'a-single'", "'section'", "heading"],
    ),
    ("id: b-text", "id: a-single", ["question 'a-single'", "duplicate"]),
    ("prompt: Name it.", "prompt: ''", ["question 'b-text'", "'prompt'"]),
    ("  b: Outcome B\n", "  b: Outcome B\n  c: Outcome C\n", ["outcomes", "no question tests c"]),
]


@pytest.mark.parametrize("old,new,words", BROKEN, ids=[w[0] + "|" + w[2][-1] for w in BROKEN])
def test_each_validation_error_names_file_question_and_field(write_bank, old, new, words):
    with pytest.raises(ManifestError) as info:
        load_bank(write_bank(_broken(old, new)))
    message = str(info.value)
    assert message.startswith("T1.yaml: ")
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    "text,words",
    [
        ("id: [unclosed", ["T1.yaml", "not valid YAML", "line"]),
        ("- just\n- a list\n", ["T1.yaml", "top level", "mapping"]),
        ("id: T1\ntitle: t\noutcomes: {a: A}\nquestions: []\n", ["T1.yaml", "questions"]),
        ("id: T1\ntitle: t\noutcomes: {}\nquestions: [1]\n", ["T1.yaml", "outcomes"]),
        ("id: T1\ntitle: t\noutcomes: {a: A}\nquestions: [oops]\n", ["T1.yaml", "questions[0]"]),
    ],
)
def test_malformed_files_are_refused_with_the_file_name(write_bank, text, words):
    with pytest.raises(ManifestError) as info:
        load_bank(write_bank(text))
    for word in words:
        assert word in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ManifestError, match="question bank not found"):
        load_bank(tmp_path / "nope.yaml")
