"""Page theory-01 recomputed: every calculation the page writes as `a × b = c` is evaluated here.

A calculation is an inline-code span made only of numbers, operators (× · / + - − ², ln,
parentheses) and `=` or `≈`. `=` must hold exactly; `≈` must hold to the last stated digit.
"""

import math
import re
from pathlib import Path

import pytest

PAGE = (
    Path(__file__).resolve().parents[1]
    / "labs/x2_multimodal/pages/theory/01-vision-transformers.md"
)
TEXT = PAGE.read_text(encoding="utf-8")
PROSE = " ".join(TEXT.split())  # line breaks fall anywhere in prose

NUMBER = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?"
ARITHMETIC = re.compile(rf"^(?:\s|{NUMBER}|[×·/+\-−²()]|ln)+$")


def to_python(side: str) -> str:
    side = re.sub(NUMBER, lambda m: m.group().replace(",", ""), side)
    side = re.sub(r"ln\s*(\d+(?:\.\d+)?)", r"math.log(\1)", side)
    for mark, op in (("×", "*"), ("·", "*"), ("−", "-"), ("²", "**2")):
        side = side.replace(mark, op)
    return side


def decimals(stated: str) -> int:
    return len(stated.split(".")[1]) if "." in stated else 0


def calculations() -> list[str]:
    spans = re.findall(r"`([^`]+)`", TEXT)
    return [
        s
        for s in spans
        if re.search("[=≈]", s) and all(ARITHMETIC.match(p.strip()) for p in re.split("[=≈]", s))
    ]


CALCULATIONS = calculations()


def test_the_page_states_its_calculations_in_the_checked_form():
    # Guards the parser as much as the page: if this drops, calculations stopped matching.
    assert len(CALCULATIONS) >= 30, CALCULATIONS
    for must in [
        "224 / 16 = 14",
        "14 × 14 = 196",
        "16 × 16 × 3 = 768",
        "196 + 1 = 197",
        "336 / 14 = 24",
        "24 × 24 = 576",
        "576 + 1 = 577",
    ]:
        assert must in CALCULATIONS, f"page no longer states `{must}`"


@pytest.mark.parametrize("calc", CALCULATIONS)
def test_calculation_holds(calc):
    sides = [s.strip() for s in re.split("([=≈])", calc)]
    values = [eval(to_python(s), {"math": math}) for s in sides[::2]]  # noqa: S307 (digits only)
    pairs = zip(values[:-1], values[1:], sides[1::2], sides[2::2], strict=True)
    for left, right, sign, stated in pairs:
        if sign == "=":
            assert math.isclose(left, right, rel_tol=0, abs_tol=1e-9), (
                f"`{calc}`: left side is {left}, page says {right}"
            )
        else:
            tol = 0.5 * 10 ** -decimals(stated)
            assert abs(left - right) <= tol, (
                f"`{calc}`: left side is {left:.6g}, page says {stated}"
            )


def vit_params(
    layers: int,
    width: int,
    mlp: int,
    patch: int = 16,
    image: int = 224,
    channels: int = 3,
    classes: int = 1000,
) -> int:
    """ViT parameter count written as a plain sum of each layer's weights and biases."""
    tokens = (image // patch) ** 2 + 1
    total = patch * patch * channels * width + width  # patch embedding
    total += width + tokens * width  # [class] token, positions
    for _ in range(layers):
        total += 2 * width  # LayerNorm before attention
        total += width * 3 * width + 3 * width  # query, key, value
        total += width * width + width  # attention output
        total += 2 * width  # LayerNorm before the MLP
        total += width * mlp + mlp + mlp * width + width  # MLP
    return total + 2 * width + width * classes + classes  # final LayerNorm, head


def table_rows() -> dict[str, list[str]]:
    rows = re.findall(r"^\| (ViT-\w+) \| (.+) \|$", TEXT, flags=re.M)
    return {name: [c.strip() for c in rest.split("|")] for name, rest in rows}


def test_vit_table_is_consistent():
    rows = table_rows()
    assert set(rows) == {"ViT-Base", "ViT-Large", "ViT-Huge"}
    for name, (_, width, mlp, heads, _) in rows.items():
        assert int(mlp) == 4 * int(width), f"{name}: MLP {mlp} is not 4 × width {width}"
        assert int(width) % int(heads) == 0, f"{name}: width {width} not divisible by {heads}"
    layers, width, mlp, _, params = rows["ViT-Base"]
    with_head = vit_params(int(layers), int(width), int(mlp))
    backbone = vit_params(int(layers), int(width), int(mlp), classes=0)
    for count in (with_head, backbone):
        assert f"{count:,}" in TEXT, f"page should state ViT-B/16's exact count {count:,}"
    assert round(backbone / 1e6) == int(params.rstrip("M")), f"{backbone:,} is not {params}"


def test_the_numbers_in_prose_match_the_arithmetic():
    tokens = (224 // 16) ** 2
    assert f"prepended to the {tokens} patch embeddings" in PROSE
    assert f"from (224, 224, 3) to ({tokens}, {16 * 16 * 3})" in PROSE  # the reshape
    assert f"a ({tokens + 1}, D) table" in PROSE  # the position table
    assert f"contrasted with `{32768:,} - 1 = {32768 - 1:,}` wrong captions" in PROSE
    side_224, side_384 = 224 // 16, 384 // 16
    assert f"from a {side_224} × {side_224} grid to a {side_384} × {side_384} grid" in PROSE
    assert f"`2 × 768 × 3072 = {2 * 768 * 3072:,}` of the block's 7.1M" in PROSE
    assert round(7_087_872 / 1e6, 1) == 7.1
    # Halving the patch multiplies the attention matrix "by about sixteen".
    assert ((224 // 8) ** 2 + 1) ** 2 / ((224 // 16) ** 2 + 1) ** 2 == pytest.approx(16, rel=0.05)
    assert "by about sixteen" in PROSE


def test_sections_have_level_two_headings_and_end_in_a_spanish_summary():
    headings = re.findall(r"^## (.+)$", TEXT, flags=re.M)
    assert len(headings) >= 6
    assert headings[-1] == "Resumen"
    summary = TEXT.split("## Resumen", 1)[1]
    assert "parches" in summary and "196" in summary
