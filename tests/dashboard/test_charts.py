"""The dashboard's hand-drawn SVG charts: well-formed, labelled, escaped, stable, to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness.cohort import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("top", "want"),
    [(0, [0, 1]), (4, [0, 1, 2, 3, 4]), (5, [0, 1, 2, 3, 4, 5]), (37, [0, 10, 20, 30, 40]),
     (1000, [0, 200, 400, 600, 800, 1000])],
)  # fmt: skip
def test_ticks_are_round_and_reach_the_top(top, want):
    assert charts.ticks(top) == want


def test_stacked_bars_are_to_scale_and_say_their_counts():
    svg = charts.progress_chart(["theory-00", "lab-00"], [(3, 1, 0), (1, 1, 2)], "progress")
    root = parse(svg)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "theory-00: 3 done" in titles and "lab-00: 2 locked" in titles
    widths = {
        r.find(f"{SVG}title").text: float(r.get("width"))
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    }
    assert widths["theory-00: 3 done"] == pytest.approx(3 * widths["lab-00: 1 done"], rel=1e-2)
    assert {"done", "open", "locked", "learners", "theory-00"} <= set(texts(root))


def test_labels_are_escaped_and_output_is_stable():
    args = (["<b>&"], [2], [1], 'tasks "quoted" <chart>')
    svg = charts.tasks_chart(*args)
    root = parse(svg)  # would raise on an unescaped label
    assert root.get("aria-label") == 'tasks "quoted" <chart>'
    assert "<b>&" in texts(root)
    assert charts.tasks_chart(*args) == svg


def test_histogram_puts_each_score_in_its_bin_and_marks_the_pass_mark():
    root = parse(charts.score_histogram([0.55, 0.85, 1.0, 0.8], 0.8, "scores"))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "50–60%: 1 below" in titles
    assert "80–90%: 2 pass" in titles  # 0.85 and exactly the pass mark
    assert "90–100%: 1 pass" in titles  # 100% falls in the last bin
    assert "pass mark 80%" in texts(root)


def test_scatter_marks_flagged_items_apart_and_heatmap_counts_every_cell():
    root = parse(charts.items_scatter([0.5, 1.0], [0.4, -0.3], [False, True], "items"))
    assert len(list(root.iter(f"{SVG}circle"))) == 1
    assert len(list(root.iter(f"{SVG}path"))) == 1
    assert "flagged" in texts(root)
    heat = parse(charts.outcome_heatmap(["vit", "clip"], [[0, 3], [1, 2]], ["a", "b"], "m", "x"))
    assert [t for t in texts(heat) if t.isdigit()] == ["0", "3", "1", "2"]
