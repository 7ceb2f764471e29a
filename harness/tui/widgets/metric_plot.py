"""A live plot of training metrics: one labelled sparkline per series (loss, accuracy)."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Sparkline


class MetricPlot(Widget):
    """Sparklines that grow as `add()` is called; the label shows first, last and best."""

    DEFAULT_CSS = """
    MetricPlot {
        height: auto;
    }
    MetricPlot > Vertical {
        height: auto;
    }
    MetricPlot Label {
        width: 1fr;
        color: $text-muted;
    }
    MetricPlot Sparkline {
        height: 3;
        margin-bottom: 1;
    }
    """

    def __init__(
        self, series: dict[str, str], *, max_points: int = 400, **widget_options: str | None
    ) -> None:
        """`series` maps a metric key (e.g. 'loss') to its label (e.g. 'loss ↓');
        `widget_options` are Widget's own (id, classes, name)."""
        super().__init__(**widget_options)
        self.series = series
        self.max_points = max_points
        self.values: dict[str, list[float]] = {key: [] for key in series}

    def compose(self) -> ComposeResult:
        for key, title in self.series.items():
            with Vertical():
                yield Label(f"{title}: no data yet", id=f"{key}-label")
                yield Sparkline([], id=f"{key}-spark")

    def reset(self) -> None:
        for key, title in self.series.items():
            self.values[key] = []
            self.query_one(f"#{key}-spark", Sparkline).data = []
            self.query_one(f"#{key}-label", Label).update(f"{title}: no data yet")

    def add(self, key: str, value: float | None) -> None:
        if key not in self.series or value is None or not math.isfinite(value):
            return
        values = self.values[key]
        values.append(float(value))
        if len(values) > self.max_points:  # a window over the latest points
            del values[: len(values) - self.max_points]
        self.query_one(f"#{key}-spark", Sparkline).data = list(values)
        self.query_one(f"#{key}-label", Label).update(
            f"{self.series[key]}: {values[-1]:.4g}  (first {values[0]:.4g}, "
            f"min {min(values):.4g}, max {max(values):.4g}, {len(values)} points)"
        )
