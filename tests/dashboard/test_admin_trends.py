"""The admin dashboard's "Trends" section: four SVG charts over the last 12 months by week,
drawn from the analytics answers through the API's own cache."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.analytics.conftest import backdate
from tests.factories import (
    InspectionFactory,
    ItemFactory,
    StockMovementFactory,
    UserFactory,
    WorkOrderFactory,
)
from workorders.models import WorkOrder

URL = "/admin/dashboard/"
NOW = dt.datetime(2026, 12, 6, 12, 0, 0)  # a Sunday: the trend range is 2025-12-01..2026-12-06
CHARTS = ("trend-workorders", "trend-pass-rate", "trend-pareto", "trend-stock")


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    return client


@pytest.fixture
def frozen(freeze):
    return freeze(timezone.make_aware(NOW))


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour))


def chart(html: str, chart_id: str) -> str:
    match = re.search(rf'<figure class="[^"]*" id="{chart_id}">(.*?)</figure>', html, re.S)
    assert match, chart_id
    return match.group(1)


def table_row(figure: str, header: str) -> list[str]:
    """The cells of the row of the chart's figures table whose header starts with `header`."""
    match = re.search(rf'<tr><th scope="row">{re.escape(header)}[^<]*</th>(.*?)</tr>', figure)
    assert match, header
    return re.findall(r"<td[^>]*>([^<]*)</td>", match.group(1))


def created_completed(html: str, week_label: str) -> tuple[str, str]:
    cells = table_row(chart(html, "trend-workorders"), week_label)
    return cells[0], cells[1]


@pytest.mark.django_db
class TestTrends:
    def test_staff_see_four_accessible_charts(self, manager_client, frozen):
        html = manager_client.get(URL).content.decode()
        section = html.split('id="trends"', 1)[1]
        assert "<h2>Trends</h2>" in section
        for chart_id in CHARTS:
            figure = chart(html, chart_id)
            assert re.search(r'<svg viewBox="0 0 \d+ \d+" width="100%" role="img" aria-label="[^"]+"', figure)
            assert re.search(r"<title>[^<]+</title>", figure)
        assert "<script" not in html.split('<div id="content-main"', 1)[1]

    def test_the_range_is_documented_on_the_page(self, manager_client, frozen):
        html = manager_client.get(URL).content.decode()
        assert "The trend charts below keep their own range (the last 12 months by week)." in html
        assert "the 53 ISO weeks (Monday to Sunday) from 2025-12-01 to today, 2026-12-06" in html

    def test_work_orders_created_and_completed_per_week(self, manager_client, frozen):
        # 2026-W45 is 2026-11-02..08
        for _ in range(3):
            backdate(WorkOrderFactory(status="pending"), created_at=at("2026-11-02"))
        backdate(
            WorkOrderFactory(status="completed"),
            created_at=at("2026-10-01"),
            completed_at=at("2026-11-08", 23),
        )
        backdate(WorkOrderFactory(), created_at=at("2025-12-01", 0))  # the first moment of the range
        backdate(WorkOrderFactory(), created_at=at("2025-11-30", 23))  # the day before: left out
        html = manager_client.get(URL).content.decode()
        assert created_completed(html, "2026-W45 (2026-11-02 – 2026-11-08)") == ("3", "1")
        assert created_completed(html, "2025-W49 (2025-12-01 – 2025-12-07)") == ("1", "0")
        assert created_completed(html, "2026-W40") == ("1", "0")  # 2026-10-01
        assert created_completed(html, "2026-W49 (2026-11-30 – 2026-12-06)") == ("0", "0")
        figure = chart(html, "trend-workorders")
        assert len(re.findall(r'<tr><th scope="row">', figure)) == 53
        assert "2025-W48" not in figure
        assert "5 created and 1 completed from 2025-12-01 to 2026-12-06." in figure
        columns = re.findall(
            r'<rect class="col col-(\w+)"[^>]*height="([\d.]+)"><title>([^<]*)</title>', figure
        )
        assert ("info", "2026-W45: Created 3") in {(tone, title) for tone, _, title in columns}
        assert all(float(height) > 0 for _, height, _ in columns)

    def test_the_period_form_does_not_change_the_trends(self, manager_client, frozen):
        backdate(WorkOrderFactory(due_date=dt.date(2026, 3, 1)), created_at=at("2026-03-02"))
        html = manager_client.get(URL, {"from": "2026-06-01", "to": "2026-06-30"}).content.decode()
        assert re.search(r'id="fig-work-orders">0<', html)  # the period applies to the figures
        assert created_completed(html, "2026-W10") == ("1", "0")  # not to the trends

    def test_an_empty_shop_says_so(self, manager_client, frozen):
        html = manager_client.get(URL).content.decode()
        assert "No work orders created or completed in these weeks." in chart(html, "trend-workorders")

    def test_the_page_reads_the_apis_cache_entry(self, manager_client, api, frozen, settings):
        settings.DASHBOARD_CACHE_SECONDS = 60
        order = WorkOrderFactory()
        backdate(order, created_at=at("2026-12-01"))
        week = {"from": "2025-12-01", "to": "2026-12-06", "interval": "week"}
        assert api.get("/api/v1/analytics/workorders", week).status_code == 200
        # moved without a signal: the cache is not told, so a fresh computation would differ
        WorkOrder.objects.filter(pk=order.pk).update(created_at=at("2026-11-02"))
        html = manager_client.get(URL).content.decode()
        assert created_completed(html, "2026-W49") == ("1", "0")  # the API's cached answer
        assert created_completed(html, "2026-W45") == ("0", "0")
        response = api.get("/api/v1/analytics/workorders", {**week, "format": "csv"})
        assert response.status_code == 200  # the file form reads the same entry
        rows = {
            row[3]: row[4] for row in csv.reader(b"".join(response.streaming_content).decode().splitlines())
        }
        assert (rows["2026-W49"], rows["2026-W45"]) == ("1", "0")
        cache.clear()
        html = manager_client.get(URL).content.decode()
        assert created_completed(html, "2026-W45") == ("1", "0")  # computed afresh

    def test_queries_are_pinned_and_do_not_grow(self, manager_client, frozen, django_assert_max_num_queries):
        def stock_and_inspections(n):
            for i in range(n):
                item = ItemFactory(quantity=10)
                StockMovementFactory(item=item, delta=-2, quantity_after=10, reason="consumption")
                InspectionFactory(inspected_at=at("2026-06-01") + dt.timedelta(days=i), failed=i % 2 == 0)

        WorkOrderFactory()
        stock_and_inspections(1)
        manager_client.get(URL)
        cache.clear()
        with django_assert_max_num_queries(QUERIES) as few:
            manager_client.get(URL)
        for i in range(20):
            backdate(
                WorkOrderFactory(status="completed"),
                created_at=at("2026-01-05") + dt.timedelta(days=i * 9),
                completed_at=at("2026-02-05") + dt.timedelta(days=i * 9),
            )
        stock_and_inspections(20)
        cache.clear()
        with django_assert_max_num_queries(QUERIES) as many:
            manager_client.get(URL)
        assert len(many.captured_queries) == len(few.captured_queries)


# The page's queries, uncached: session, user and permissions, the dashboard's figures, the
# work-order trends (8 of them), the quality trends and the items' days of stock.
QUERIES = 30


@pytest.mark.django_db
class TestQualityAndStockTrends:
    """The pass rate, Pareto and stock charts, drawn from /analytics/quality and /analytics/inventory."""

    def test_pass_rate_per_week_with_the_moving_rate(self, manager_client, frozen):
        for day, failed in [("2026-11-02", False), ("2026-11-03", False), ("2026-11-04", True)]:
            InspectionFactory(inspected_at=at(day), failed=failed)
        InspectionFactory(inspected_at=at("2026-11-10"), failed=True, defect_type="crack")
        html = manager_client.get(URL).content.decode()
        figure = chart(html, "trend-pass-rate")
        assert table_row(figure, "2026-W45") == ["3", "2", "66.7 %", "66.7 %"]
        assert table_row(figure, "2026-W46") == ["1", "0", "0.0 %", "50.0 %"]  # 2 / 4 over two weeks
        assert table_row(figure, "2026-W44") == ["0", "0", "–", "–"]
        assert re.search(r'<path class="line" d="M[\d.]+ [\d.]+ L', figure)

    def test_defect_pareto(self, manager_client, frozen):
        for defect, n in [("porosity", 3), ("crack", 1)]:
            for _ in range(n):
                InspectionFactory(inspected_at=at("2026-06-01"), failed=True, defect_type=defect)
        InspectionFactory(inspected_at=at("2026-06-01"))
        figure = chart(manager_client.get(URL).content.decode(), "trend-pareto")
        assert table_row(figure, "Porosity") == ["3", "75.0 %", "75.0 %"]
        assert table_row(figure, "Crack") == ["1", "25.0 %", "100.0 %"]
        assert figure.index("Porosity") < figure.index("Crack")

    def test_days_of_stock_of_the_items_closest_to_running_out(self, manager_client, frozen):
        evil = ItemFactory(item_id="INV-EVIL", item_name="<script>alert(1)</script>", quantity=5)
        StockMovementFactory(item=evil, delta=-5, quantity_after=5, reason="consumption")
        ItemFactory(item_id="INV-IDLE", item_name="Never used", quantity=5)
        figure = chart(manager_client.get(URL).content.decode(), "trend-stock")
        assert "INV-EVIL &lt;script&gt;alert(1)&lt;/script&gt;" in figure
        assert "<script" not in figure
        assert "INV-IDLE" not in figure  # no consumption: no days of stock, not in the chart
