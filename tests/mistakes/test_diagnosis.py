"""diagnosis.py on calls recorded by hand: a catalogued mistake's outputs are named, the
reference's are not, the block's first divergence is found, NaN is located."""

from __future__ import annotations

import numpy as np
import pytest

from harness.chapter import load_chapter
from harness.grading.catalogue import load_catalogue
from harness.grading.diagnosis import Call, _load, block_divergence, diagnose

CHAPTER = load_chapter()


def module_of(lab_id: str, name: str):
    lab = CHAPTER.lab(lab_id)
    entry = next(e for e in load_catalogue(lab) if e.name == name)
    return _load(entry, f"_test_{lab.number}_{name}")


def calls_of(module, fn: str, *inputs: tuple) -> list[Call]:
    return [Call(fn, args, {}, value=getattr(module, fn)(*args)) for args in inputs]


@pytest.mark.parametrize(
    ("lab_id", "name", "fn", "args"),
    [
        ("lab-00", "patchify__column_major_patches", "patchify",
         (np.random.default_rng(0).random((8, 8, 2)), 4)),
        ("lab-01", "info_nce__image_to_text_term_only", "info_nce",
         (np.random.default_rng(1).normal(size=(5, 5)),)),
        ("lab-01", "retrieval__i2t_ties_in_favour", "retrieval_metrics",
         (np.ones((6, 4)), np.ones((12, 4)), np.arange(6), (1, 10))),
        ("lab-02", "timestamps__first_of_two_timestamps_opens", "segments_from_tokens",
         ([50363, 50373, 10, 50383, 11, 50256], 50363, 50256, 0.02)),
    ],
)  # fmt: skip
def test_a_catalogued_mistake_is_named_with_its_hint(lab_id, name, fn, args):
    lab = CHAPTER.lab(lab_id)
    mistake = module_of(lab_id, name)
    entry = next(e for e in load_catalogue(lab) if e.name == name)
    text = diagnose(lab, entry.task, calls_of(mistake, fn, args))
    assert "catalogued mistake" in text and f"'{entry.title}'" in text
    assert entry.hint in text


def test_the_reference_gets_no_mistake_named():
    lab = CHAPTER.lab("lab-01")
    ref = pytest.importorskip("labs.x2_multimodal.lab01.clip_lab")
    logits = np.random.default_rng(2).normal(size=(5, 5))
    assert "catalogued mistake" not in diagnose(
        lab, "info_nce", calls_of(ref, "info_nce", (logits,))
    )


def block_call(module, seed: int = 3) -> list[Call]:
    rng = np.random.default_rng(seed)
    d, f = 8, 16
    p = {k: rng.normal(0, 0.3, s) for k, s in {
        "ln1_g": (d,), "ln1_b": (d,), "attn_wqkv": (d, 3 * d), "attn_bqkv": (3 * d,),
        "attn_wo": (d, d), "attn_bo": (d,), "ln2_g": (d,), "ln2_b": (d,), "mlp_w1": (d, f),
        "mlp_b1": (f,), "mlp_w2": (f, d), "mlp_b2": (d,)}.items()}  # fmt: skip
    x = rng.normal(size=(2, 4, d))
    mask = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], bool)
    return [Call("block", (x, p, 2, mask), {}, value=module.block(x, p, 2, mask))]


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("block__relu_instead_of_gelu", "GELU of the MLP input"),
        ("block__mlp_reads_unnormalised_h", "MLP input LN2(h) @ mlp_w1 + mlp_b1"),
        ("block__no_attention_residual", "h = x + attention(LN1 x)"),
        ("block__post_ln", "h = x + attention(LN1 x)"),
    ],
)
def test_block_divergence_names_the_part_of_the_composition(name, stage):
    """The parts without a function of their own, isolated by the block's parameters."""
    mistake = module_of("lab-00", name)
    lines = block_divergence(CHAPTER.lab("lab-00"), block_call(mistake), mistake)
    assert lines[0].startswith(f"diagnosis: first divergence: {stage}:"), lines
    rows = {line[:38].strip(): line[38:].strip() for line in lines[3:]}
    assert float(rows["layernorm (LN1 of x)"]) < 1e-12
    assert float(rows["attention (of the reference LN1)"]) < 1e-12


def test_block_divergence_finds_a_forgotten_bias_and_a_broken_layernorm():
    from labs.x2_multimodal.lab00 import tiny_vit as ref

    lab = CHAPTER.lab("lab-00")

    def no_b2(x, p, heads, mask=None):  # in no catalogue: mlp_b2 never added
        return ref.block(x, {**p, "mlp_b2": np.zeros_like(p["mlp_b2"])}, heads, mask)

    forgets = type("Impl", (), {"layernorm": staticmethod(ref.layernorm),
                                "attention": staticmethod(ref.attention),
                                "block": staticmethod(no_b2)})  # fmt: skip
    lines = block_divergence(lab, block_call(forgets), forgets)
    assert lines[0].startswith("diagnosis: first divergence: y = h + MLP(LN2 h)"), lines
    broken = module_of("lab-00", "block__relu_instead_of_gelu")
    broken_ln = type("Impl", (), {
        "layernorm": staticmethod(lambda x, g, b, eps=1e-5: (x * 0.0, None)),
        "attention": staticmethod(broken.attention)})  # fmt: skip
    lines = block_divergence(lab, block_call(broken), broken_ln)
    assert lines[0] == "diagnosis: first divergence: layernorm (LN1 of x)"
    assert any("not run (AttributeError)" in line for line in lines)  # no block to probe


def attention_call(module, masked: bool) -> list[Call]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 8))
    p = {"wqkv": rng.normal(0, 0.4, (8, 24)), "bqkv": rng.normal(0, 0.1, 24),
         "wo": rng.normal(0, 0.4, (8, 8)), "bo": rng.normal(0, 0.1, 8)}  # fmt: skip
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool) if masked else None
    return [Call("attention", (x, p, 2, mask), {}, value=module.attention(x, p, 2, mask))]


@pytest.mark.parametrize(
    ("name", "masked", "stage"),
    [
        ("attention__no_sqrt_dh_scale", False, "scaled"),
        ("attention__no_sqrt_dh_scale", True, "scaled"),
        ("attention__mask_after_softmax", True, "masked"),
    ],
)
def test_attention_stages_name_the_first_stage_that_departs(name, masked, stage):
    from harness.grading.diagnosis import attention_divergence

    mistake = module_of("lab-00", name)
    lines = attention_divergence(CHAPTER.lab("lab-00"), attention_call(mistake, masked), mistake)
    assert lines[0] == f"diagnosis: first divergence: {stage}", lines
    rows = dict(line.split(None, 1) for line in lines[2:])
    assert float(rows["qkv"]) < 1e-12 and float(rows["scores"]) < 1e-12


def test_attention_stages_of_the_reference_agree_and_a_stub_gets_the_invitation():
    from harness.grading.diagnosis import attention_divergence
    from harness.grading.remote import LearnerError
    from labs.x2_multimodal.lab00 import tiny_vit as ref

    lab = CHAPTER.lab("lab-00")
    lines = attention_divergence(lab, attention_call(ref, True), ref)
    assert not any(line.startswith("diagnosis:") for line in lines) and len(lines) == 9

    def stub(*args, **kwargs):
        raise LearnerError("not_implemented", "attention_stages is not implemented yet")

    impl = type("Impl", (), {"attention_stages": staticmethod(stub)})
    lines = attention_divergence(lab, attention_call(ref, False), impl)
    assert lines and lines[0].startswith("(write the optional attention_stages")


def test_nan_is_located_where_the_reference_is_finite():
    lab = CHAPTER.lab("lab-02")
    logits = np.log(np.full((2, 11), 1 / 11)) + 1000.0
    bad = {
        "timestamp_logprob": np.array([np.nan, 0.0]),
        "best_text_logprob": np.zeros(2),
        "best_text_id": np.zeros(2, np.int64),
        "timestamp_wins": np.zeros(2, np.int64),
    }
    text = diagnose(lab, "timestamps", [Call("timestamp_mass", (logits, 8), {}, value=bad)])
    assert "first NaN/inf at index (0,)" in text and "largest |input| 998" in text


def test_log_mel_stages_name_the_first_stage_that_departs():
    from labs.x2_multimodal.lab02 import whisper_lab as ref

    lab = CHAPTER.lab("lab-02")
    audio = (np.random.default_rng(4).standard_normal(16_000) * 0.1).astype(np.float32)

    def symmetric_window(*args, **kwargs):
        stages = ref.log_mel_stages(*args, **kwargs)
        stages["windowed"] = stages["frames"] * np.hanning(400)  # the symmetric Hann
        return {**stages, "features": stages["features"] + 0.01}

    impl = type("Impl", (), {"log_mel_stages": staticmethod(symmetric_window)})
    calls = [Call("log_mel_spectrogram", (audio,), {"n_samples": None}, value=None)]
    from harness.grading.diagnosis import log_mel_divergence

    lines = log_mel_divergence(lab, calls, impl)
    assert lines[0] == "diagnosis: first divergence: windowed"
    assert any(line.split()[0] == "padded" and float(line.split()[1]) == 0.0 for line in lines[1:])


LOG_SCALE_0 = float(np.log(1 / 0.07))


@pytest.mark.parametrize(
    ("name", "fn", "log_scale", "head"),
    [
        ("temperature__normalised_over_columns", "scaled_cosine_logits", LOG_SCALE_0,
         "your logits equal the reference's with the norms taken over the batch axis (axis 0)"),
        ("temperature__text_rows_not_normalised", "scaled_cosine_logits", LOG_SCALE_0,
         "your logits equal the reference's with the text rows not normalised"),
        ("temperature__clamp_on_the_log", "scaled_cosine_logits", 6.0,
         "your logits equal the reference's with your logit_scale (4.60517, not 100) x cosine"),
        ("temperature__dlogscale_wrt_scale", "scaled_cosine_logits_backward", LOG_SCALE_0,
         "in your backward, d log_scale is sum(d_logits * cos): d scale, not d log_scale"),
        ("temperature__dlogscale_above_the_clamp", "scaled_cosine_logits_backward", 6.0,
         "in your backward, d log_scale is scale * sum(d_logits * cos), not 0 above the clamp"),
        ("temperature__backward_skips_norm_projection", "scaled_cosine_logits_backward",
         LOG_SCALE_0, "in your backward, d image_features is du / |x|, the projection"),
    ],
)  # fmt: skip
def test_logits_substitution_names_the_piece_a_mistake_changed(name, fn, log_scale, head):
    from harness.grading.diagnosis import logits_substitution

    lab = CHAPTER.lab("lab-01")
    mistake = module_of("lab-01", name)
    rng = np.random.default_rng(5)
    img, txt = rng.normal(size=(5, 8)) * 3, rng.normal(size=(5, 8)) * 0.1
    args = (img, txt, log_scale) + ((rng.normal(size=(5, 5)),) if fn.endswith("backward") else ())
    lines = logits_substitution(lab, calls_of(mistake, fn, args), mistake)
    assert lines and lines[0].startswith("diagnosis: " + head), lines
    assert any(line.split()[-1] == "0.00e+00" or float(line.split()[-1]) < 1e-12
               for line in lines[2:]), lines  # fmt: skip
    ref = pytest.importorskip("labs.x2_multimodal.lab01.clip_lab")
    assert logits_substitution(lab, calls_of(ref, fn, args), ref) == []
