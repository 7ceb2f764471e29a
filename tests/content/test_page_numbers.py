"""Every number on the pages that code can compute is computed here, page by page.

Two mechanisms (docs/CONTENT.md):
- a calculation written in inline code, `a × b = c`, is evaluated as written (all pages);
- CLAIMS below lists, per page, sentences whose numbers are produced by code from the model
  shapes, the grammar universe, the formulas the page teaches or the committed runs, and the
  test asserts that the page states exactly that sentence. Change the code or a run and the
  sentence no longer matches; change the page and its claim must change with it.
Figures that only a paper can give are listed in PAPER_FIGURES with the reference that must
appear in the page's `## References`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from pagetext import PAGES, calculations, check_calculation, prose, sections, text

from harness.paths import REPO_ROOT
from labs.x2_multimodal import grammar
from labs.x2_multimodal.lab00 import nn, tiny_vit
from labs.x2_multimodal.lab02 import audio, whisper_model

RUNS = REPO_ROOT / "experiments" / "X2-multimodal"
BENCH = REPO_ROOT / "bench"


def committed_metrics(lab: str) -> dict:
    runs = sorted((RUNS / lab).glob("*-reference-s0/metrics.json"))
    assert runs, f"no committed reference run of {lab} under {RUNS}"
    return json.loads(runs[-1].read_text(encoding="utf-8"))


# --- the models, written as plain sums of their tensors ----------------------------------------


def whisper_parameters(
    d: int = 384,
    layers: int = 4,
    n_mels: int = 80,
    audio_ctx: int = 1500,
    text_ctx: int = 448,
    vocab: int = 51_864,
) -> dict[str, int]:
    """transformers' WhisperForConditionalGeneration, tensor by tensor (the output projection is
    tied to the token embedding, so it adds nothing; the key projection has no bias)."""
    attention = 4 * d * d + 3 * d  # q, k, v, out weights; q, v, out biases
    mlp = d * 4 * d + 4 * d + 4 * d * d + d
    norm = 2 * d
    encoder_layer = attention + mlp + 2 * norm
    decoder_layer = 2 * attention + mlp + 3 * norm
    position_table = audio_ctx * d  # sinusoidal, frozen
    encoder = (n_mels * d * 3 + d) + (d * d * 3 + d) + position_table
    encoder += layers * encoder_layer + norm
    decoder = vocab * d + text_ctx * d + layers * decoder_layer + norm
    total = encoder + decoder
    return {"total": total, "frozen": position_table, "learned": total - position_table}


def slaney_step(low_hz: float, high_hz: float) -> float:
    return float(audio.hz_to_mel(high_hz) - audio.hz_to_mel(low_hz))


# --- claims, per page --------------------------------------------------------------------------


def claims_theory_00() -> list[str]:
    fa = audio.frame_arithmetic()
    side = 224 // 16
    v3 = audio.frame_arithmetic(n_mels=128)
    icon_tokens, icon_width = nn.patchify(np.zeros((32, 32, 1)), 8).shape
    return [
        f"{side} × {side} = **{side * side} tokens**",
        f"16 × 16 × 3 = **{16 * 16 * 3} values**",
        f"**25 ms** window ({fa['n_fft']} samples) every **10 ms** ({fa['hop_length']} samples)",
        f"**{fa['n_frames']:,} frames**",
        f"**{fa['encoder_positions']:,} encoder positions** of "
        f"**{fa['seconds_per_position'] * 1000:.0f} ms**",
        f"an ({fa['n_mels']}, {fa['n_frames']}) input",
        f"({v3['n_mels']}, {v3['n_frames']}), with the same {v3['encoder_positions']:,} positions",
        f"32×32 icons cut into 8×8 patches, {icon_tokens} tokens",
        f"starting at 1 / {0.07}",
    ]


def vit_parameters(layers: int, width: int, mlp: int, classes: int) -> int:
    tokens = (224 // 16) ** 2 + 1
    block = 2 * 2 * width + width * 3 * width + 3 * width + width * width + width
    block += width * mlp + mlp + mlp * width + width
    total = 16 * 16 * 3 * width + width + width + tokens * width + layers * block
    return total + 2 * width + (width * classes + classes if classes else 0)


def claims_theory_01() -> list[str]:
    with_head = vit_parameters(12, 768, 3072, 1000)
    backbone = vit_parameters(12, 768, 3072, 0)
    dinov2_224 = (224 // 14) ** 2
    return [
        f"total: `590,592 + 152,064 + 85,054,464 + 770,536 = {with_head:,}`",
        f"= {backbone:,}`: the {round(backbone / 1e6)}M ({round(backbone / 1e6)} million)",
        f"`{dinov2_224} + 1 + 4 = {dinov2_224 + 5}` positions",
        f"`1 / 32,768 ≈ {1 / 32_768:.7f}`",
        f"each cross-entropy is `ln 32,768 ≈ {math.log(32_768):.2f}`",
    ]


def claims_theory_02() -> list[str]:
    fa = audio.frame_arithmetic()
    params = whisper_parameters()
    hann = audio.hann_window(400)
    assert hann[0] == 0 and hann[-1] > 0  # zero at the first sample only
    assert np.allclose(hann, np.hanning(401)[:-1])  # symmetric of n + 1 points, last dropped
    # Expected masked fraction: a step is unmasked when none of the 10 starts before it fired.
    masked = 1 - (1 - 0.065) ** 10
    temperatures = np.round(np.arange(0.0, 1.0 + 1e-9, 0.2), 1)
    return [
        f"100 Hz to 200 Hz is {slaney_step(100, 200):.1f} mel",
        f"1,000 Hz to 2,000 Hz is {slaney_step(1000, 2000):.1f} mel",
        f"with {slaney_step(1000, 6400):.0f} mel per factor of 6.4",
        "it is zero at the first sample only",
        f"`{fa['sample_rate']:,} / 2 = {fa['sample_rate'] // 2:,}` Hz",
        f"{params['total']:,} parameters for it",
        f"but {params['frozen']:,} of them, `1,500 × 384 = {params['frozen']:,}`",
        f"{params['learned']:,} are learned",
        f"id {whisper_model.TIMESTAMP_BEGIN:,} in the English-only models",
        f"{51_865 - 1_501:,} in the multilingual ones up to large-v2, and {51_866 - 1_501:,} in "
        "large-v3",
        f"`{448} / 2 − 1 = {448 // 2 - 1}` tokens",
        f"({round(100 * masked)}% in the paper)",
        f"decoding is then retried with sampling at temperature {temperatures[1]}, "
        f"{temperatures[2]}, … up to {temperatures[-1]}",
        f"`320 × 320 = {320 * 320:,}` possible codes",
        f"{NUMBER_WORDS[len(temperatures)]} tries in all",
    ]


def claims_theory_03() -> list[str]:
    vit_g_tokens = (224 // 14) ** 2 + 1
    return [
        f"M is `224 × 224 = {224 * 224:,}`",
        f"ViT-g/14 at 224 px that encoder gives `{vit_g_tokens} × 1,408 = {vit_g_tokens * 1408:,}`",
        f"`32 × 768 = {32 * 768:,}`",
        f"multiplied by tanh(α) before being added to the residual stream, with α a learned "
        f"scalar **initialised at {math.atanh(0.0):.0f}**",
    ]


def claims_theory_04() -> list[str]:
    linear = 1024 * 4096
    mlp_1, mlp_2 = 1024 * 4096 + 4096, 4096 * 4096 + 4096
    tokens_336 = (336 // 14) ** 2
    return [
        f"That is 1,024 × 4,096 = {linear:,} weights, plus 4,096 biases: about "
        f"{(linear + 4096) / 1e6:.1f}M parameters",
        f"{mlp_1:,} + {mlp_2:,} = {mlp_1 + mlp_2:,}, about {round((mlp_1 + mlp_2) / 1e6)}M",
        f"24 × 24 = **{tokens_336} visual tokens** per image instead of {(224 // 14) ** 2}",
        f"(58 + 23 + 77 = {58 + 23 + 77})",
        f"about {(558 + 665) / 1000:.1f}M publicly available examples (558K + 665K)",
        f"so at most {100 + 100} per subtask: {10 * 200:,} for perception and {4 * 200} for "
        "cognition",
        f"`(4 + 1) × 576 = {5 * tokens_336:,}` visual tokens, five times LLaVA-1.5's {tokens_336}",
        f"up to {2 * 336} × {2 * 336}, 336 × {4 * 336:,} or {4 * 336:,} × 336 pixels",
        f"`150 + 900 + 10,500 = {150 + 900 + 10_500:,}`",
        f"so each vector covers {2 * 20} ms (`1,500 / 2 = {1500 // 2}`",
        f"8 codebooks of 1,024 entries ({int(math.log2(1024))} bits each)",
        f"`75 × 8 × 10 = {75 * 8 * 10:,}` bits per second, {75 * 8 * 10 // 1000} kbps",
    ]


NUMBER_WORDS = {4: "four", 6: "six", 16: "sixteen"}
SUPERSCRIPT = dict(enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹"))


def claims_lab_00() -> list[str]:
    cfg, tcfg, _ = tiny_vit.make_configs({})
    tokens, width = nn.patchify(np.zeros((32, 32, 1)), cfg.patch).shape
    small_tokens, small_width = nn.patchify(np.zeros((32, 32, 1)), 4).shape
    return [
        f"P = {cfg.patch} on the icons: 4 × 4 = {tokens} tokens of {width} pixels each",
        f"P = 4 would give 8 × 8 = {small_tokens} tokens of {small_width} pixels",
        f"{NUMBER_WORDS[(small_tokens // tokens) ** 2]} times the work in attention",
        f"width {cfg.dim}, {cfg.depth} blocks, {cfg.n_heads} heads, MLP width "
        f"{cfg.dim * cfg.mlp_ratio}, batches of {tcfg.batch_size}",
        f"learning rate {'2e-3' if tcfg.lr == 2e-3 else tcfg.lr} with {tcfg.warmup_steps} warmup "
        "steps",
        f"a score of −10{SUPERSCRIPT[round(math.log10(-nn.MASKED_SCORE))]} before the softmax",
    ]


def claims_lab_01() -> list[str]:
    n_verbs, n_tenses, n_persons = len(grammar.VERBS), len(grammar.TENSES), len(grammar.PERSONS)
    n_forms = len(grammar.all_forms())
    assert n_forms == n_verbs * n_tenses * n_persons
    n_texts = len(grammar.distinct_texts())
    results = (BENCH / "RESULTS-lab01.md").read_text(encoding="utf-8")
    ce_at_1 = float(re.search(r"^\| 1\.0 \| [\d.]+ \| ([\d.]+) \|", results, re.M).group(1))
    return [
        f"{n_verbs} verbs × {n_tenses} tenses × {n_persons} persons = {n_forms} verb forms",
        f"give **{n_texts} distinct sentences**",
        f"and all {n_texts - 1} others at −1, the cross-entropy is "
        f"`ln(e² + {n_texts - 1}) − 2 ≈ {math.log(math.e**2 + n_texts - 1) - 2:.2f}`",
        f"(initialised at `log(1/0.07)`, so\ns ≈ {1 / 0.07:.1f})".replace("\n", " "),
        f"about {round(math.exp(ce_at_1))} at s = 1",
        f"({n_texts} if it were uniform, 1 if it were certain)",
        f"{n_texts} sentences instead of 400 million captions",
    ]


def claims_lab_02() -> list[str]:
    fa = audio.frame_arithmetic()
    run = committed_metrics("lab-02")
    clips = json.loads(
        (REPO_ROOT / "labs/x2_multimodal/lab02/clips/clips.json").read_text(encoding="utf-8")
    )
    conv1 = (fa["n_frames"] + 2 - 3) // 1 + 1
    conv2 = (conv1 + 2 - 3) // 2 + 1
    return [
        f"`480,000 / 160 = {fa['n_frames']:,}` frames of {fa['n_mels']} mels",
        f"keeps `(3,000 + 2 − 3) / 1 + 1 = {conv1:,}` frames",
        f"gives\n`(3,000 + 2 − 3 − 1) / 2 + 1 = {conv2:,}` positions".replace("\n", " "),
        f"`400 / 2 + 1 = {fa['n_fft'] // 2 + 1}` rfft bins",
        f"(id − {whisper_model.TIMESTAMP_BEGIN:,}) × 0.02 s",
        f"for id {whisper_model.TIMESTAMP_BEGIN + 100:,}",
        f"The clips under `labs/x2_multimodal/lab02/clips/` are {len(clips)} grammar-universe",
        f"{run['wer']:.3f} for the reference pipeline",
    ]


CLAIMS = {
    "theory-00": claims_theory_00,
    "theory-01": claims_theory_01,
    "theory-02": claims_theory_02,
    "theory-03": claims_theory_03,
    "theory-04": claims_theory_04,
    "lab-00": claims_lab_00,
    "lab-01": claims_lab_01,
    "lab-02": claims_lab_02,
}

# Figures only a paper (or its code) can give: (as the page writes it, a name that the page's
# References must contain).
PAPER_FIGURES = {
    "theory-00": [("680,000 hours", "Whisper"), ("400 million", "CLIP"), ("0.07", "CLIP")],
    "theory-01": [
        ("88.55%", "Dosovitskiy"),
        ("77.9%", "Dosovitskiy"),
        ("81.8% top-1", "Touvron"),
        ("85.2%", "Touvron"),
        ("76.2%", "CLIP"),
        ("84.5% zero-shot", "Zhai"),
        ("LVD-142M", "Oquab"),
    ],
    "theory-02": [
        ("above 2.4", "transcribe.py"),
        ("below −1", "transcribe.py"),
        ("above 0.6", "transcribe.py"),
        ("decoder context of 448 tokens", "n_text_ctx"),
        ("39 M", "Table 1"),
        ("p = 0.065", "wav2vec 2.0"),
        ("100 distractors", "wav2vec 2.0"),
        ("G = 2 codebooks of V = 320", "wav2vec 2.0"),
    ],
    "theory-03": [
        ("**64 visual tokens**", "Flamingo"),
        ("1,024 tokens drawn from a codebook of 8,192", "Chameleon"),
        ("N = 512 latents", "Perceiver"),
        ("188M parameters", "BLIP-2"),
        ("5.85B", "LAION-5B"),
        ("1.8B", "ALIGN"),
    ],
    "theory-04": [
        ("**595K**", "LLaVA"),
        ("**558K**", "LLaVA-1.5"),
        ("LLaVA-Instruct-**158K**", "LLaVA"),
        ("75 frames per\nsecond", "EnCodec"),
        ("about 56%", "MMMU"),
    ],
    "lab-00": [],
    "lab-01": [("256 V100s", "CLIP"), ("twelve days", "CLIP")],
    "lab-02": [],
}


@pytest.mark.parametrize("page_id", sorted(PAGES))
def test_every_calculation_on_the_page_holds(page_id):
    found = calculations(text(page_id))
    for calc in found:
        check_calculation(calc)


def test_the_pages_carry_their_calculations():
    counts = {page: len(calculations(text(page))) for page in PAGES}
    assert sum(counts.values()) >= 90, counts
    assert all(counts[p] >= 3 for p in PAGES if p.startswith("theory") and p != "theory-00"), counts


@pytest.mark.parametrize("page_id", sorted(PAGES))
def test_the_numbers_code_computes_are_the_numbers_on_the_page(page_id):
    page = prose(page_id)
    claims = CLAIMS[page_id]()
    assert len(claims) >= 4
    missing = [c for c in claims if " ".join(c.split()) not in page]
    assert not missing, f"{page_id} no longer states (as computed): {missing}"


@pytest.mark.parametrize("page_id", sorted(PAGES))
def test_paper_figures_name_their_source_in_the_references(page_id):
    page, refs = prose(page_id), " ".join(sections(text(page_id))["References"].split())
    for figure, source in PAPER_FIGURES[page_id]:
        assert " ".join(figure.split()) in page, f"{page_id} no longer states {figure!r}"
        assert source in refs, f"{page_id}: {figure!r} needs {source!r} in its References"


# --- each numeric fix of issue 17, pinned ----------------------------------------------------


def test_the_mel_scale_is_near_linear_below_1khz_and_logarithmic_above():
    low, high = slaney_step(100, 200), slaney_step(1000, 2000)
    assert round(low, 1) == 1.5 and round(high, 1) == 10.1
    assert "sounds like as big a step" not in prose("theory-02")


def test_tiny_en_has_37_184_256_learned_parameters():
    params = whisper_parameters()
    assert (params["total"], params["frozen"], params["learned"]) == (
        37_760_256,
        576_000,
        37_184_256,
    )
    assert "rounds the tiny models to 39 M" not in prose("theory-02")


def test_mmmu_has_11_550_questions():
    assert 150 + 900 + 10_500 == 11_550
    assert "11,550 questions" in prose("theory-04")


def test_the_periodic_hann_window_is_zero_at_one_end_only():
    w = audio.hann_window(400)
    assert w[0] == 0.0 and 0 < w[-1] < 1e-4
    assert "zero at both ends)" not in prose("theory-02")


def test_the_128_mel_models_are_named_where_80_channels_are_claimed():
    for page_id in ("theory-00", "theory-02"):
        assert "128" in prose(page_id) and "large-v3" in prose(page_id)


def test_committed_runs_back_the_lab_pages():
    assert committed_metrics("lab-02")["clips"] == 12
    assert Path(RUNS / "lab-00").is_dir() and Path(RUNS / "lab-01").is_dir()
