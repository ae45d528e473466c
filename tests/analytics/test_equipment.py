import csv
import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from django.utils import timezone

from equipment.models import Equipment
from tests.analytics import expected
from tests.analytics.conftest import BASE, as_json_numbers
from tests.contract import assert_error
from tests.factories import EquipmentFactory

URL = f"{BASE}equipment"
TODAY = dt.datetime(2026, 12, 6, 12, 0, 0)


def answer(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return as_json_numbers(response.json())


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def equipment(
    *, created_at: dt.datetime, last_service: dt.date | None, interval: int | None, **kw
) -> Equipment:
    """Equipment with its schedule, created at `created_at` (set after the fact: automatic)."""
    item = EquipmentFactory(last_service_date=last_service, service_interval_days=interval, **kw)
    Equipment.objects.filter(pk=item.pk).update(created_at=created_at)
    item.refresh_from_db()
    return item


@pytest.fixture
def fleet(db):
    """Equipment created over ~10 months before 2026-12-06, seeded random: services due from
    last summer to next spring, some without an interval or a last service."""
    rng = random.Random(20261206)
    now = local(2026, 12, 6, 12, 0, 0)
    for n in range(70):
        created = now - dt.timedelta(days=rng.uniform(0, 300), seconds=rng.randint(0, 86399))
        last = None if rng.random() < 0.1 else dt.date(2026, 12, 6) - dt.timedelta(days=rng.randint(0, 200))
        interval = None if rng.random() < 0.12 else rng.choice([7, 30, 45, 90, 180])
        equipment(created_at=created, last_service=last, interval=interval, equipment_id=f"F-{n:02d}")


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_figures_match_an_independent_computation(api, fleet, freeze, interval, zone):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        # `to` on a Wednesday in mid-month: the last week and month are cut
        start, end = dt.date(2026, 5, 13), dt.date(2026, 12, 16)
        for horizon_days in (90, 17):
            data = answer(
                api, **{"from": start, "to": end, "interval": interval, "horizon_days": horizon_days}
            )
            want = expected.equipment(start, end, interval, today=TODAY.date(), horizon_days=horizon_days)
            assert data["buckets"] == want["buckets"]
            assert data["due"] == want["due"]
            assert (data["from"], data["to"], data["interval"], data["horizon_days"]) == (
                str(start),
                str(end),
                interval,
                horizon_days,
            )
        assert sum(b["services_due"] for b in data["due"]["buckets"]) > 0
        assert data["due"]["overdue_now"] > 0 and data["due"]["without_schedule"] > 0


def test_overdue_from_the_day_after_the_due_date(api, db, freeze):
    """Due on 2026-11-10: compliant at the end of the 9th; overdue on the 11th (due before
    that day), so not compliant at the end of the 10th. Created one second past local
    midnight (Berlin): counted from that day on."""
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        freeze(timezone.make_aware(TODAY))
        equipment(
            created_at=local(2026, 11, 1, 0, 0, 0), last_service=dt.date(2026, 11, 3), interval=7
        )  # due 11-10
        equipment(created_at=local(2026, 11, 10, 0, 0, 1), last_service=None, interval=None)
        equipment(
            created_at=local(2026, 11, 10, 23, 59, 59), last_service=dt.date(2026, 11, 1), interval=None
        )
        late = equipment(
            created_at=local(2026, 11, 11, 0, 0, 1), last_service=dt.date(2026, 10, 1), interval=30
        )  # due 10-31: overdue as soon as it exists
        assert late.next_service_due == dt.date(2026, 10, 31)

        data = answer(api, **{"from": "2026-11-08", "to": "2026-11-12", "interval": "day"})
        figures = [
            (b["start"], b["equipment"], b["compliant"], b["compliance_rate"]) for b in data["buckets"]
        ]
        assert figures == [
            ("2026-11-08", 1, 1, 1.0),
            ("2026-11-09", 1, 1, 1.0),
            ("2026-11-10", 3, 2, 0.6667),
            ("2026-11-11", 4, 2, 0.5),
            ("2026-11-12", 4, 2, 0.5),
        ]
        want = expected.equipment(dt.date(2026, 11, 8), dt.date(2026, 11, 12), "day", today=TODAY.date())
        assert data["buckets"] == want["buckets"]
        # the week cut to Sunday 11-08 and the month cut to 11-12 see the same ends
        data = answer(api, **{"from": "2026-11-02", "to": "2026-11-12", "interval": "week"})
        assert [(b["end"], b["equipment"], b["compliant"]) for b in data["buckets"]] == [
            ("2026-11-08", 1, 1),
            ("2026-11-12", 4, 2),
        ]


def test_due_after_a_cut_last_bucket_is_not_overdue(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    # due Friday 2026-11-13; the range ends Wednesday the 11th, in the same ISO week and month
    equipment(created_at=local(2026, 1, 5, 8, 0), last_service=dt.date(2026, 11, 6), interval=7)
    for interval in ("week", "month"):
        data = answer(api, **{"from": "2026-11-01", "to": "2026-11-11", "interval": interval})
        assert data["buckets"][-1]["end"] == "2026-11-11"
        assert data["buckets"][-1]["compliant"] == 1


def test_equipment_without_an_interval_is_compliant(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    equipment(created_at=local(2025, 1, 1, 8, 0), last_service=dt.date(2025, 1, 1), interval=None)
    equipment(created_at=local(2025, 1, 1, 8, 0), last_service=None, interval=30)
    data = answer(api, interval="month")
    assert all(b["equipment"] == b["compliant"] == 2 and b["compliance_rate"] == 1 for b in data["buckets"])
    assert data["due"]["without_schedule"] == 2
    assert data["due"]["overdue_now"] == 0
    assert all(b["services_due"] == 0 for b in data["due"]["buckets"])


def test_empty_ranges_have_every_bucket(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    data = answer(api)
    assert (data["from"], data["to"], data["interval"], data["horizon_days"]) == (
        "2026-09-08",
        "2026-12-06",
        "week",
        90,
    )
    assert len(data["buckets"]) == 13
    assert all(b["equipment"] == 0 and b["compliance_rate"] is None for b in data["buckets"])
    due = data["due"]
    assert (due["from"], due["to"]) == ("2026-12-06", "2027-03-05")
    assert due["buckets"][0] == {
        "start": "2026-12-06",
        "end": "2026-12-06",
        "label": "2026-W49",
        "services_due": 0,
    }
    assert due["buckets"][-1]["end"] == "2027-03-05"
    assert len(due["buckets"]) == 14
    assert (due["overdue_now"], due["without_schedule"]) == (0, 0)


def test_services_due_from_today_for_horizon_days(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    created = local(2026, 1, 5, 8, 0)
    for due in (dt.date(2026, 12, 5), dt.date(2026, 12, 6), dt.date(2026, 12, 7), dt.date(2026, 12, 8)):
        equipment(created_at=created, last_service=due - dt.timedelta(days=10), interval=10)
    data = answer(api, horizon_days=2, interval="day")
    assert data["due"]["from"] == "2026-12-06" and data["due"]["to"] == "2026-12-07"
    assert [b["services_due"] for b in data["due"]["buckets"]] == [1, 1]
    assert data["due"]["overdue_now"] == 1  # due yesterday: overdue today, in no bucket
    data = answer(api, horizon_days=1, interval="month")
    assert data["due"]["buckets"] == [
        {"start": "2026-12-06", "end": "2026-12-06", "label": "2026-12", "services_due": 1}
    ]
    # compliance at the end of today: the ones due yesterday and today are overdue then
    assert data["buckets"][-1]["equipment"] == 4 and data["buckets"][-1]["compliant"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"horizon_days": "0"}, "horizon_days"),
        ({"horizon_days": "3651"}, "horizon_days"),
        ({"horizon_days": "-5"}, "horizon_days"),
        ({"horizon_days": "ninety"}, "horizon_days"),
        ({"horizon_days": "1001", "interval": "day"}, "horizon_days"),  # 1001 buckets
        ({"interval": "year"}, "interval"),
        ({"window_days": "30"}, "window_days"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_422(api, db, params, field):
    response = api.get(URL, params)
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


def test_longest_horizons_are_accepted(api, db):
    assert len(answer(api, horizon_days=1000, interval="day")["due"]["buckets"]) == 1000
    assert answer(api, horizon_days=3650, interval="month")["horizon_days"] == 3650


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_and_xlsx_compliance_rows_then_due_rows(api, fleet, freeze):
    freeze(timezone.make_aware(TODAY))
    params = {"from": "2026-09-15", "to": "2026-12-06", "interval": "month", "horizon_days": 60}
    data = answer(api, **params)
    due = data["due"]
    want_rows = [
        [
            "compliance",
            b["start"],
            b["end"],
            b["label"],
            b["equipment"],
            b["compliant"],
            b["compliance_rate"],
            None,
            None,
            None,
        ]
        for b in data["buckets"]
    ] + [
        [
            "due",
            b["start"],
            b["end"],
            b["label"],
            None,
            None,
            None,
            b["services_due"],
            due["overdue_now"],
            due["without_schedule"],
        ]
        for b in due["buckets"]
    ]
    assert len(want_rows) == 4 + 3

    def same(cell, value) -> bool:
        if value is None:
            return cell in ("", None)
        if isinstance(value, int | float):
            return Decimal(str(cell)) == Decimal(str(value))
        if isinstance(cell, dt.datetime):
            return cell.date().isoformat() == value
        return cell == value

    response = api.get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert rows[0] == [
        "Series",
        "Start",
        "End",
        "Label",
        "equipment",
        "compliant",
        "compliance_rate",
        "services_due",
        "overdue_now",
        "without_schedule",
    ]
    assert len(rows) == 1 + len(want_rows)
    for got, want in zip(rows[1:], want_rows, strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)

    response = api.get(URL, {**params, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(_content(response)), read_only=True).active
    # a read-only sheet leaves out a row's trailing empty cells
    cells = [[*r, *[None] * (len(rows[0]) - len(r))] for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == rows[0] and len(cells) == 1 + len(want_rows)
    for got, want in zip(cells[1:], want_rows, strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)


def test_constant_queries_whatever_the_rows(api, db, django_assert_max_num_queries, settings, freeze):
    settings.DASHBOARD_CACHE_SECONDS = 0
    freeze(timezone.make_aware(TODAY))
    params = {"from": "2026-01-01", "to": "2026-12-06", "interval": "day", "horizon_days": 365}
    equipment(created_at=local(2026, 3, 1, 8, 0), last_service=dt.date(2026, 11, 1), interval=30)
    with django_assert_max_num_queries(3):  # the user, then the two of the endpoint
        assert api.get(URL, params).status_code == 200
    rng = random.Random(2)
    Equipment.objects.bulk_create(
        [
            Equipment(
                equipment_id=f"Q-{n:03d}",
                name=f"Welder {n}",
                last_service_date=None
                if n % 9 == 0
                else dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 330)),
                service_interval_days=None if n % 11 == 0 else rng.choice([30, 90, 180]),
            )
            for n in range(300)
        ]
    )
    with django_assert_max_num_queries(3):
        data = api.get(URL, params).json()
    assert data["buckets"][-1]["equipment"] == 301


def test_any_role_reads_anonymous_does_not(client_for, anon, db):
    for role in ("admin", "manager", "operator", "viewer"):
        assert client_for(role).get(URL).status_code == 200
    assert anon.get(URL).status_code == 401
