"""The dashboard's charts, written as inline SVG at build time.

Each function returns an `<svg>` element (no XML prolog) carrying `role="img"` and an
`aria-label`; the page puts it in a `<figure>` whose caption and neighbouring table are the
text alternative. The five chart kinds the page needs (stacked and overlaid bars, a histogram,
a scatter, a heatmap) are a few rectangles, lines and labels each, so they are drawn here
directly: no plotting library is imported (matplotlib cost ~0.5 s to import and ~0.3 s to
draw, a third of the dashboard's time budget), the same cohort gives the same bytes, and text
stays text, searchable and small.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
DONE, OPEN, LOCKED, STUCK, BLUE = "#009E73", "#E69F00", "#BBBBBB", "#D55E00", "#0072B2"

WIDTH = 700
RIGHT = WIDTH - 24  # room for the last tick label
FONT = 11
CHAR_W = 6.2  # a sans-serif character at FONT px, for margins from label lengths
ROW = 22  # one bar's row in the horizontal bar charts
TOP_LEGEND = 24
BOTTOM_AXIS = 38


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(x: float) -> str:
    """Coordinates with one decimal and no trailing zeros: short and stable."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _svg(width: float, height: float, label: str, parts: Iterable[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(label)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'font-family="sans-serif" font-size="{FONT}">' + "".join(parts) + "</svg>"
    )


def _rect(x, y, w, h, fill, title: str = "", stroke: str = "") -> str:
    tip = f"<title>{_esc(title)}</title>" if title else ""
    edge = f' stroke="{stroke}"' if stroke else ""
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}" '
        f'fill="{fill}"{edge}>{tip}</rect>'
    )


def _line(x1, y1, x2, y2, stroke="#000", width=1.0, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="{width}"{extra}/>'
    )


def _text(x, y, text, anchor="start", fill="#000", baseline="middle") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="{baseline}" '
        f'fill="{fill}">{_esc(text)}</text>'
    )


def ticks(top: float, *, integer: bool = True, most: int = 6) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2 or 5 times a power of ten."""
    top = max(top, 1 if integer else 1e-9)
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, round(step))
    count = math.ceil(top / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _legend(right: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    """Swatches and names in one row ending at `right`, above the plot."""
    parts, x = [], right
    for name, colour in reversed(entries):
        x -= len(name) * CHAR_W
        parts.append(_text(x, TOP_LEGEND / 2, name))
        x -= 16
        parts.append(_rect(x, TOP_LEGEND / 2 - 5, 11, 10, colour))
        x -= 14
    return parts


def _left_margin(labels: Sequence[str]) -> float:
    longest = max((len(str(t)) for t in labels), default=4)
    return min(WIDTH * 0.45, 12 + CHAR_W * longest)


def _x_axis(left, right, bottom, values: Sequence[float], scale, name: str, fmt=str) -> list[str]:
    parts = [_line(left, bottom, right, bottom)]
    for v in values:
        x = scale(v)
        parts += [_line(x, bottom, x, bottom + 4), _text(x, bottom + 12, fmt(v), "middle")]
    parts.append(_text((left + right) / 2, bottom + 28, name, "middle"))
    return parts


def _hbars(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    label: str,
    *,
    stacked: bool,
) -> str:
    """Horizontal bars, one row per label; series stacked, or drawn over each other."""
    left = _left_margin(labels)
    right = RIGHT
    height = TOP_LEGEND + ROW * len(labels) + BOTTOM_AXIS
    bottom = TOP_LEGEND + ROW * len(labels)
    totals = [
        sum(s[2][i] for s in series) if stacked else max(s[2][i] for s in series)
        for i in range(len(labels))
    ]
    xs = ticks(max(totals, default=0))
    span = xs[-1] or 1

    def scale(v: float) -> float:
        return left + (right - left) * v / span

    middle = TOP_LEGEND + ROW / 2
    parts = [_text(left - 6, middle + ROW * i, t, "end") for i, t in enumerate(labels)]
    for i in range(len(labels)):
        y = TOP_LEGEND + ROW * i + 3
        start = 0
        for name, colour, values in series:
            v = values[i]
            x0 = scale(start if stacked else 0)
            parts.append(_rect(x0, y, scale(start + v if stacked else v) - x0, ROW - 6, colour,
                               f"{labels[i]}: {v} {name}"))  # fmt: skip
            if stacked:
                start += v
    parts += _x_axis(left, right, bottom, xs, scale, "learners", lambda v: f"{v:g}")
    parts.append(_line(left, TOP_LEGEND, left, bottom))
    parts += _legend(right, [(name, colour) for name, colour, _ in series])
    return _svg(WIDTH, height, label, parts)


def progress_chart(items: Sequence[str], counts: Sequence[tuple[int, int, int]], label: str) -> str:
    """Stacked bars per read-order item: learners done, unlocked (open), locked."""
    series = [
        (name, colour, [c[k] for c in counts])
        for k, (name, colour) in enumerate((("done", DONE), ("open", OPEN), ("locked", LOCKED)))
    ]
    return _hbars(items, series, label, stacked=True)


def tasks_chart(tasks: Sequence[str], tried: Sequence[int], passing: Sequence[int], label: str):
    """Per task: learners who tried it, and among them those whose latest result passes."""
    series = [("tried, not passing now", STUCK, tried), ("passing now", DONE, passing)]
    return _hbars(tasks, series, label, stacked=False)


def _percent(v: float) -> str:
    return f"{v:.0%}"


def score_histogram(scores: Sequence[float], pass_mark: float, label: str) -> str:
    """Best quiz score per learner, in 10-point bins, with the pass mark as a line."""
    left, right, top, bottom = 48, RIGHT, TOP_LEGEND + 16, TOP_LEGEND + 166
    bins = [[0, 0] for _ in range(10)]  # [below, pass] per bin; 100% falls in the last bin
    for s in scores:
        bins[min(9, max(0, int(s * 10 + 1e-9)))][s >= pass_mark] += 1
    ys = ticks(max((a + b for a, b in bins), default=0))

    def sx(v: float) -> float:
        return left + (right - left) * v

    def sy(v: float) -> float:
        return bottom - (bottom - top) * v / (ys[-1] or 1)

    parts = []
    for v in ys:
        parts += [_line(left - 4, sy(v), left, sy(v)), _text(left - 6, sy(v), f"{v:g}", "end")]
    for k, (below, above) in enumerate(bins):
        x, w = sx(k / 10) + 1, (right - left) / 10 - 2
        span = f"{k * 10}–{k * 10 + 10}%"
        parts.append(_rect(x, sy(below), w, bottom - sy(below), STUCK, f"{span}: {below} below"))
        parts.append(_rect(x, sy(below + above), w, sy(below) - sy(below + above), DONE,
                           f"{span}: {above} pass"))  # fmt: skip
    mark = sx(pass_mark)
    parts.append(_line(mark, top, mark, bottom, dash="5,3"))
    parts.append(_text(mark, top - 8, f"pass mark {pass_mark:.0%}", "middle"))
    parts += _x_axis(left, right, bottom, [i / 10 for i in range(0, 11, 2)], sx, "best score",
                     _percent)  # fmt: skip
    parts.append(_line(left, top, left, bottom))
    parts.append(
        f'<text transform="translate(12 {_n((top + bottom) / 2)}) rotate(-90)" '
        f'text-anchor="middle">learners</text>'
    )
    parts += _legend(right, [("below", STUCK), ("pass", DONE)])
    return _svg(WIDTH, bottom + BOTTOM_AXIS, label, parts)


def items_scatter(
    difficulty: Sequence[float],
    discrimination: Sequence[float],
    flagged: Sequence[bool],
    label: str,
) -> str:
    """Each question with statistics: proportion correct against discrimination."""
    left, right, top, bottom = 56, RIGHT, TOP_LEGEND, TOP_LEGEND + 170
    low = min([-0.2, *discrimination])
    high = max([0.6, *discrimination])
    step = ticks(high - low, integer=False, most=5)[1]
    ys = [step * k for k in range(math.floor(low / step), math.ceil(high / step) + 1)]

    def sx(v: float) -> float:
        return left + (right - left) * (v + 0.02) / 1.04

    def sy(v: float) -> float:
        return bottom - (bottom - top) * (v - ys[0]) / ((ys[-1] - ys[0]) or 1)

    parts = []
    for v in ys:
        parts += [_line(left - 4, sy(v), left, sy(v)), _text(left - 6, sy(v), f"{v:.1f}", "end")]
    parts.append(_line(left, sy(0), right, sy(0), width=0.8))
    for d, r, bad in zip(difficulty, discrimination, flagged, strict=True):
        x, y = sx(d), sy(r)
        tip = f"<title>{d:.0%} correct, discrimination {r:.2f}</title>"
        if bad:
            parts.append(
                f'<path d="M{_n(x - 4)} {_n(y - 4)}L{_n(x + 4)} {_n(y + 4)}M{_n(x - 4)} '
                f'{_n(y + 4)}L{_n(x + 4)} {_n(y - 4)}" stroke="{STUCK}" stroke-width="2.5">'
                f"{tip}</path>"
            )
        else:
            parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{BLUE}">{tip}</circle>')
    parts += _x_axis(left, right, bottom, [i / 5 for i in range(6)], sx,
                     "difficulty (proportion correct)", _percent)  # fmt: skip
    parts.append(_line(left, top, left, bottom))
    parts.append(
        f'<text transform="translate(12 {_n((top + bottom) / 2)}) rotate(-90)" '
        f'text-anchor="middle">discrimination</text>'
    )
    if any(flagged):
        parts += _legend(right, [("flagged", STUCK)])
    return _svg(WIDTH, bottom + BOTTOM_AXIS, label, parts)


def _blue(fraction: float) -> str:
    """White to a dark blue, for heatmap cells."""
    light, dark = (247, 251, 255), (8, 48, 107)
    rgb = (round(a + (b - a) * fraction) for a, b in zip(light, dark, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def outcome_heatmap(
    outcomes: Sequence[str],
    counts: Sequence[Sequence[int]],
    columns: Sequence[str],
    label: str,
    xlabel: str = "",
) -> str:
    """Learners per column (a verdict, a band), one row per learning outcome."""
    left = _left_margin(outcomes)
    right, top = RIGHT, 8
    bottom = top + ROW * len(outcomes)
    cell = (right - left) / max(1, len(columns))
    most = max((max(row) for row in counts if row), default=0)
    parts = []
    for y, (name, row) in enumerate(zip(outcomes, counts, strict=True)):
        cy = top + ROW * y
        parts.append(_text(left - 6, cy + ROW / 2, name, "end"))
        for x, n in enumerate(row):
            share = n / most if most else 0.0
            parts.append(_rect(left + cell * x, cy, cell, ROW, _blue(share),
                               f"{name}, {columns[x]}: {n}", stroke="#fff"))  # fmt: skip
            ink = "#fff" if most and n > most / 2 else "#000"
            parts.append(_text(left + cell * (x + 0.5), cy + ROW / 2, n, "middle", ink))
    for x, name in enumerate(columns):
        parts.append(_text(left + cell * (x + 0.5), bottom + 12, name, "middle"))
    if xlabel:
        parts.append(_text((left + right) / 2, bottom + 28, xlabel, "middle"))
    return _svg(WIDTH, bottom + BOTTOM_AXIS, label, parts)
