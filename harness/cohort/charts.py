"""The dashboard's charts, drawn at build time with matplotlib and returned as inline SVG.

Each function returns an `<svg>` element (no XML prolog) carrying `role="img"` and an
`aria-label`; the page puts it in a `<figure>` whose caption and neighbouring table are the
text alternative. Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so
no GUI backend is touched and nothing global changes. Text stays text (`svg.fonttype: none`),
which keeps the files small and the labels searchable.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
DONE, OPEN, LOCKED, STUCK, BLUE = "#009E73", "#E69F00", "#BBBBBB", "#D55E00", "#0072B2"

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "x2-dashboard",  # stable ids: the same cohort gives the same file
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(fig: Figure, label: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text.replace(
        "<svg ", f'<svg role="img" aria-label="{html.escape(label, quote=True)}" ', 1
    )


def _figure(width: float, height: float, labels: Sequence[str] = (), *, legend=True) -> Figure:
    """Margins set by hand from the longest y label: a layout engine would cost a second
    drawing pass, half the time of a chart."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(width, height))
    longest = max((len(str(t)) for t in labels), default=4)
    fig.subplots_adjust(
        left=min(0.45, (0.45 + 0.068 * longest) / width),
        right=1 - 0.3 / width,
        bottom=0.5 / height,
        top=1 - (0.35 if legend else 0.1) / height,
    )
    return fig


def progress_chart(items: Sequence[str], counts: Sequence[tuple[int, int, int]], label: str) -> str:
    """Stacked bars per read-order item: learners done, unlocked (open), locked."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 0.3 * len(items) + 0.9, items)
        ax = fig.add_subplot()
        ys = range(len(items))
        left = [0] * len(items)
        for k, (name, colour) in enumerate((("done", DONE), ("open", OPEN), ("locked", LOCKED))):
            values = [c[k] for c in counts]
            ax.barh(ys, values, left=left, color=colour, label=name, height=0.7)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(list(ys), list(items))
        ax.invert_yaxis()
        ax.set_xlabel("learners")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(ncols=3, loc="lower right", bbox_to_anchor=(1, 1), frameon=False)
        return _svg(fig, label)


def tasks_chart(tasks: Sequence[str], tried: Sequence[int], passing: Sequence[int], label: str):
    """Per task: learners who tried it, and among them those whose latest result passes."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 0.25 * len(tasks) + 0.9, tasks)
        ax = fig.add_subplot()
        ys = range(len(tasks))
        ax.barh(ys, tried, color=STUCK, height=0.7, label="tried, not passing now")
        ax.barh(ys, passing, color=DONE, height=0.7, label="passing now")
        ax.set_yticks(list(ys), list(tasks))
        ax.invert_yaxis()
        ax.set_xlabel("learners")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(ncols=2, loc="lower right", bbox_to_anchor=(1, 1), frameon=False)
        return _svg(fig, label)


def score_histogram(scores: Sequence[float], pass_mark: float, label: str) -> str:
    """Best quiz score per learner, in 10-point bins, with the pass mark as a line."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 2.4, ["100"], legend=False)
        ax = fig.add_subplot()
        bins = [i / 10 for i in range(11)]
        below = [s for s in scores if s < pass_mark]
        above = [s for s in scores if s >= pass_mark]
        ax.hist(
            [below, above], bins=bins, stacked=True, color=[STUCK, DONE], label=["below", "pass"]
        )
        ax.axvline(pass_mark, color="black", linestyle="--", linewidth=1)
        ax.annotate(
            f"pass mark {pass_mark:.0%}",
            (pass_mark, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-4, -2),
            textcoords="offset points",
            ha="right",
            va="top",
        )
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("best score")
        ax.set_ylabel("learners")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", frameon=False)
        return _svg(fig, label)


def items_scatter(
    difficulty: Sequence[float],
    discrimination: Sequence[float],
    flagged: Sequence[bool],
    label: str,
) -> str:
    """Each question with statistics: proportion correct against discrimination."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 2.8, ["-0.00"], legend=False)
        ax = fig.add_subplot()
        ok = [i for i, f in enumerate(flagged) if not f]
        bad = [i for i, f in enumerate(flagged) if f]
        ax.scatter([difficulty[i] for i in ok], [discrimination[i] for i in ok], color=BLUE, s=18)
        ax.scatter(
            [difficulty[i] for i in bad],
            [discrimination[i] for i in bad],
            color=STUCK,
            marker="X",
            s=40,
            label="flagged",
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlim(-0.02, 1.02)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("difficulty (proportion correct)")
        ax.set_ylabel("discrimination")
        if bad:
            ax.legend(loc="lower left", frameon=False)
        return _svg(fig, label)


def outcome_heatmap(
    outcomes: Sequence[str],
    counts: Sequence[Sequence[int]],
    columns: Sequence[str],
    label: str,
    xlabel: str = "",
) -> str:
    """Learners per column (a verdict, a band), one row per learning outcome."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 0.33 * len(outcomes) + 0.9, outcomes, legend=False)
        ax = fig.add_subplot()
        ax.imshow(counts, cmap="Blues", aspect="auto")
        top = max((max(row) for row in counts if row), default=0)
        for y, row in enumerate(counts):
            for x, n in enumerate(row):
                ax.text(
                    x, y, str(n), ha="center", va="center",
                    color="white" if top and n > top / 2 else "black",
                )  # fmt: skip
        ax.set_xticks(range(len(columns)), list(columns))
        ax.set_yticks(range(len(outcomes)), list(outcomes))
        ax.set_xlabel(xlabel)
        ax.spines[:].set_visible(False)
        return _svg(fig, label)
