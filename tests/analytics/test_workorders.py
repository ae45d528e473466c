import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.analytics import expected
from tests.analytics.conftest import BASE, as_json_numbers, backdate
from tests.contract import assert_error
from tests.factories import WorkOrderFactory

URL = f"{BASE}workorders"
TODAY = dt.datetime(2026, 12, 6, 12, 0, 0)


def answer(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return as_json_numbers(response.json())


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_figures_match_an_independent_computation(api, history, freeze, interval, zone):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        start, end = dt.date(2026, 7, 15), dt.date(2026, 12, 6)
        data = answer(api, **{"from": start, "to": end, "interval": interval})
        want = expected.workorders(start, end, interval)
        assert data["buckets"] == want["buckets"]
        assert data["totals"] == want["totals"]
        assert data["left_out"] == want["left_out"]
        assert (data["from"], data["to"], data["interval"]) == (str(start), str(end), interval)


def test_group_by_client_gives_each_clients_series(api, history, freeze):
    freeze(timezone.make_aware(TODAY))
    start, end = dt.date(2026, 9, 1), dt.date(2026, 12, 6)
    data = answer(api, **{"from": start, "to": end, "interval": "month", "group_by": "client"})
    assert data["group_by"] == "client"
    keys = [g["key"] for g in data["groups"]]
    assert sorted(keys) == sorted(
        {o.client for o in history if start <= expected.local_day(o.created_at) <= end}
    )
    for group in data["groups"]:
        want = expected.workorders(start, end, "month", client=group["key"])
        assert group["buckets"] == want["buckets"]
        assert group["totals"] == want["totals"]


def test_default_range_is_the_last_90_days_by_week(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    data = answer(api)
    assert data["to"] == "2026-12-06"
    assert data["from"] == str(dt.date(2026, 12, 6) - dt.timedelta(days=89))
    assert data["interval"] == "week"
    # every bucket present, zeros not gaps; the first is cut to `from`
    assert data["buckets"][0]["start"] == data["from"]
    assert data["buckets"][-1]["end"] == "2026-12-06"
    assert all(b["created"] == 0 and b["on_time_rate"] is None for b in data["buckets"])
    assert data["totals"]["lead_time_median_days"] is None


def test_late_by_one_second_past_local_midnight(api, db, freeze):
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        freeze(timezone.make_aware(TODAY))
        due = dt.date(2026, 11, 10)
        on_time = WorkOrderFactory(status="completed", due_date=due)
        late = WorkOrderFactory(status="completed", due_date=due)
        created = timezone.make_aware(dt.datetime(2026, 11, 1, 8, 0))
        backdate(
            on_time,
            created_at=created,
            completed_at=timezone.make_aware(dt.datetime(2026, 11, 10, 23, 59, 59)),
        )
        backdate(
            late, created_at=created, completed_at=timezone.make_aware(dt.datetime(2026, 11, 11, 0, 0, 1))
        )
        data = answer(api, **{"from": "2026-11-09", "to": "2026-11-12", "interval": "day"})
        by_day = {b["start"]: b for b in data["buckets"]}
        assert by_day["2026-11-10"]["completed_on_time"] == 1
        assert by_day["2026-11-11"]["completed"] == 1
        assert by_day["2026-11-11"]["completed_on_time"] == 0
        assert by_day["2026-11-11"]["on_time_rate"] == 0.0
        assert data["totals"]["on_time_rate"] == 0.5
        # the late one is overdue at the end of the 10th (open, due that day)
        assert by_day["2026-11-10"]["overdue_at_end"] == 1
        assert by_day["2026-11-11"]["overdue_at_end"] == 0


def test_one_row_and_a_bucket_of_only_cancelled_orders(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    done = WorkOrderFactory(status="completed", due_date=dt.date(2026, 12, 1))
    backdate(
        done,
        created_at=timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0)),
        completed_at=timezone.make_aware(dt.datetime(2026, 11, 5, 22, 0)),
    )
    for _ in range(3):
        backdate(
            WorkOrderFactory(status="cancelled"),
            created_at=timezone.make_aware(dt.datetime(2026, 11, 17, 9, 0)),
        )
    data = answer(api, **{"from": "2026-11-02", "to": "2026-11-29", "interval": "week"})
    first, _, third, _ = data["buckets"]
    assert first["completed"] == 1 and first["lead_time_median_days"] == first["lead_time_p90_days"] == 3.5
    assert first["on_time_rate"] == 1.0
    assert third["created"] == 3 and third["completed"] == 0 and third["on_time_rate"] is None
    assert third["open_at_end"] == 0  # cancelled orders are never open


def test_week_buckets_across_new_year_and_dst(api, db):
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        data = answer(api, **{"from": "2026-12-24", "to": "2027-01-13", "interval": "week"})
        assert [(b["start"], b["end"], b["label"]) for b in data["buckets"]] == [
            ("2026-12-24", "2026-12-27", "2026-W52"),
            ("2026-12-28", "2027-01-03", "2026-W53"),
            ("2027-01-04", "2027-01-10", "2027-W01"),
            ("2027-01-11", "2027-01-13", "2027-W02"),
        ]
        # a day bucket across the autumn DST change holds 25 hours: an order at 23:30 local is in it
        order = WorkOrderFactory()
        backdate(order, created_at=timezone.make_aware(dt.datetime(2026, 10, 25, 23, 30)))
        data = answer(api, **{"from": "2026-10-25", "to": "2026-10-26", "interval": "day"})
        assert [b["created"] for b in data["buckets"]] == [1, 0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"interval": "year"}, "interval"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-12-06", "to": "2026-12-01"}, "from"),
        ({"group_by": "welder"}, "group_by"),
        ({"format": "pdf"}, "format"),
        ({"colour": "red"}, "colour"),
        ({"from": "1990-01-01", "to": "2026-01-01", "interval": "day"}, "interval"),
        ({"from": "0001-01-01"}, "from"),
    ],
)
def test_bad_parameters_are_422(api, db, params, field):
    response = api.get(URL, params)
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


def test_constant_queries_whatever_the_rows(api, history, django_assert_max_num_queries, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    # the user; the counts, the lead times per bucket and overall, the orders left out; the
    # top clients, then their counts and lead times
    with django_assert_max_num_queries(9):
        response = api.get(
            URL, {"from": "2026-07-01", "to": "2026-12-06", "interval": "day", "group_by": "client"}
        )
    assert len(response.json()["groups"]) == 5


def test_any_role_reads_anonymous_does_not(client_for, anon, db):
    for role in ("admin", "manager", "operator", "viewer"):
        assert client_for(role).get(URL).status_code == 200
    assert anon.get(URL).status_code == 401
