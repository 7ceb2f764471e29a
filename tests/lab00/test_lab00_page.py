"""Page lab-00: its computable numbers recomputed, its measured numbers traced to the bench."""

from __future__ import annotations

import re

import numpy as np

from harness.paths import REPO_ROOT
from labs.x2_multimodal.lab00 import nn, tiny_vit, vit

PAGE = REPO_ROOT / "labs" / "x2_multimodal" / "pages" / "lab" / "00-tiny-vit-on-grammar-icons.md"
RESULTS = REPO_ROOT / "bench" / "RESULTS-lab00.md"

# every measured number the page quotes, as it is written in both files
QUOTED = [
    "99.55%", "99.65%", "99.95%", "6.2 s", "10.8 s", "10.1 s", "22.0 s", "15.0 s", "24.7 s",
    "48.9 ms", "46.9 ms", "1.05", "1.03", "61%", "88%", "29.5 s", "4.8 s", "2,000",
]  # fmt: skip


def test_sections_end_with_a_spanish_summary():
    text = PAGE.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[-1] == "Resumen", headings


def test_every_quoted_number_is_in_the_results_file():
    page, results = PAGE.read_text(encoding="utf-8"), RESULTS.read_text(encoding="utf-8")
    for number in QUOTED:
        assert number in page, f"{number} is no longer on the page; update QUOTED"
        assert number in results, f"the page quotes {number}, which bench/RESULTS-lab00.md lacks"


def test_patch_arithmetic_on_the_page():
    text = PAGE.read_text(encoding="utf-8")
    assert "196 tokens of 768" in text and "16 tokens of 64 pixels" in text
    assert nn.patchify(np.zeros((224, 224, 3)), 16).shape == (196, 768)
    assert nn.patchify(np.zeros((32, 32, 1)), 8).shape == (16, 64)
    assert "8 × 8 = 64 tokens of 16 pixels" in text
    assert nn.patchify(np.zeros((32, 32, 1)), 4).shape == (64, 16)
    # P = 4 has 4x the tokens: 4x the per-token work, 4^2 = 16x the (N, N) attention scores
    assert "four times the work" in text and "sixteen times the work in attention" in text
    assert (64 / 16, (64 / 16) ** 2) == (4.0, 16.0)
    assert '"bipjqc->bijpqc"' in text
    grid = np.arange(4 * 4 * 3).reshape(1, 2, 2, 2, 2, 3)  # (B, H/P, P, W/P, P, C)
    tiles = np.einsum("bipjqc->bijpqc", grid).reshape(1, 4, 12)
    assert np.array_equal(tiles, nn.patchify(grid.reshape(1, 4, 4, 3), 2))


def test_the_recipe_on_the_page_is_the_reference_default():
    text = PAGE.read_text(encoding="utf-8")
    assert "width 64, 4 blocks, 4 heads, MLP width 128, batches of 64" in text
    assert "learning rate 2e-3 with 20 warmup steps" in text
    cfg, tcfg, _ = tiny_vit.make_configs({})
    assert (cfg.dim, cfg.depth, cfg.n_heads, cfg.dim * cfg.mlp_ratio) == (64, 4, 4, 128)
    assert (tcfg.batch_size, tcfg.lr, tcfg.warmup_steps) == (64, 2e-3, 20)
    assert cfg.pool == "mean" and cfg.patch == 8
    assert "(x − 0.2) / 0.33" in text
    assert (vit.ViTConfig.pixel_mean, vit.ViTConfig.pixel_std) == (0.2, 0.33)
    assert "−10⁹" in text and nn.MASKED_SCORE == -1e9
