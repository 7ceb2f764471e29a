"""Pages theory-02 and lab-02: every `a × b = c` recomputed; Whisper's numbers checked on code."""

import math
import re
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[2] / "labs" / "x2_multimodal" / "pages"
THEORY = PAGES / "theory" / "02-audio-models.md"
LAB = PAGES / "lab" / "02-whisper-inference-walkthrough.md"

NUMBER = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?"
ARITHMETIC = re.compile(rf"^(?:\s|{NUMBER}|[×·/+\-−()])+$")


def to_python(side: str) -> str:
    side = re.sub(NUMBER, lambda m: m.group().replace(",", ""), side)
    for mark, op in (("×", "*"), ("·", "*"), ("−", "-")):
        side = side.replace(mark, op)
    return side


def calculations(text: str) -> list[str]:
    spans = re.findall(r"`([^`]+)`", text)
    return [
        s
        for s in spans
        if re.search("[=≈]", s) and all(ARITHMETIC.match(p.strip()) for p in re.split("[=≈]", s))
    ]


def _check(calc: str) -> None:
    approx = "≈" in calc
    sides = [p.strip() for p in re.split("[=≈]", calc)]
    stated = sides[-1]
    digits = len(stated.split(".")[1]) if "." in stated else 0
    for side in sides[:-1]:
        value = eval(to_python(side))  # noqa: S307 - digits and operators only (ARITHMETIC)
        target = float(to_python(stated))
        if approx:
            assert round(value, digits) == pytest.approx(target), calc
        else:
            assert math.isclose(value, target, rel_tol=1e-12), calc


@pytest.mark.parametrize("page", [THEORY, LAB], ids=["theory-02", "lab-02"])
def test_every_calculation_holds(page):
    found = calculations(page.read_text(encoding="utf-8"))
    assert len(found) >= 8, found
    for calc in found:
        _check(calc)


@pytest.mark.parametrize("page", [THEORY, LAB], ids=["theory-02", "lab-02"])
def test_sections_end_with_a_spanish_summary(page):
    headings = re.findall(r"^## (.+)$", page.read_text(encoding="utf-8"), re.M)
    assert len(headings) >= 5 and headings[-1] == "Resumen"


def test_stated_numbers_match_the_code():
    from labs.x2_multimodal.lab02.audio import frame_arithmetic

    fa = frame_arithmetic()
    theory = THEORY.read_text(encoding="utf-8")
    lab = LAB.read_text(encoding="utf-8")
    for page in (theory, lab):
        for claim in (
            f"16,000 × 30 = {fa['n_samples']:,}",
            f"16,000 × 0.025 = {fa['n_fft']}",
            f"16,000 × 0.01 = {fa['hop_length']}",
            f"480,000 / 160 = {fa['n_frames']:,}",
        ):
            assert claim in page, claim
    assert f"3,000 / 2 = {fa['encoder_positions']:,}" in theory
    assert f"30 / 1,500 = {fa['seconds_per_position']:g}" in theory
    assert f"1,500 + 1 = {fa['n_timestamp_tokens']:,}" in theory


def test_model_numbers_match_the_real_model(bundle):
    theory = THEORY.read_text(encoding="utf-8")
    lab = LAB.read_text(encoding="utf-8")
    cfg = bundle.model.config
    n_params = sum(p.numel() for p in bundle.model.parameters())
    learned = sum(p.numel() for p in bundle.model.parameters() if p.requires_grad)
    frozen = bundle.model.model.encoder.embed_positions.weight
    assert not frozen.requires_grad and frozen.numel() == n_params - learned
    prose = " ".join(theory.split())
    assert f"{n_params:,} parameters for it" in prose
    assert f"{learned:,} are learned" in prose and f"but {frozen.numel():,} of them" in prose
    assert f"a decoder context of {cfg.max_target_positions} tokens" in prose
    # the timestamps are the vocabulary's last 1,501 ids: the first is the page's offset
    assert f"id {cfg.vocab_size - 1_501:,} in the English-only models" in prose
    assert f"= {cfg.vocab_size:,}` ids" in theory
    assert (
        f"width {cfg.d_model}, {cfg.encoder_layers} encoder and {cfg.decoder_layers} "
        f"decoder layers, {cfg.encoder_attention_heads} heads" in theory
    )
    assert f"`4 × 384 = {cfg.encoder_ffn_dim:,}`" in theory
    assert f"the {len(bundle.alignment_heads)} alignment heads" in lab
    from labs.x2_multimodal.lab02 import ct2, whisper_model

    header = ct2.read_ct2(whisper_model.model_dir() / "model.bin")
    assert (
        f"binary\nversion {header.binary_version}, spec name `{header.spec}`, revision "
        f"{header.revision}), then {len(header.variables)} named variables"
    ) in lab
