"""Every variant's answer, recomputed here by other means than the generator's formula: by
building the arrays and counting, by stepping through the signal, by summing weight shapes."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from harness.learning.quiz import load_bank
from harness.learning.variants import GENERATORS, apply_params, make_variant
from harness.paths import QUIZZES_DIR

BANK = load_bank(QUIZZES_DIR / "X2.yaml")


def _patches(S: int, P: int, C: int = 3) -> np.ndarray:
    """Cut an (S, S, C) image into flattened P×P patches by slicing, one row per patch."""
    image = np.arange(S * S * C).reshape(S, S, C)
    rows = [
        image[y : y + P, x : x + P].reshape(-1)
        for y in range(0, S - P + 1, P)
        for x in range(0, S - P + 1, P)
    ]
    return np.stack(rows)


def _frames(D: float, hop_ms: int, sr: int = 16000) -> int:
    """Step a hop along D seconds of samples, one frame per hop start (Whisper's count)."""
    n, hop, starts = int(D * sr), sr * hop_ms // 1000, 0
    for _ in range(0, n, hop):
        starts += 1
    return starts


def _uniform_cross_entropy(N: int) -> float:
    logits = np.zeros(N)
    log_probs = logits - np.log(np.exp(logits).sum())
    return float(-log_probs[0])


def _projector_sizes(d_in: int, d_out: int) -> int:
    shapes = [(d_in, d_out), (d_out,), (d_out, d_out), (d_out,)]
    return sum(np.zeros(s).size for s in shapes)


ORACLES = {
    "patchify-tokens-224-16": lambda p: _patches(p["S"], p["P"]).shape[0],
    "patchify-width-16": lambda p: np.zeros((p["P"], p["P"], p["C"])).reshape(-1).size,
    "patchify-per-side": lambda p: len(range(0, p["S"] - p["P"] + 1, p["P"])),
    "patchify-l14-224": lambda p: _patches(p["S"], 14, 1).shape[0],
    "patchify-l14-336": lambda p: _patches(p["S"], 14, 1).shape[0],
    "patchify-b32": lambda p: _patches(p["S"], 32, 1).shape[0],
    "patchify-seq-with-cls": lambda p: _patches(p["S"], p["P"], 1).shape[0] + 1,
    "patchify-lossless": lambda p: _patches(p["S"], p["P"]).size,
    "clip-negatives-per-image": lambda p: sum(1 for j in range(p["N"]) if j != 0),
    "clip-negative-entries": lambda p: int((~np.eye(p["N"], dtype=bool)).sum()),
    "clip-initial-scale": lambda p: float(f"{1 / p['t']:.1f}"),
    "clip-min-temperature": lambda p: min(
        t / 10000 for t in range(1, 10001) if 1 / (t / 10000) <= p["M"]
    ),
    "clip-chance-loss": lambda p: float(f"{_uniform_cross_entropy(p['N']):.2f}"),
    "whisper-window-samples": lambda p: len(np.arange(0, p["ms"] / 1000, 1 / p["sr"])),
    "whisper-hop-samples": lambda p: len(np.arange(0, p["ms"] / 1000, 1 / p["sr"])),
    "whisper-frames": lambda p: _frames(p["D"], p["hop"]),
    "whisper-positions": lambda p: len(range(0, _frames(p["D"], 10), 2)),
    "whisper-position-ms": lambda p: sum(p["hop"] for _ in range(p["stride"])),
    "whisper-positions-per-second": lambda p: len(range(0, 1000, p["hop"] * p["stride"])),
    "whisper-fft-bins": lambda p: np.fft.rfft(np.zeros(p["n"])).size,
    "xattn-output-rows": lambda p: (np.ones((p["T"], p["V"])) @ np.ones((p["V"], 8))).shape[0],
    "xattn-score-entries": lambda p: (np.ones((p["T"], 4)) @ np.ones((4, p["V"]))).size,
    "xattn-concat-cost": lambda p: (lambda x: (x @ x.T).size)(np.ones((p["V"] + p["T"], 4))),
    "fusion-late-encodes": lambda p: len([*range(p["I"]), *range(p["L"])]),
    "fusion-chameleon-tokens": lambda p: _patches(p["S"], p["f"], 1).shape[0],
    "llava-linear-weights": lambda p: np.zeros((p["d_in"], p["d_out"])).size,
    "llava-mlp-params": lambda p: float(f"{_projector_sizes(p['d_in'], p['d_out']) / 1e6:.1f}"),
    "llava-instruct-reasoning": lambda p: len(range(p["conv"] + p["desc"], p["total"])),
    "llava15-total-data": lambda p: len([*range(p["align"]), *range(p["instruct"])]),
    "eval-mme-subtasks": lambda p: len([*range(p["perception"]), *range(p["cognition"])]),
    "eval-mme-max-perception": lambda p: sum(100 + 100 for _ in range(p["n"])),
}


def test_at_least_25_items_have_generators_and_each_has_an_oracle():
    assert len(GENERATORS) >= 25
    assert set(ORACLES) == set(GENERATORS)
    assert set(GENERATORS) <= {q.id for q in BANK.questions}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_variant_answer_is_recomputed_independently(name):
    gen, question = GENERATORS[name], BANK.question(name)
    for params in gen.draws:
        expected = ORACLES[name](params)
        asked = apply_params(question, params)
        assert asked.value == pytest.approx(expected, abs=max(asked.tolerance, 1e-9)), params
        assert math.isclose(gen.answer(params), expected, abs_tol=max(asked.tolerance, 1e-9))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_bank_numbers_are_one_of_the_draws(name):
    gen, question = GENERATORS[name], BANK.question(name)
    assert gen.canonical in gen.draws
    assert gen.answer(gen.canonical) == pytest.approx(question.value)
    assert apply_params(question, gen.canonical) == question  # authored wording kept


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_variants_show_their_numbers_and_working(name):
    gen, question = GENERATORS[name], BANK.question(name)
    others = [p for p in gen.draws if p != gen.canonical]
    assert len(others) >= 2, "a generator needs numbers other than the bank's"
    asked = apply_params(question, others[0])
    assert asked.prompt != question.prompt and asked.explanation != question.explanation
    assert asked.section == question.section and asked.outcome == question.outcome
    assert asked.expected.replace(" " + question.unit, "") in asked.explanation


def test_variants_are_seeded_and_spread():
    q = BANK.question("patchify-tokens-224-16")
    assert make_variant(q, 7) == make_variant(q, 7)
    seen = Counter(tuple(sorted(make_variant(q, seed)[1].items())) for seed in range(200))
    assert len(seen) >= 10


def test_questions_without_a_generator_are_asked_as_written():
    q = BANK.question("vit-class-token")
    assert make_variant(q, 1) == (q, None)
