"""The welding KPIs' arithmetic (dashboard/kpis.py) on its own, and the schema's example."""

import datetime as dt
from decimal import Decimal

from dashboard import kpis
from dashboard.examples import WELDING_EXAMPLE
from dashboard.serializers import DashboardWeldingSerializer


def test_rate_rounds_half_up_to_4_decimals():
    assert kpis.rate(2, 10) == Decimal("0.2000")
    assert kpis.rate(1, 3) == Decimal("0.3333")
    assert kpis.rate(2, 3) == Decimal("0.6667")
    assert kpis.rate(1, 16000) == Decimal("0.0001")  # 0.0000625
    assert kpis.rate(Decimal("0.5"), 10000) == Decimal("0.0001")  # exactly 0.00005: half up
    assert kpis.rate(0.1, 3) == Decimal("0.0333")  # floats from SQLite by their repr
    assert kpis.rate(5, 0) is None and kpis.rate(0, None) is None


def test_repair_figures_case_35():
    figures = kpis.repair_figures(welds=10, failed=2, length_unknown=0, rejected_mm=50, examined_mm=5000)
    assert (figures["joint"], figures["length"]) == (Decimal("0.2"), Decimal("0.01"))


def test_pareto_orders_by_count_then_code():
    rows = kpis.pareto({"401": 2, "2011": 3, "100": 2, "302": 0}, {"2011": "Gas pore"})
    assert [(r["code"], r["label"], r["count"]) for r in rows] == [
        ("2011", "Gas pore", 3),
        ("100", "100", 2),
        ("401", "401", 2),
    ]
    assert [r["cumulative_share"] for r in rows] == [Decimal("0.4286"), Decimal("0.7143"), Decimal("1")]
    assert kpis.pareto({}) == []


def test_expiring_in_is_cumulative_case_36():
    on = dt.date(2025, 11, 30)
    ends = [on + dt.timedelta(days=d) for d in (20, 50, 80, 100)]
    assert kpis.expiring_in(ends, on=on) == {"30": 1, "60": 2, "90": 3}
    assert kpis.expiring_in([on + dt.timedelta(days=30), on], on=on) == {"30": 2, "60": 2, "90": 2}


def test_hours():
    assert kpis.hours(5400) == Decimal("1.50")
    assert kpis.hours(18) == Decimal("0.01")  # 0.005 → half up


def test_the_schema_example_fits_the_serializer():
    serializer = DashboardWeldingSerializer(data=WELDING_EXAMPLE)
    assert serializer.is_valid(), serializer.errors
