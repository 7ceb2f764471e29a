"""Question variants: numeric items whose numbers are drawn, so a second attempt or a review
asks the same idea with new numbers.

Each generator belongs to one bank item (by id, or by the item's `generator:` key) and keeps
its section, outcome and unit; it draws parameters with a seeded `random.Random`, writes the
prompt and a worked explanation from them, and computes the answer. The bank's own numbers are
always one of the draws (`canonical`), so the authored question is one variant among several.
The stored attempt keeps the parameters (`quiz_drawn.params`), so every answer can be regraded
and statistics kept per parameter (`variant_stats`).

API
---
`generator_for(question) -> Generator | None`
`make_variant(question, seed) -> (Question, params)`   deterministic in (question id, seed)
`variant_stats(store, bank) -> list[ParamStats]`   per item and parameter value: answered,
    proportion correct.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the quiz engine imports this module to draw its variants
    from harness.learning.quiz import Bank, Question
    from harness.store import Store

Params = dict[str, Any]


@dataclass(frozen=True)
class Generator:
    name: str  # the bank item it belongs to
    draws: tuple[Params, ...]  # the parameter sets a variant is drawn from
    canonical: Params  # the bank's own numbers
    prompt: str  # str.format over the parameters
    compute: Callable[[Params], float]
    working: str  # the worked explanation; may use {answer}
    tolerance: Callable[[Params], float] = lambda p: 0.0

    def answer(self, params: Params) -> float:
        return float(self.compute(params))

    def render(self, params: Params) -> tuple[str, str]:
        shown = {k: _show(v) for k, v in params.items()}
        shown["answer"] = _show(self.answer(params))
        return self.prompt.format(**shown), self.working.format(**shown)


def _show(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    if isinstance(value, (int, float)):
        return f"{int(value):,}"
    return str(value)


def _grid(**axes: Any) -> tuple[Params, ...]:
    """Every combination of the given axes (each a list), in a fixed order."""
    combos: list[Params] = [{}]
    for key, values in axes.items():
        combos = [{**c, key: v} for c in combos for v in values]
    return tuple(combos)


def _where(params: tuple[Params, ...], keep: Callable[[Params], bool]) -> tuple[Params, ...]:
    return tuple(p for p in params if keep(p))


_GENERATORS: list[Generator] = []


def _gen(name: str, draws: tuple[Params, ...], canonical: Params, **kw: Any) -> None:
    if canonical not in draws:
        draws = (canonical, *draws)
    _GENERATORS.append(Generator(name, draws, canonical, **kw))


# --- patchify: tokens from image size and patch size ------------------------------------------

_SIZES = [96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512]
_divides = _where(_grid(S=_SIZES, P=[8, 16, 32]), lambda p: p["S"] % p["P"] == 0)

_gen(
    "patchify-tokens-224-16",
    _divides,
    {"S": 224, "P": 16},
    prompt="A {S}×{S}×3 image is cut into non-overlapping {P}×{P} patches. How many patch "
    "tokens result (no class token)?",
    compute=lambda p: (p["S"] // p["P"]) ** 2,
    working="{S} / {P} patches per side, squared: {answer} tokens.",
)
_gen(
    "patchify-width-16",
    _grid(P=[4, 8, 14, 16, 32], C=[1, 3, 4]),
    {"P": 16, "C": 3},
    prompt="How many numbers does one flattened {P}×{P} patch of an image with {C} channel(s) "
    "hold?",
    compute=lambda p: p["P"] * p["P"] * p["C"],
    working="{P} × {P} pixels × {C} channel(s) = {answer} numbers.",
)
_gen(
    "patchify-per-side",
    _divides,
    {"S": 224, "P": 16},
    prompt="With {P}×{P} patches, how many patches fit along one side of a {S}-pixel image?",
    compute=lambda p: p["S"] // p["P"],
    working="{S} / {P} = {answer} patches per side.",
)
_L14 = _grid(S=[224, 280, 336, 392, 448, 518])
_gen(
    "patchify-l14-224",
    _L14,
    {"S": 224},
    prompt="How many patch tokens does ViT-L/14 (14×14 patches) produce for a {S}×{S} image?",
    compute=lambda p: (p["S"] // 14) ** 2,
    working="{S} / 14 patches per side, squared: {answer} tokens.",
)
_gen(
    "patchify-l14-336",
    _L14,
    {"S": 336},
    prompt="A LLaVA-style model feeds its language model every patch token of a ViT-L/14 "
    "(14×14 patches) at {S}×{S}. How many visual tokens per image is that?",
    compute=lambda p: (p["S"] // 14) ** 2,
    working="({S} / 14)² = {answer} visual tokens in the language model's context.",
)
_gen(
    "patchify-b32",
    _grid(S=[128, 160, 192, 224, 256, 320, 384, 448]),
    {"S": 224},
    prompt="How many patch tokens does a ViT with 32×32 patches produce for a {S}×{S} image?",
    compute=lambda p: (p["S"] // 32) ** 2,
    working="({S} / 32)² = {answer} tokens: large patches make short sequences.",
)
_gen(
    "patchify-seq-with-cls",
    _divides,
    {"S": 224, "P": 16},
    prompt="How many positions does a ViT with {P}×{P} patches process for a {S}×{S} image, "
    "counting its [class] token?",
    compute=lambda p: (p["S"] // p["P"]) ** 2 + 1,
    working="({S} / {P})² patch tokens + 1 [class] token = {answer} positions.",
)
_gen(
    "patchify-lossless",
    _where(_grid(S=[96, 128, 192, 224, 256, 384], P=[8, 16, 32]), lambda p: p["S"] % p["P"] == 0),
    {"S": 224, "P": 16},
    prompt="A {S}×{S}×3 image becomes a matrix of flattened {P}×{P} patches, one row per "
    "patch. How many numbers does that matrix hold?",
    compute=lambda p: p["S"] * p["S"] * 3,
    working="Patchifying only rearranges pixels: {S} × {S} × 3 = {answer} numbers.",
)

# --- CLIP: batches, temperatures, chance loss ----------------------------------------------

_gen(
    "clip-negatives-per-image",
    _grid(N=[256, 1024, 4096, 8192, 16384, 32768]),
    {"N": 32768},
    prompt="With a contrastive batch of {N} pairs, against how many wrong captions is each "
    "image contrasted?",
    compute=lambda p: p["N"] - 1,
    working="Every other caption in the batch is a negative: {N} − 1 = {answer}.",
)
_gen(
    "clip-negative-entries",
    _grid(N=[4, 6, 8, 10, 12, 16, 32, 64]),
    {"N": 8},
    prompt="In a batch of N = {N} pairs, how many entries of the {N} × {N} similarity matrix "
    "are negatives?",
    compute=lambda p: p["N"] * p["N"] - p["N"],
    working="{N}² entries minus the {N} on the diagonal = {answer} negatives.",
)
_gen(
    "clip-initial-scale",
    _grid(t=[0.02, 0.03, 0.04, 0.05, 0.07, 0.08, 0.1]),
    {"t": 0.07},
    prompt="A CLIP-style model initialises its temperature at {t}. What is the initial logit "
    "scale 1 / temperature (one decimal)?",
    compute=lambda p: round(1 / p["t"], 1),
    working="1 / {t} = {answer} (to one decimal).",
    tolerance=lambda p: 0.05,
)
_gen(
    "clip-min-temperature",
    _grid(M=[20, 25, 50, 100, 200]),
    {"M": 100},
    prompt="A CLIP-style model clips its logit scale so logits are never scaled by more than "
    "{M}. What is the smallest temperature that allows?",
    compute=lambda p: 1 / p["M"],
    working="The scale is 1 / temperature, so the temperature is at least 1 / {M} = {answer}.",
    tolerance=lambda p: 0.01 / p["M"],
)
_gen(
    "clip-chance-loss",
    _grid(N=[32, 64, 100, 128, 256, 512, 1024]),
    {"N": 256},
    prompt="At initialisation all similarities in a batch of N = {N} pairs are equal. What is "
    "each direction's cross-entropy (natural log, two decimals)?",
    compute=lambda p: round(math.log(p["N"]), 2),
    working="Equal logits give every caption probability 1/{N}; the loss is ln {N} = {answer}.",
    tolerance=lambda p: 0.01,
)

# --- Whisper's front end: sample rate, window, hop, duration, stem stride -------------------

_gen(
    "whisper-window-samples",
    _grid(sr=[8000, 16000, 24000, 48000], ms=[20, 25, 30, 40]),
    {"sr": 16000, "ms": 25},
    prompt="An analysis window is {ms} ms long and the audio is sampled at {sr} Hz. How many "
    "samples is that?",
    compute=lambda p: p["sr"] * p["ms"] // 1000,
    working="{sr} samples per second × {ms} / 1,000 s = {answer} samples.",
)
_gen(
    "whisper-hop-samples",
    _grid(sr=[8000, 16000, 24000, 48000], ms=[5, 10, 15, 20]),
    {"sr": 16000, "ms": 10},
    prompt="A spectrogram hops {ms} ms at {sr} Hz. How many samples lie between the starts of "
    "consecutive windows?",
    compute=lambda p: p["sr"] * p["ms"] // 1000,
    working="{sr} × {ms} / 1,000 = {answer} samples per hop.",
)
_gen(
    "whisper-frames",
    _grid(D=[10, 15, 20, 30, 60], hop=[5, 10, 20]),
    {"D": 30, "hop": 10},
    prompt="A log-mel front end with a {hop} ms hop reads a {D}-second input and keeps one "
    "frame per hop, as Whisper does. How many frames does it compute?",
    compute=lambda p: p["D"] * 1000 // p["hop"],
    working="{D} s = {D},000 ms, one frame every {hop} ms: {answer} frames.",
)
_gen(
    "whisper-positions",
    _grid(D=[10, 15, 20, 30, 45, 60]),
    {"D": 30},
    prompt="A Whisper-style encoder reads frames with a 10 ms hop and its stem halves them "
    "(stride 2). How many positions does it output for a {D}-second input window?",
    compute=lambda p: p["D"] * 100 // 2,
    working="{D} s × 100 frames per second = frames; halved by the stride-2 stem: {answer}.",
)
_gen(
    "whisper-position-ms",
    _grid(hop=[5, 10, 20], stride=[1, 2, 4]),
    {"hop": 10, "stride": 2},
    prompt="Frames are {hop} ms apart and the encoder stem has stride {stride}. How many "
    "milliseconds of audio does one encoder position cover?",
    compute=lambda p: p["hop"] * p["stride"],
    working="{stride} frame(s) per position × {hop} ms = {answer} ms.",
)
_gen(
    "whisper-positions-per-second",
    _grid(hop=[10], stride=[1, 2, 4, 5]) + _grid(hop=[20], stride=[1, 2, 5]),
    {"hop": 10, "stride": 2},
    prompt="Frames are {hop} ms apart and the encoder stem has stride {stride}. How many "
    "encoder positions correspond to one second of audio?",
    compute=lambda p: 1000 // (p["hop"] * p["stride"]),
    working="One position per {hop} × {stride} ms: 1,000 / ({hop} × {stride}) = {answer}.",
)
_gen(
    "whisper-fft-bins",
    _grid(n=[256, 400, 512, 800, 1024, 2048]),
    {"n": 400},
    prompt="How many frequency bins does a {n}-point real FFT produce before the mel filterbank?",
    compute=lambda p: p["n"] // 2 + 1,
    working="A real FFT of n points keeps n/2 + 1 bins (DC to Nyquist): {answer}.",
)

# --- cross-attention: shapes and cost ------------------------------------------------------

_XATTN = _grid(T=[8, 12, 16, 20, 32], V=[32, 64, 256, 576])
_gen(
    "xattn-output-rows",
    _XATTN,
    {"T": 12, "V": 64},
    prompt="{T} text tokens cross-attend to {V} visual tokens. How many output vectors does "
    "the cross-attention layer produce?",
    compute=lambda p: p["T"],
    working="One output per query, and the queries are the {T} text tokens: {answer}.",
)
_gen(
    "xattn-score-entries",
    _XATTN,
    {"T": 12, "V": 64},
    prompt="{T} text tokens cross-attend to {V} visual tokens. How many entries does one "
    "head's attention-score matrix have?",
    compute=lambda p: p["T"] * p["V"],
    working="{T} queries × {V} keys = {answer} scores.",
)
_gen(
    "xattn-concat-cost",
    _grid(V=[64, 256, 576, 1024], T=[50, 100, 200]),
    {"V": 576, "T": 100},
    prompt="Instead of cross-attention, {V} visual tokens are placed in front of {T} text "
    "tokens and one self-attention runs over all of them. How many entries does one head's "
    "score matrix have?",
    compute=lambda p: (p["V"] + p["T"]) ** 2,
    working="({V} + {T})² = {answer}: every token attends to every token.",
)

# --- fusion ------------------------------------------------------------------------------------

_gen(
    "fusion-late-encodes",
    _grid(I=[100, 500, 1000, 5000], L=[10, 50, 100, 1000]),
    {"I": 1000, "L": 50},
    prompt="With a dual encoder, you score {I} images against {L} label prompts. How many "
    "encoder passes (one per image or text) are needed?",
    compute=lambda p: p["I"] + p["L"],
    working="Each side is encoded once, then compared by dot products: {I} + {L} = {answer}.",
)
_gen(
    "fusion-chameleon-tokens",
    _where(_grid(S=[256, 384, 512, 768, 1024], f=[8, 16, 32]), lambda p: p["S"] % p["f"] == 0),
    {"S": 512, "f": 16},
    prompt="An image tokenizer like Chameleon's downsamples each side by {f} and emits one "
    "discrete token per cell. How many tokens does it produce for a {S}×{S} image?",
    compute=lambda p: (p["S"] // p["f"]) ** 2,
    working="({S} / {f})² = {answer} tokens.",
)

# --- LLaVA: projector parameters from widths, data arithmetic ---------------------------------

_WIDTHS = _grid(d_in=[768, 1024, 1152], d_out=[2048, 4096, 5120])
_gen(
    "llava-linear-weights",
    _WIDTHS,
    {"d_in": 1024, "d_out": 4096},
    prompt="How many weights (no bias) does a linear projection from {d_in}-d vision features "
    "to a {d_out}-d language model need?",
    compute=lambda p: p["d_in"] * p["d_out"],
    working="{d_in} × {d_out} = {answer} weights.",
)
_gen(
    "llava-mlp-params",
    _WIDTHS,
    {"d_in": 1024, "d_out": 4096},
    prompt="A LLaVA-1.5-style projector is linear {d_in} → {d_out}, GELU, linear {d_out} → "
    "{d_out}, both with biases. How many million parameters is that (one decimal)?",
    compute=lambda p: round(
        (p["d_in"] * p["d_out"] + p["d_out"] + p["d_out"] * p["d_out"] + p["d_out"]) / 1e6, 1
    ),
    working="{d_in}×{d_out} + {d_out} + {d_out}×{d_out} + {d_out}, in millions: {answer}.",
    tolerance=lambda p: 0.05,
)
_gen(
    "llava-instruct-reasoning",
    _grid(total=[120, 158, 200, 240], conv=[40, 58], desc=[15, 23]),
    {"total": 158, "conv": 58, "desc": 23},
    prompt="An instruction set of {total}K samples holds {conv}K conversations and {desc}K "
    "detailed descriptions; the rest are complex-reasoning samples. How many thousand?",
    compute=lambda p: p["total"] - p["conv"] - p["desc"],
    working="{total} − {conv} − {desc} = {answer} thousand.",
)
_gen(
    "llava15-total-data",
    _grid(align=[558, 595, 600], instruct=[158, 665, 700]),
    {"align": 558, "instruct": 665},
    prompt="A two-stage recipe trains on {align}K alignment pairs, then {instruct}K "
    "instruction samples. In thousands, how many examples across both stages?",
    compute=lambda p: p["align"] + p["instruct"],
    working="{align} + {instruct} = {answer} thousand.",
)

# --- evaluation: MME arithmetic ----------------------------------------------------------------

_gen(
    "eval-mme-subtasks",
    _grid(perception=[6, 8, 10, 12], cognition=[2, 4, 5]),
    {"perception": 10, "cognition": 4},
    prompt="A benchmark has {perception} perception subtasks and {cognition} cognition "
    "subtasks. How many subtasks in all?",
    compute=lambda p: p["perception"] + p["cognition"],
    working="{perception} + {cognition} = {answer} subtasks.",
)
_gen(
    "eval-mme-max-perception",
    _grid(n=[4, 6, 8, 10, 12, 14]),
    {"n": 10},
    prompt="Each MME subtask scores accuracy + accuracy+ (each in percent, so at most 200). "
    "What is the maximum total score over {n} subtasks?",
    compute=lambda p: 200 * p["n"],
    working="{n} subtasks × 200 = {answer}.",
)

GENERATORS: dict[str, Generator] = {g.name: g for g in _GENERATORS}


# --- variants of bank questions -------------------------------------------------------------


def generator_for(question: Question) -> Generator | None:
    name = getattr(question, "generator", None) or question.id
    gen = GENERATORS.get(name)
    return gen if gen is not None and question.kind == "numeric" else None


def make_variant(question: Question, seed: int | str) -> tuple[Question, Params | None]:
    """The question with drawn numbers (and their parameters), or itself and None."""
    gen = generator_for(question)
    if gen is None:
        return question, None
    rng = random.Random(f"{seed}:{question.id}")
    params = dict(rng.choice(gen.draws))
    return apply_params(question, params), params


def apply_params(question: Question, params: Params) -> Question:
    """The question asked with these parameters (to regrade a stored answer, or to show)."""
    gen = generator_for(question)
    if gen is None:
        raise KeyError(f"question '{question.id}' has no generator")
    if params == gen.canonical:
        return question  # the authored wording and explanation
    prompt, working = gen.render(params)
    return replace(
        question,
        prompt=prompt,
        explanation=working,
        value=gen.answer(params),
        tolerance=gen.tolerance(params),
    )


# --- statistics per item and per parameter -------------------------------------------------


@dataclass(frozen=True)
class ParamStats:
    question_id: str
    param: str  # a parameter name, or '*' for the item over all its variants
    value: str
    answered: int
    correct: int

    @property
    def proportion(self) -> float:
        return self.correct / self.answered if self.answered else float("nan")


def variant_stats(store: Store, bank: Bank) -> list[ParamStats]:
    """Answers to generated variants, per item ('*') and per parameter value."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    known = {q.id for q in bank.questions}
    for row in store.variant_answers(bank.id):
        if row["question_id"] not in known:
            continue
        params = json.loads(row["params"] or "{}")
        keys = [("*", "all")] + [(k, _show(v)) for k, v in sorted(params.items())]
        for param, value in keys:
            cell = counts[(row["question_id"], param, value)]
            cell[0] += 1
            cell[1] += int(row["correct"])
    return [ParamStats(q, p, v, n, c) for (q, p, v), (n, c) in sorted(counts.items())]
