"""The admin dashboard's "Trends" section (issue 11): four SVG charts drawn from the
analytics API's answers (SPEC §6), readable without JavaScript.

- Work orders created and completed per week (`/api/v1/analytics/workorders`).
- Inspection pass rate per week, with a 4-week moving pass rate (`…/quality`, `buckets`).
- Defect Pareto: failures by defect type, largest first, with the cumulative share on a
  0–100 % right axis (`…/quality`, `pareto`).
- Days of stock of the 10 items closest to running out (`…/inventory?limit=10`; items
  without a days-of-stock figure are left out, those to reorder now are highlighted).

**Range**: the charts have their own, whatever the page's period form says: the
`TREND_WEEKS` (53) ISO weeks ending with the current one, i.e. from the Monday 52 weeks
before this week's Monday to today (the last 12 months by week; the last week is the week so
far). Stock is as it is now (the inventory answer's own defaults, `to` = today).

**Moving pass rate** (`moving_rate`): for each week, passes / inspections summed over that
week and the 3 weeks before it (a weighted rate: a week with many inspections counts for
more than one with few); the first weeks of the range use the weeks the range has (the
first week: its own rate). None when the window holds no inspection.

The answers come through `dashboard.analytics.views.analytics_figures`, the API's own cached
path: the same query made here and on the API is computed once. `_trend_data` is the one
place that fetches them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dashboard.analytics import inventory as inventory_analytics
from dashboard.analytics import quality as quality_analytics
from dashboard.analytics import stats
from dashboard.analytics import workorders as workorder_analytics
from dashboard.analytics.views import Endpoint, analytics_figures, parse_query
from dashboard.charts import (
    BarChart,
    DataTable,
    Series,
    SeriesChart,
    bar_chart,
    count_text,
    percent_text,
    series_chart,
)
from inspections.models import DefectType

TREND_WEEKS = 53
MOVING_WEEKS = 4
STOCK_ITEMS = 10
NOT_AVAILABLE = "Figures not available."


def trend_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the trend charts: `TREND_WEEKS` ISO weeks ending today."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=TREND_WEEKS - 1), today


def moving_rate(
    parts: Sequence[int], wholes: Sequence[int], window: int = MOVING_WEEKS
) -> list[Decimal | None]:
    """Per position i: sum(parts[i-window+1..i]) / sum(wholes[i-window+1..i]) over the
    positions that exist (fewer at the start), as `stats.rate` rounds it (4 decimals);
    None when those wholes sum to 0."""
    out: list[Decimal | None] = []
    for i in range(len(wholes)):
        first = max(0, i - window + 1)
        out.append(stats.rate(sum(parts[first : i + 1]), sum(wholes[first : i + 1])))
    return out


def _answer(endpoint: Endpoint, params: dict[str, Any], today: dt.date) -> dict[str, Any]:
    return analytics_figures(endpoint, parse_query(endpoint, params, today=today))


# ------------------------------------------------------------------------------ WIRING
def _trend_data(today: dt.date, start: dt.date, end: dt.date) -> dict[str, dict[str, Any] | None]:
    """The analytics answers the trend charts draw (the same cache entries as the API's)."""
    weekly = {"from": start, "to": end, "interval": "week"}
    return {
        "workorders": _answer(workorder_analytics.ENDPOINT, weekly, today),
        "quality": _answer(quality_analytics.ENDPOINT, weekly, today),
        "inventory": _answer(inventory_analytics.ENDPOINT, {"limit": STOCK_ITEMS}, today),
    }


# ------------------------------------------------------------------------------ charts
def _week_rows(buckets: Sequence[dict]) -> list[str]:
    return [f"{b['label']} ({b['start']} – {b['end']})" for b in buckets]


def _range_text(answer: dict[str, Any]) -> str:
    return f"{answer['from']} to {answer['to']}"


def workorders_chart(answer: dict[str, Any]) -> SeriesChart:
    """Work orders created and completed per week: two column series side by side."""
    buckets = answer["buckets"]
    created = [b["created"] for b in buckets]
    completed = [b["completed"] for b in buckets]
    totals = answer["totals"]
    return series_chart(
        "Work orders created and completed per week",
        [b["label"] for b in buckets],
        [Series("Created", created, "info"), Series("Completed", completed, "ok")],
        summary=(
            f"{totals['created']:,} created and {totals['completed']:,} completed from {_range_text(answer)}."
        ),
        table=DataTable(
            caption="Work orders per week",
            headers=("Week", "Created", "Completed"),
            rows=tuple(
                (week, count_text(c), count_text(d))
                for week, c, d in zip(_week_rows(buckets), created, completed, strict=True)
            ),
        ),
        empty_text="No work orders created or completed in these weeks.",
    )


def pass_rate_chart(answer: dict[str, Any] | None) -> SeriesChart:
    """Pass rate per week (columns) and the 4-week moving pass rate (a line), 0–100 %."""
    title = "Inspection pass rate per week"
    if answer is None:
        return series_chart(title, [], [], percent=True, empty_text=NOT_AVAILABLE)
    buckets = answer["buckets"]
    weekly = [b["pass_rate"] for b in buckets]
    moving = moving_rate([b["passes"] for b in buckets], [b["inspections"] for b in buckets])
    totals = answer["totals"]
    return series_chart(
        title,
        [b["label"] for b in buckets],
        [
            Series("Pass rate", weekly, "done"),
            Series(f"{MOVING_WEEKS}-week pass rate", moving, "info", kind="line"),
        ],
        percent=True,
        summary=(
            f"{percent_text(totals['pass_rate'])} of {totals['inspections']:,} inspections passed "
            f"from {_range_text(answer)}; last {MOVING_WEEKS} weeks: {percent_text(moving[-1] if moving else None)}."
        ),
        table=DataTable(
            caption="Inspections per week",
            headers=("Week", "Inspections", "Passes", "Pass rate", f"{MOVING_WEEKS}-week pass rate"),
            rows=tuple(
                (
                    week,
                    count_text(b["inspections"]),
                    count_text(b["passes"]),
                    percent_text(b["pass_rate"]),
                    percent_text(m),
                )
                for week, b, m in zip(_week_rows(buckets), buckets, moving, strict=True)
            ),
        ),
        empty_text="No inspections in these weeks.",
    )


def defect_label(defect_type: str | None) -> str:
    if not defect_type:
        return "(no defect type)"
    return str(dict(DefectType.choices).get(defect_type, defect_type))


def pareto_chart(answer: dict[str, Any] | None) -> SeriesChart:
    """Failures by defect type, largest first (the answer's order), with the cumulative
    share as a line on the right axis (0–100 %)."""
    title = "Defect Pareto: failures by defect type"
    if answer is None:
        return series_chart(title, [], [], empty_text=NOT_AVAILABLE)
    rows = answer["pareto"]
    labels = [defect_label(r["defect_type"]) for r in rows]
    total = sum(r["count"] for r in rows)
    summary = f"{total:,} failures from {_range_text(answer)}"
    if rows:
        summary += f"; the most: {labels[0]} ({rows[0]['count']:,}, {percent_text(rows[0]['share'])})"
    return series_chart(
        title,
        labels,
        [
            Series("Failures", [r["count"] for r in rows], "bad"),
            Series(
                "Cumulative share", [r["cumulative_share"] for r in rows], "info", kind="line", axis="right"
            ),
        ],
        wrap_labels=True,
        summary=summary + ".",
        table=DataTable(
            caption="Failures by defect type",
            headers=("Defect type", "Failures", "Share", "Cumulative share"),
            rows=tuple(
                (label, count_text(r["count"]), percent_text(r["share"]), percent_text(r["cumulative_share"]))
                for label, r in zip(labels, rows, strict=True)
            ),
        ),
        empty_text="No failed inspections in these weeks.",
    )


def days_text(value) -> str:
    return "–" if value is None else f"{float(value):,.1f} days"


def stock_chart(answer: dict[str, Any] | None) -> BarChart:
    """Days of stock of the items closest to running out (the answer's order: fewest days
    first), at most `STOCK_ITEMS`; items without the figure (never consumed) left out."""
    title = f"Days of stock: the {STOCK_ITEMS} items closest to running out"
    if answer is None:
        return bar_chart(title, [], empty_text=NOT_AVAILABLE)
    items = [i for i in answer["items"] if i["days_of_stock"] is not None][:STOCK_ITEMS]
    reorder = sum(1 for i in items if i["reorder_now"])
    summary = (
        f"Fewest: {items[0]['item_name']} ({days_text(items[0]['days_of_stock'])}); "
        f"{reorder} of these {len(items)} to reorder now."
        if items
        else "No item is being consumed."
    )
    return bar_chart(
        title,
        [
            (f"{i['item_id']} {i['item_name']}", i["days_of_stock"], "bad" if i["reorder_now"] else "info")
            for i in items
        ],
        text=days_text,
        legend=[("bad", "Reorder now"), ("info", "Not yet")] if items else [],
        summary=summary,
        table=DataTable(
            caption="Items closest to running out",
            headers=("Item", "Name", "Quantity", "Days of stock", "Runs out", "Reorder now"),
            rows=tuple(
                (
                    str(i["item_id"]),
                    str(i["item_name"]),
                    f"{i['quantity']} {i['unit']}".strip(),
                    days_text(i["days_of_stock"]),
                    str(i["stockout_date"] or "–"),
                    "yes" if i["reorder_now"] else "no",
                )
                for i in items
            ),
        ),
        empty_text="No item is being consumed.",
    )


@dataclass(frozen=True)
class Trends:
    start: dt.date
    end: dt.date
    weeks: int
    workorders: SeriesChart
    pass_rate: SeriesChart
    pareto: SeriesChart
    stock: BarChart


def trends(today: dt.date) -> Trends:
    """The four charts of the trend range ending `today`."""
    start, end = trend_range(today)
    data = _trend_data(today, start, end)
    return Trends(
        start=start,
        end=end,
        weeks=TREND_WEEKS,
        workorders=workorders_chart(data["workorders"]),
        pass_rate=pass_rate_chart(data["quality"]),
        pareto=pareto_chart(data["quality"]),
        stock=stock_chart(data["inventory"]),
    )
