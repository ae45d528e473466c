"""Simple horizontal bar charts as server-rendered SVG (no JavaScript, no CDN): the view
computes the geometry here, `dashboard/admin/bar_chart.html` draws it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 80
ROW_HEIGHT = 24
BAR_HEIGHT = 16
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    tone: str
    y: int
    width: float

    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def bar_y(self) -> int:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) // 2

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT // 2 + 4

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8

    @property
    def text_x(self) -> float:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT


def bar_chart(
    title: str,
    rows: Iterable[tuple[str, float | int | None, str]],
    *,
    percent: bool = False,
) -> BarChart:
    """`rows` of (label, value, tone); `tone` names a CSS class (ok, warn, bad, info).
    Bars are scaled to the largest value; with `percent` the values are rates from 0 to 1,
    drawn on a 0–100 % scale (None: no bar, shown as "–")."""
    rows = list(rows)
    top = 1.0 if percent else float(max((v or 0 for _, v, _ in rows), default=0))
    bars = []
    for i, (label, value, tone) in enumerate(rows):
        width = BAR_AREA * float(value) / top if value and top else 0.0
        if value is None:
            text = "–"
        elif percent:
            text = f"{float(value) * 100:.1f} %"
        else:
            text = f"{int(value):,}"
        bars.append(
            Bar(label=str(label) or "(none)", text=text, tone=tone, y=i * ROW_HEIGHT, width=round(width, 1))
        )
    return BarChart(title=title, bars=bars)
