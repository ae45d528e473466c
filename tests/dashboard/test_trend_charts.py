"""The trend charts' builders (dashboard/charts.py, dashboard/trends.py) on hand-made
answers in the agreed shapes (CONTEXT: quality, inventory), and their SVG as the templates
draw it: edge data (all zeros, one bucket, null rates, 53 weeks), escaping, accessibility."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from dashboard import trends
from dashboard.charts import DataTable, Series, nice_ticks, series_chart
from inspections.models import DefectType

SERIES = "dashboard/admin/series_chart.html"
BARS = "dashboard/admin/bar_chart.html"


def svg(template: str, chart) -> str:
    return render_to_string(template, {"chart": chart, "chart_id": "c"})


def week(i: int, **figures) -> dict:
    """The i-th weekly bucket from Monday 2025-12-01, with the given figures."""
    start = dt.date(2025, 12, 1) + dt.timedelta(weeks=i)
    year, number, _ = start.isocalendar()
    return {
        "start": str(start),
        "end": str(start + dt.timedelta(days=6)),
        "label": f"{year}-W{number:02d}",
        **figures,
    }


def workorders_answer(pairs) -> dict:
    buckets = [week(i, created=c, completed=d) for i, (c, d) in enumerate(pairs)]
    return {
        "from": buckets[0]["start"] if buckets else "2025-12-01",
        "to": buckets[-1]["end"] if buckets else "2025-12-01",
        "buckets": buckets,
        "totals": {"created": sum(c for c, _ in pairs), "completed": sum(d for _, d in pairs)},
    }


def rate(part, whole):
    return None if not whole else Decimal(part / whole).quantize(Decimal("0.0001"))


def quality_answer(weeks, pareto=()) -> dict:
    """weeks: (inspections, passes) per week; pareto: (defect_type, count), largest first."""
    buckets = [
        week(i, inspections=n, passes=p, fails=n - p, pass_rate=rate(p, n)) for i, (n, p) in enumerate(weeks)
    ]
    total = sum(c for _, c in pareto)
    rows, running = [], 0
    for defect_type, count in pareto:
        running += count
        rows.append(
            {
                "defect_type": defect_type,
                "count": count,
                "share": rate(count, total),
                "cumulative_share": rate(running, total),
            }
        )
    inspections = sum(n for n, _ in weeks)
    passes = sum(p for _, p in weeks)
    return {
        "from": "2025-12-01",
        "to": "2026-11-30",
        "interval": "week",
        "group_by": None,
        "buckets": buckets,
        "totals": {
            "inspections": inspections,
            "passes": passes,
            "fails": inspections - passes,
            "pass_rate": rate(passes, inspections),
        },
        "pareto": rows,
    }


def item(item_id, name, days, *, reorder=False, quantity=5) -> dict:
    return {
        "item_id": item_id,
        "item_name": name,
        "unit": "kg",
        "quantity": quantity,
        "reorder_level": 10,
        "is_low_stock": quantity <= 10,
        "buckets": [],
        "consumption": 3,
        "receipts": 0,
        "average_daily_consumption": Decimal("0.5"),
        "days_of_stock": None if days is None else Decimal(days),
        "stockout_date": None if days is None else "2026-12-20",
        "reorder_now": reorder,
    }


# ------------------------------------------------------------------------------ axes
@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (40, [0, 10, 20, 30, 40]),
        (41, [0, 20, 40, 60]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_count_axis_has_round_ticks_from_zero_past_the_largest(largest, ticks):
    assert nice_ticks(largest) == ticks


def test_a_series_must_match_the_labels_and_name_a_known_tone():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        series_chart("t", ["a", "b", "c"], [Series("s", [1, 2], "ok")])
    with pytest.raises(ValueError, match="tone"):
        Series("s", [1], "red; fill: url(http://x)")


# ------------------------------------------------------------------------------ moving rate
def test_moving_rate_is_weighted_over_the_week_and_the_three_before():
    inspections = [10, 0, 2, 8, 100, 0, 0, 0, 0]
    passes = [5, 0, 2, 8, 50, 0, 0, 0, 0]
    assert trends.moving_rate(passes, inspections) == [
        Decimal("0.5000"),  # the first week: its own rate
        Decimal("0.5000"),  # an empty week in the window adds nothing
        Decimal("0.5833"),  # 7 / 12
        Decimal("0.7500"),  # 15 / 20
        Decimal("0.5455"),  # (0+2+8+50) / (0+2+8+100): weighted (the mean of the rates: 0.75)
        Decimal("0.5455"),  # the same 60 / 110 (the first week has left the window)
        Decimal("0.5370"),  # 58 / 108
        Decimal("0.5000"),  # 50 / 100: week 4 is the last in the window
        None,  # four weeks without an inspection
    ]


def test_moving_rate_of_nothing():
    assert trends.moving_rate([], []) == []
    assert trends.moving_rate([0], [0]) == [None]


# ------------------------------------------------------------------------------ range
@pytest.mark.parametrize(
    ("today", "start"),
    [
        (dt.date(2026, 12, 6), dt.date(2025, 12, 1)),  # a Sunday: 53 whole weeks
        (dt.date(2026, 12, 7), dt.date(2025, 12, 8)),  # a Monday: the last week is one day
        (dt.date(2027, 1, 1), dt.date(2025, 12, 29)),  # around New Year (2026 has a W53)
    ],
)
def test_trend_range_is_53_iso_weeks_ending_today(today, start):
    from dashboard.analytics.buckets import Buckets

    first, last = trends.trend_range(today)
    assert (first, last) == (start, today)
    assert first.weekday() == 0
    assert len(Buckets(first, last, "week")) == trends.TREND_WEEKS


# ------------------------------------------------------------------------------ work orders
def test_workorders_chart_has_two_column_series_and_a_legend():
    chart = trends.workorders_chart(workorders_answer([(3, 1), (0, 2), (5, 0)]))
    created = [c for c in chart.columns if c.tone == "info"]
    completed = [c for c in chart.columns if c.tone == "ok"]
    assert len(created) == 2 and len(completed) == 2  # zeros draw no column
    assert created[0].title == "2025-W49: Created 3"
    assert completed[0].x > created[0].x  # side by side within the week
    assert [t.text for t in chart.y_ticks] == ["0", "2", "4", "6"]
    assert [e.text for e in chart.legend] == ["Created", "Completed"]
    assert chart.empty_text == ""
    assert chart.summary == "8 created and 3 completed from 2025-12-01 to 2025-12-21."
    assert chart.table.rows[1] == ("2025-W50 (2025-12-08 – 2025-12-14)", "0", "2")
    # heights in proportion, standing on the x axis
    five = next(c for c in created if c.title.endswith(" 5"))
    plot = chart.bottom - chart.top
    assert five.y + five.height == chart.bottom
    assert five.height == pytest.approx(plot * 5 / 6, abs=0.1)


def test_all_zeros_draw_axes_and_say_so():
    chart = trends.workorders_chart(workorders_answer([(0, 0)] * 12))
    assert chart.columns == ()
    assert [t.text for t in chart.y_ticks] == ["0", "1"]
    assert chart.empty_text == "No work orders created or completed in these weeks."
    html = svg(SERIES, chart)
    assert "No work orders created or completed in these weeks." in html
    assert len(chart.table.rows) == 12


def test_one_bucket():
    chart = trends.workorders_chart(workorders_answer([(4, 2)]))
    assert [t.text for t in chart.x_ticks] == ["2025-W49"]
    assert len(chart.columns) == 2
    for column in chart.columns:
        assert chart.left <= column.x and column.x + column.width <= chart.right
    quality = trends.pass_rate_chart(quality_answer([(4, 3)]))
    (line,) = quality.lines
    assert line.markers  # a lone point is drawn as a dot: there is no line to see
    assert re.fullmatch(r"M[\d.]+ [\d.]+", line.path)


def test_53_weeks_fit_with_labels_that_do_not_collide():
    pairs = [(i % 7, (i * 3) % 5) for i in range(53)]
    chart = trends.workorders_chart(workorders_answer(pairs))
    assert len(chart.table.rows) == 53
    xs = [t.pos for t in chart.x_ticks]
    assert chart.x_ticks[0].text == "2025-W49"
    assert 5 <= len(xs) <= 12
    widest = max(len(t.text) for t in chart.x_ticks) * 6.0
    assert all(b - a >= widest for a, b in zip(xs, xs[1:], strict=False))
    assert all(chart.left <= c.x and c.x + c.width <= chart.right + 0.01 for c in chart.columns)
    assert all(chart.top <= c.y <= chart.bottom for c in chart.columns)
    assert chart.table.rows[-1][0].startswith("2026-W49 ")


# ------------------------------------------------------------------------------ pass rate
def test_pass_rate_chart_with_null_rates_breaks_the_line_and_leaves_gaps():
    weeks = [(10, 9), (0, 0), (0, 0), (0, 0), (0, 0), (4, 1), (0, 0)]
    chart = trends.pass_rate_chart(quality_answer(weeks))
    assert [c.title for c in chart.columns] == ["2025-W49: Pass rate 90.0 %", "2026-W02: Pass rate 25.0 %"]
    (line,) = chart.lines
    # 4-week rate: 90 % for the 4 weeks from the first, nothing in the 5th, 25 % from the 6th
    assert [p.title.split(": ")[1] for p in line.points] == [
        "4-week pass rate 90.0 %",
        "4-week pass rate 90.0 %",
        "4-week pass rate 90.0 %",
        "4-week pass rate 90.0 %",
        "4-week pass rate 25.0 %",
        "4-week pass rate 25.0 %",
    ]
    assert line.path.count("M") == 2  # a gap where the window holds no inspection
    assert [t.text for t in chart.y_ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert chart.table.rows[1][1:] == ("0", "0", "–", "90.0 %")
    assert chart.summary.startswith("71.4 % of 14 inspections passed")


def test_pass_rate_of_zero_is_a_figure_not_an_empty_chart():
    chart = trends.pass_rate_chart(quality_answer([(3, 0), (2, 0)]))
    assert chart.empty_text == ""
    assert all(p.y == chart.bottom for p in chart.lines[0].points)


def test_no_inspections_at_all():
    chart = trends.pass_rate_chart(quality_answer([(0, 0)] * 53))
    assert chart.columns == () and chart.lines[0].points == ()
    assert chart.empty_text == "No inspections in these weeks."
    assert "<path" not in svg(SERIES, chart)  # no empty path element


def test_charts_without_their_answer_say_so():
    for chart in (trends.pass_rate_chart(None), trends.pareto_chart(None)):
        assert chart.empty_text == trends.NOT_AVAILABLE
        assert trends.NOT_AVAILABLE in svg(SERIES, chart)
    assert trends.NOT_AVAILABLE in svg(BARS, trends.stock_chart(None))


# ------------------------------------------------------------------------------ pareto
def test_pareto_bars_largest_first_with_the_cumulative_share_on_the_right_axis():
    answer = quality_answer(
        [(30, 20)],
        pareto=[("porosity", 5), ("incomplete_penetration", 3), ("crack", 1), (None, 1)],
    )
    chart = trends.pareto_chart(answer)
    assert [t.text for t in chart.x_ticks] == [
        "Porosity",
        "Incomplete Penetration",
        "Crack",
        "(no defect type)",
    ]
    assert chart.x_ticks[1].lines == ("Incomplete Penetration",)  # room enough for 4 labels
    heights = [c.height for c in chart.columns]
    assert heights == sorted(heights, reverse=True)
    assert [t.text for t in chart.right_ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    (line,) = chart.lines
    assert [p.title for p in line.points] == [
        "Porosity: Cumulative share 50.0 %",
        "Incomplete Penetration: Cumulative share 80.0 %",
        "Crack: Cumulative share 90.0 %",
        "(no defect type): Cumulative share 100.0 %",
    ]
    assert line.points[-1].y == chart.top  # 100 % at the top of the right axis
    assert chart.table.rows[0] == ("Porosity", "5", "50.0 %", "50.0 %")
    assert chart.summary == "10 failures from 2025-12-01 to 2026-11-30; the most: Porosity (5, 50.0 %)."


def test_pareto_without_failures():
    chart = trends.pareto_chart(quality_answer([(5, 5)]))
    assert chart.columns == () and chart.x_ticks == ()
    assert chart.empty_text == "No failed inspections in these weeks."


def test_every_defect_type_is_labelled_wrapped_to_two_lines():
    types = [value for value, _ in DefectType.choices]
    chart = trends.pareto_chart(quality_answer([(1, 0)], pareto=[(t, 20 - i) for i, t in enumerate(types)]))
    assert len(chart.x_ticks) == len(types) == 9
    by_text = {t.text: t.lines for t in chart.x_ticks}
    assert by_text["Incomplete Penetration"] == ("Incomplete", "Penetration")
    assert by_text["Lack of Fusion"] == ("Lack of", "Fusion")
    assert by_text["Porosity"] == ("Porosity",)


def test_long_labels_are_cut_not_overlapping():
    answer = quality_answer([(1, 0)], pareto=[(f"type_{i}" + "x" * 40, 10 - i) for i in range(9)])
    chart = trends.pareto_chart(answer)
    slot = (chart.right - chart.left) / 9
    for tick in chart.x_ticks:
        assert len(tick.lines) <= 2
        assert all(len(line) * 5.8 <= slot for line in tick.lines)
        assert tick.lines[-1].endswith("…")


# ------------------------------------------------------------------------------ stock
def test_stock_chart_leaves_out_items_without_days_and_highlights_reorder_now():
    answer = {
        "items": [
            item("INV-1", "Wire", "0", reorder=True, quantity=0),
            item("INV-2", "Argon", "3.5", reorder=True),
            item("INV-3", "Discs", "40"),
            *(item(f"INV-{i}", f"Rods {i}", str(50 + i)) for i in range(4, 14)),
            item("INV-99", "Never used", None),
        ]
    }
    chart = trends.stock_chart(answer)
    assert len(chart.bars) == 10
    assert [b.label for b in chart.bars[:3]] == ["INV-1 Wire", "INV-2 Argon", "INV-3 Discs"]
    assert [b.tone for b in chart.bars[:3]] == ["bad", "bad", "info"]
    assert [b.text for b in chart.bars[:3]] == ["0.0 days", "3.5 days", "40.0 days"]
    assert chart.bars[0].width == 0
    assert "Never used" not in svg(BARS, chart)
    assert [e.text for e in chart.legend] == ["Reorder now", "Not yet"]
    assert chart.summary == "Fewest: Wire (0.0 days); 2 of these 10 to reorder now."
    assert chart.table.rows[1] == ("INV-2", "Argon", "5 kg", "3.5 days", "2026-12-20", "yes")


def test_stock_chart_when_nothing_is_consumed():
    chart = trends.stock_chart({"items": [item("INV-1", "Wire", None)]})
    assert chart.bars == [] and chart.legend == ()
    assert "No item is being consumed." in svg(BARS, chart)


# ------------------------------------------------------------------------------ the SVG
def test_user_text_is_escaped_everywhere_it_is_drawn():
    evil = '<script>alert("x")</script>'
    stock = trends.stock_chart({"items": [item("INV-1", evil, "2", reorder=True)]})
    html = svg(BARS, stock)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html  # the table and <title>
    assert 'aria-label="Days of stock: the 10 items closest to running out. Fewest: &lt;script&gt;' in html
    chart = series_chart(evil, [evil, "b"], [Series(evil, [1, 2], "ok")], summary=evil)
    html = svg(SERIES, chart)
    assert "<script" not in html
    assert html.count("&lt;script&gt;") >= 5  # title, desc, aria-label, x label, legend, columns


def test_each_chart_has_a_name_a_description_and_its_figures_as_a_table():
    chart = trends.pass_rate_chart(quality_answer([(10, 8), (5, 5)], pareto=[("crack", 2)]))
    html = svg(SERIES, chart)
    assert re.search(r'<svg [^>]*role="img" aria-label="Inspection pass rate per week\. 86\.7 %', html)
    assert "<title>Inspection pass rate per week</title>" in html
    assert "<desc>86.7 % of 15 inspections passed" in html
    table = html.split('<table class="chart-data visually-hidden">', 1)[1]
    assert "<caption>Inspections per week</caption>" in table
    assert '<th scope="row">2025-W50 (2025-12-08 – 2025-12-14)</th><td class="num">5</td>' in table
    paths = re.findall(r'<path class="line" d="([^"]*)"', html)
    assert paths and all(re.fullmatch(r"M[\d.]+ [\d.]+( [ML][\d.]+ [\d.]+)*", d) for d in paths)
    assert 'style="' not in html  # the CSP: classes only


def test_data_table_renders_a_row_header_and_cells():
    chart = series_chart(
        "t",
        ["a"],
        [Series("s", [1], "ok")],
        table=DataTable(caption="cap", headers=("k", "v"), rows=(("a", "1"),)),
    )
    html = svg(SERIES, chart)
    assert '<th scope="col">k</th>' in html and '<th scope="row">a</th><td class="num">1</td>' in html
