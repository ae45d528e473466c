"""Charts as server-rendered SVG (no JavaScript, no CDN, no inline style: the CSP allows
none of them to matter): the view computes the geometry here, in plain numbers and
dataclasses; Django templates draw it, so every label (client and item names are user
text) goes through the template's autoescaping.

- `bar_chart`: horizontal bars, one per row (`dashboard/admin/bar_chart.html`).
- `series_chart`: columns and/or lines over a row of categories (weeks, defect types), a left
  y axis with round ticks, an optional right axis for rates (0–100 %), x labels every N
  categories, a legend (`dashboard/admin/series_chart.html`). The time series and the Pareto
  chart are both drawn with it.
- `DataTable`: the same figures as text, for a table under the picture (visually hidden, so
  a screen reader, a text browser or a copy-paste reads the numbers).

Colours come from `admin.css` through class names made of a tone (`TONES`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

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
class DataTable:
    """The figures of a chart as text: a caption, column headers, rows of strings."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class LegendEntry:
    text: str
    tone: str
    kind: str  # "column" (a square swatch) or "line" (a short line with a dot)
    x: float
    y: int

    @property
    def swatch_y(self) -> int:
        return self.y - 9

    @property
    def line_y(self) -> int:
        return self.y - 4

    @property
    def line_end(self) -> float:
        return self.x + 16

    @property
    def dot_x(self) -> float:
        return self.x + 8

    @property
    def text_x(self) -> float:
        return self.x + 20


LEGEND_HEIGHT = 22
CHAR_WIDTH = 6.5  # an average glyph at the charts' 12 px font (legends), for layout estimates
TICK_CHAR_WIDTH = 5.8  # the same at the 11 px of the axis labels


def _legend(entries: Sequence[tuple[str, str, str]], x: float, y: int) -> tuple[LegendEntry, ...]:
    """(text, tone, kind) entries in one row from x, baseline y."""
    out = []
    for text, tone, kind in entries:
        out.append(LegendEntry(text=text, tone=tone, kind=kind, x=round(x, 1), y=y))
        x += 20 + len(text) * CHAR_WIDTH + 16
    return tuple(out)


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH
    summary: str = ""  # the chart in words (the SVG's <desc>)
    legend: tuple[LegendEntry, ...] = ()
    table: DataTable | None = None
    empty_text: str = "No data"

    @property
    def bars_height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT

    @property
    def height(self) -> int:
        return self.bars_height + (LEGEND_HEIGHT + 4 if self.legend else 0)


def bar_chart(
    title: str,
    rows: Iterable[tuple[str, float | int | None, str]],
    *,
    percent: bool = False,
    text: Callable[[float | int | Decimal], str] | None = None,
    legend: Sequence[tuple[str, str]] = (),
    summary: str = "",
    table: DataTable | None = None,
    empty_text: str = "No data",
) -> BarChart:
    """`rows` of (label, value, tone); `tone` names a CSS class (ok, warn, bad, info).
    Bars are scaled to the largest value; with `percent` the values are rates from 0 to 1,
    drawn on a 0–100 % scale (None: no bar, shown as "–"). `text` formats a value (default:
    a whole number, or a percentage); `legend` is (tone, text) pairs drawn under the bars."""
    rows = list(rows)
    top = 1.0 if percent else float(max((v or 0 for _, v, _ in rows), default=0))
    bars = []
    for i, (label, value, tone) in enumerate(rows):
        width = BAR_AREA * float(value) / top if value and top else 0.0
        if value is None:
            shown = "–"
        elif text is not None:
            shown = text(value)
        elif percent:
            shown = f"{float(value) * 100:.1f} %"
        else:
            shown = f"{int(value):,}"
        bars.append(
            Bar(label=str(label) or "(none)", text=shown, tone=tone, y=i * ROW_HEIGHT, width=round(width, 1))
        )
    entries = _legend(
        [(entry_text, tone, "column") for tone, entry_text in legend],
        LABEL_WIDTH,
        max(len(bars), 1) * ROW_HEIGHT + LEGEND_HEIGHT - 4,
    )
    return BarChart(
        title=title, bars=bars, summary=summary, legend=entries, table=table, empty_text=empty_text
    )


# ------------------------------------------------------------------------------ series charts
TONES = ("ok", "done", "info", "warn", "bad", "muted")
SERIES_WIDTH = 720
SERIES_HEIGHT = 280
PLOT_TOP = 14
AXIS_WIDTH = 52  # room for the y axis' tick labels (and the right axis', when there is one)
X_LABEL_LINE = 13
MAX_LABEL_LINES = 2


def _number(value) -> float | None:
    return None if value is None else float(value)


def count_text(value) -> str:
    return "–" if value is None else f"{int(value):,}"


def percent_text(value) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f} %"


def nice_ticks(largest: float, count: int = 4) -> list[int]:
    """Round tick values for a count axis from 0 to at least `largest`: a step of 1, 2 or 5
    times a power of ten (at least 1), about `count` steps. All zeros: [0, 1]."""
    if largest <= 0:
        return [0, 1]
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(round(step)), 1)
    steps = math.ceil(largest / step)
    return [i * step for i in range(steps + 1)]


PERCENT_TICKS = [0, 0.25, 0.5, 0.75, 1]


@dataclass(frozen=True)
class Series:
    """One row of values, one per category (None: no value — no column, a gap in a line).

    `kind`: "column" (side by side with the other column series) or "line" (dots joined);
    `axis`: "left" (the chart's own scale) or "right" (rates, 0–100 %)."""

    name: str
    values: Sequence[float | int | Decimal | None]
    tone: str
    kind: str = "column"
    axis: str = "left"

    def __post_init__(self):
        if self.tone not in TONES:
            raise ValueError(f"tone {self.tone!r}: one of {TONES}")
        if self.kind not in ("column", "line") or self.axis not in ("left", "right"):
            raise ValueError(f"kind {self.kind!r} / axis {self.axis!r}")


@dataclass(frozen=True)
class Tick:
    pos: float  # y for a y-axis tick, x for an x-axis label
    text: str
    lines: tuple[str, ...] = ()  # an x label's lines (wrapped)


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    tone: str
    title: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    tone: str
    path: str  # SVG path data: numbers and M/L only
    points: tuple[Point, ...]
    markers: bool


@dataclass(frozen=True)
class SeriesChart:
    title: str
    summary: str
    width: int
    height: int
    left: float  # the plot area
    right: float
    top: float
    bottom: float
    y_ticks: tuple[Tick, ...]
    right_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    columns: tuple[Column, ...]
    lines: tuple[Line, ...]
    legend: tuple[LegendEntry, ...]
    table: DataTable | None
    empty_text: str = ""  # drawn over the plot when there is nothing to show

    @property
    def left_label_x(self) -> float:
        return self.left - 6

    @property
    def right_label_x(self) -> float:
        return self.right + 6

    @property
    def x_label_y(self) -> float:
        return self.bottom + X_LABEL_LINE + 2

    @property
    def middle_x(self) -> float:
        return round((self.left + self.right) / 2, 1)

    @property
    def middle_y(self) -> float:
        return round((self.top + self.bottom) / 2, 1)


def _wrap(text: str, width: float, max_lines: int = MAX_LABEL_LINES) -> tuple[str, ...]:
    """`text` in at most `max_lines` lines of about `width` pixels (the last one cut with "…")."""
    chars = max(int(width // TICK_CHAR_WIDTH), 3)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= chars or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return tuple(line if len(line) <= chars else line[: chars - 1] + "…" for line in lines)


def series_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    every: int | None = None,
    wrap_labels: bool = False,
    summary: str = "",
    table: DataTable | None = None,
    empty_text: str = "No data",
    width: int = SERIES_WIDTH,
    height: int = SERIES_HEIGHT,
) -> SeriesChart:
    """Columns and lines over the categories `labels` (one value per label in each series).

    The left axis counts (round ticks from 0 past the largest value) or, with `percent`,
    holds rates from 0 to 1 shown 0–100 %; a series on the right axis is a rate on a 0–100 %
    scale. The x labels are shown every `every` categories (default: as often as they fit
    on one line); with `wrap_labels` every label is shown, wrapped to two lines.
    `empty_text` is drawn when there is nothing to show: no count above 0 and no rate."""
    n = len(labels)
    for s in series:
        if len(s.values) != n:
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {n} labels")
    has_right = any(s.axis == "right" for s in series)
    label_lines = MAX_LABEL_LINES if wrap_labels else 1
    left = AXIS_WIDTH
    right = width - (AXIS_WIDTH if has_right else 16)
    top = PLOT_TOP
    bottom = height - LEGEND_HEIGHT - label_lines * X_LABEL_LINE - 10
    plot_w, plot_h = right - left, bottom - top

    def values_of(axis: str) -> list[float]:
        return [v for s in series if s.axis == axis for v in map(_number, s.values) if v is not None]

    left_values = values_of("left")
    if percent:
        left_top, left_ticks = 1.0, [(t, f"{round(t * 100)} %") for t in PERCENT_TICKS]
    else:
        ticks = nice_ticks(max(left_values, default=0))
        left_top, left_ticks = float(ticks[-1]), [(t, f"{t:,}") for t in ticks]

    def y_of(value: float, axis: str) -> float:
        scale = 1.0 if axis == "right" else left_top
        return round(bottom - plot_h * min(max(value / scale, 0.0), 1.0), 1)

    y_ticks = tuple(Tick(pos=y_of(v, "left"), text=text) for v, text in left_ticks)
    right_ticks = (
        tuple(Tick(pos=y_of(v, "right"), text=f"{round(v * 100)} %") for v in PERCENT_TICKS)
        if has_right
        else ()
    )

    slot = plot_w / n if n else plot_w
    if wrap_labels:
        step = 1
    elif every:
        step = every
    else:
        widest = max((len(label) for label in labels), default=1) * TICK_CHAR_WIDTH + 10
        step = max(1, math.ceil(widest / slot)) if n else 1
    x_ticks = tuple(
        Tick(
            pos=round(left + (i + 0.5) * slot, 1),
            text=labels[i],
            lines=_wrap(labels[i], slot - 2) if wrap_labels else (labels[i],),
        )
        for i in range(0, n, step)
    )

    column_series = [s for s in series if s.kind == "column"]
    group = slot * 0.8
    column_w = group / len(column_series) if column_series else 0
    columns = []
    for j, s in enumerate(column_series):
        for i, raw in enumerate(s.values):
            value = _number(raw)
            if not value or value <= 0:
                continue
            y = y_of(value, s.axis)
            text = percent_text(raw) if (percent or s.axis == "right") else count_text(raw)
            columns.append(
                Column(
                    x=round(left + i * slot + slot * 0.1 + j * column_w, 2),
                    y=y,
                    width=round(max(column_w - (1 if column_w > 3 else 0), 0.5), 2),
                    height=round(bottom - y, 1),
                    tone=s.tone,
                    title=f"{labels[i]}: {s.name} {text}",
                )
            )

    lines = []
    for s in series:
        if s.kind != "line":
            continue
        parts, points, pen_down = [], [], False
        for i, raw in enumerate(s.values):
            value = _number(raw)
            if value is None:
                pen_down = False
                continue
            x, y = round(left + (i + 0.5) * slot, 1), y_of(value, s.axis)
            parts.append(f"{'L' if pen_down else 'M'}{x} {y}")
            pen_down = True
            text = percent_text(raw) if (percent or s.axis == "right") else count_text(raw)
            points.append(Point(x=x, y=y, title=f"{labels[i]}: {s.name} {text}"))
        # dots on every point when they do not crowd (and always for a lone point: no line)
        markers = slot >= 8 or any(
            s.values[i] is not None
            and (i == 0 or s.values[i - 1] is None)
            and (i == n - 1 or s.values[i + 1] is None)
            for i in range(n)
        )
        lines.append(Line(tone=s.tone, path=" ".join(parts), points=tuple(points), markers=markers))

    legend = _legend([(s.name, s.tone, s.kind) for s in series], left, height - 6)
    # something to show: a count above 0, or any rate (0 % is a figure; None is not)
    nothing = not any(
        v is not None and (percent or s.axis == "right" or _number(v) > 0) for s in series for v in s.values
    )
    return SeriesChart(
        title=title,
        summary=summary,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=y_ticks,
        right_ticks=right_ticks,
        x_ticks=x_ticks,
        columns=tuple(columns),
        lines=tuple(lines),
        legend=legend,
        table=table,
        empty_text=empty_text if nothing else "",
    )
