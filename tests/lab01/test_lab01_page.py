"""Page lab-01: its shape, its one formula, and its numbers traced to bench/RESULTS-lab01.md."""

from __future__ import annotations

import math
import re

from harness.paths import REPO_ROOT

PAGE = (
    REPO_ROOT
    / "labs"
    / "x2_multimodal"
    / "pages"
    / "lab"
    / "01-clip-style-grammar-image-pairing.md"
)
RESULTS = REPO_ROOT / "bench" / "RESULTS-lab01.md"

# every measured number the page quotes, as it is written in both files
QUOTED = [
    "3,136", "0.998", "0.991", "0.997", "80.6", "23.8", "59.8",  # the 300 s run
    "0.741", "0.103", "0.008", "284.9", "100.6",  # the temperature table
    "0.878", "0.956", "0.853", "0.893",  # symmetric against one-sided
    "0.858", "0.767", "0.133", "0.610", "0.868", "0.873",  # the other ablations
]  # fmt: skip


def test_sections_end_with_a_spanish_summary():
    text = PAGE.read_text(encoding="utf-8")
    assert text.startswith("# ")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert len(headings) >= 5 and headings[-1] == "Resumen", headings


def test_the_lower_bound_at_scale_one_is_right():
    text = PAGE.read_text(encoding="utf-8")
    assert "`ln(e² + 297) − 2 ≈ 3.72`" in text
    # true text at cosine 1, the other 297 at -1: -1 + log(e^1 + 297 e^-1)
    assert round(-1 + math.log(math.e + 297 / math.e), 2) == 3.72
    assert "`4 × 4 = 16`" in text


def test_every_quoted_number_is_in_the_results_file():
    page, results = PAGE.read_text(encoding="utf-8"), RESULTS.read_text(encoding="utf-8")
    for number in QUOTED:
        assert number in page, f"{number} is no longer on the page; update QUOTED"
        assert number in results, f"the page quotes {number}, which bench/RESULTS-lab01.md lacks"
