"""Helpers shared by the quiz tests: a tiny bank and what a learner types."""

from __future__ import annotations

import json

from harness.learning.quiz import Presented

TINY = """\
id: T1
title: Tiny
outcomes:
  a: Outcome A
  b: Outcome B
questions:
  - id: a-single
    outcome: a
    kind: single
    prompt: Pick red.
    choices: [red, green, blue]
    answer: red
    explanation: Red is red.
    section: {item: theory-00, heading: "Why more than one modality"}
  - id: a-numeric
    outcome: a
    kind: numeric
    prompt: How many tokens?
    answer: 1500
    tolerance: 0
    explanation: 3000 / 2.
    section: {item: theory-00, heading: "Why more than one modality"}
  - id: b-multiple
    outcome: b
    kind: multiple
    prompt: Pick the primes.
    choices: ["2", "3", "4"]
    answer: ["2", "3"]
    explanation: 4 = 2 × 2.
    section: {item: theory-03, heading: "Cross-attention"}
  - id: b-text
    outcome: b
    kind: text
    prompt: Name it.
    accept: [cross-attention, encoder decoder attention]
    explanation: Queries from one sequence, keys and values from another.
    section: {item: theory-03, heading: "Cross-attention"}
"""


def right_input(p: Presented) -> str:
    """What a learner who knows the answer types for this presented question."""
    q = p.question
    if q.kind == "single":
        return str(p.choices.index(q.correct[0]) + 1)
    if q.kind == "multiple":
        return ",".join(str(p.choices.index(c) + 1) for c in q.correct)
    if q.kind == "numeric":
        return repr(q.value)
    return q.accept[0]


def wrong_input(p: Presented) -> str:
    """A gradable answer that is wrong."""
    q = p.question
    if q.kind in ("single", "multiple"):
        wrong = next(i for i, c in enumerate(p.choices) if c not in q.correct)
        return str(wrong + 1)
    if q.kind == "numeric":
        return repr(q.value + q.tolerance + 1000)
    return "certainly not this " + json.dumps(q.id)


def bad_inputs(p: Presented) -> list[str]:
    """Inputs that cannot be graded for this question, whatever its kind."""
    kind = p.question.kind
    if kind in ("single", "multiple"):
        return ["", "x", str(len(p.choices) + 1)]
    if kind == "numeric":
        return ["", "lots", "1,5"]
    return ["", "  ?!  "]
