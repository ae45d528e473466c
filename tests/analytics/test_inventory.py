import csv
import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from django.utils import timezone

from inventory.models import Item, StockMovement
from inventory.services import item_adjust_stock, item_update
from tests.analytics import expected
from tests.analytics.conftest import BASE, as_json_numbers
from tests.contract import assert_error
from tests.factories import ItemFactory

URL = f"{BASE}inventory"
TODAY = dt.datetime(2026, 12, 6, 12, 0, 0)


def answer(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return as_json_numbers(response.json())


def move(item: Item, delta: int, reason: str, at: dt.datetime) -> StockMovement:
    """A movement through the real service, then dated `at` (created_at is automatic)."""
    movement = item_adjust_stock(item_id=item.pk, delta=delta, reason=reason)
    StockMovement.objects.filter(pk=movement.pk).update(created_at=at)
    return movement


def correct(item: Item, quantity: int, at: dt.datetime) -> None:
    """A quantity edited through the real service (a `correction`), dated `at`."""
    item.refresh_from_db()
    if quantity == item.quantity:
        return
    item_update(item=item, data={"quantity": quantity})
    latest = StockMovement.objects.filter(item=item, reason="correction").latest("id")
    StockMovement.objects.filter(pk=latest.pk).update(created_at=at)


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def stock(db):
    """Items with ~4 months of receipts, consumption and corrections before 2026-12-06 (a few
    later that day), seeded random; and the cases by name: receipts only, low and never
    consumed, consumed down to zero, consumed only before any window, never moved."""
    rng = random.Random(20261206)
    now = local(2026, 12, 6, 12, 0, 0)

    def when() -> dt.datetime:
        return now - dt.timedelta(days=rng.uniform(-0.35, 120), seconds=rng.randint(0, 86399))

    for n in range(14):
        item = ItemFactory(
            item_id=f"R-{n:02d}", quantity=rng.randint(0, 150), reorder_level=rng.randint(0, 40)
        )
        for _ in range(rng.randint(0, 30)):
            item.refresh_from_db()
            kind = rng.choice(["receipt", "consumption", "consumption", "consumption", "correction"])
            if kind == "receipt":
                move(item, rng.randint(1, 60), "receipt", when())
            elif kind == "consumption" and item.quantity:
                move(item, -rng.randint(1, min(item.quantity, 25)), "consumption", when())
            elif kind == "correction":
                correct(item, max(0, item.quantity + rng.randint(-5, 5)) or 1, when())

    receipts_only = ItemFactory(item_id="S-RECEIPTS", quantity=5, reorder_level=2)
    move(receipts_only, 40, "receipt", local(2026, 11, 20, 9, 0))
    move(receipts_only, 10, "receipt", local(2026, 12, 1, 9, 0))
    correct(receipts_only, 52, local(2026, 12, 2, 9, 0))

    low_never = ItemFactory(item_id="S-LOW", quantity=3, reorder_level=10)
    move(low_never, 1, "receipt", local(2026, 11, 3, 9, 0))

    to_zero = ItemFactory(item_id="S-ZERO", quantity=12, reorder_level=0)
    move(to_zero, -12, "consumption", local(2026, 12, 4, 15, 0))

    long_ago = ItemFactory(item_id="S-OLD", quantity=40, reorder_level=5)
    move(long_ago, -20, "consumption", local(2026, 8, 10, 15, 0))

    ItemFactory(item_id="S-UNTOUCHED", quantity=7, reorder_level=1)


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_figures_match_an_independent_computation(api, stock, freeze, interval, zone):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        start, end = dt.date(2026, 8, 12), dt.date(2026, 12, 6)
        for window_days, lead_time_days in ((30, 14), (7, 30)):
            data = answer(
                api,
                **{
                    "from": start,
                    "to": end,
                    "interval": interval,
                    "window_days": window_days,
                    "lead_time_days": lead_time_days,
                },
            )
            want = expected.inventory(
                start,
                end,
                interval,
                today=TODAY.date(),
                window_days=window_days,
                lead_time_days=lead_time_days,
            )
            assert data["count"] == want["count"] == 19
            assert data["items"] == want["items"]
            assert (data["from"], data["to"], data["interval"]) == (str(start), str(end), interval)
            assert (data["window_days"], data["lead_time_days"]) == (window_days, lead_time_days)


def test_the_named_cases(api, stock, freeze):
    freeze(timezone.make_aware(TODAY))
    data = answer(api, **{"from": "2026-08-01", "to": "2026-12-06", "interval": "month"})
    items = {i["item_id"]: i for i in data["items"]}

    # receipts only: received, nothing consumed, no forecast, not low: no reorder
    receipts = items["S-RECEIPTS"]
    assert receipts["receipts"] == 50 and receipts["consumption"] == 0  # the correction is neither
    assert [b["receipts"] for b in receipts["buckets"]] == [0, 0, 0, 40, 10]
    assert receipts["average_daily_consumption"] == 0
    assert receipts["days_of_stock"] is None and receipts["stockout_date"] is None
    assert receipts["reorder_now"] is False

    # never consumed but low on stock: reorder
    low = items["S-LOW"]
    assert low["days_of_stock"] is None and low["stockout_date"] is None
    assert low["is_low_stock"] is True and low["reorder_now"] is True

    # consumed down to zero: no days left, out of stock today
    zero = items["S-ZERO"]
    assert zero["quantity"] == 0
    assert zero["average_daily_consumption"] == 0.4  # 12 in 30 days
    assert zero["days_of_stock"] == 0 and zero["stockout_date"] == "2026-12-06"
    assert zero["reorder_now"] is True

    # consumed in the range but not in the window: no forecast
    old = items["S-OLD"]
    assert old["consumption"] == 20 and old["buckets"][0]["consumption"] == 20
    assert old["days_of_stock"] is None and old["reorder_now"] is False

    untouched = items["S-UNTOUCHED"]
    assert all(b["consumption"] == b["receipts"] == 0 for b in untouched["buckets"])
    assert len(untouched["buckets"]) == 5

    # sorted by days of stock, the items without a forecast last (by item_id)
    days = [i["days_of_stock"] for i in data["items"]]
    known = [d for d in days if d is not None]
    assert known == sorted(known) and days[: len(known)] == known
    unknown = [i["item_id"] for i in data["items"] if i["days_of_stock"] is None]
    assert unknown == sorted(unknown)


def test_limit_caps_the_items_count_is_all(api, stock, freeze):
    freeze(timezone.make_aware(TODAY))
    data = answer(api, limit=3, interval="month")
    want = expected.inventory(dt.date(2026, 9, 8), dt.date(2026, 12, 6), "month", today=TODAY.date(), limit=3)
    assert data["count"] == 19
    assert data["items"] == want["items"]
    assert len(data["items"]) == 3


def test_forecast_from_the_window_ending_today(api, db, freeze):
    """Window of 7 days ending today (Berlin): 2026-11-30 00:00 to 2026-12-06 23:59:59 local;
    a movement one second past local midnight is on the next day."""
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        freeze(timezone.make_aware(TODAY))
        item = ItemFactory(item_id="W-1", quantity=1000, reorder_level=0)
        move(item, -100, "consumption", local(2026, 11, 29, 23, 59, 59))  # before the window
        move(item, -7, "consumption", local(2026, 11, 30, 0, 0, 0))  # its first moment
        move(item, -3, "consumption", local(2026, 12, 6, 23, 59, 59))  # its last moment
        move(item, -50, "consumption", local(2026, 12, 7, 0, 0, 1))  # tomorrow
        move(item, 10, "receipt", local(2026, 12, 1, 0, 0, 1))
        item.refresh_from_db()
        assert item.quantity == 850

        data = answer(api, **{"from": "2026-11-29", "to": "2026-12-07", "interval": "day", "window_days": 7})
        (row,) = data["items"]
        assert row["average_daily_consumption"] == round(10 / 7, 4) == 1.4286
        assert row["days_of_stock"] == 595.0  # 850 × 7 ÷ 10, from the exact average
        assert row["stockout_date"] == str(dt.date(2026, 12, 6) + dt.timedelta(days=595))
        assert row["reorder_now"] is False
        by_day = {b["start"]: b for b in row["buckets"]}
        assert by_day["2026-11-29"]["consumption"] == 100
        assert by_day["2026-11-30"]["consumption"] == 7
        assert by_day["2026-12-06"]["consumption"] == 3
        assert by_day["2026-12-07"]["consumption"] == 50
        assert by_day["2026-12-01"]["receipts"] == 10
        assert row["consumption"] == 160 and row["receipts"] == 10
        want = expected.inventory(
            dt.date(2026, 11, 29), dt.date(2026, 12, 7), "day", today=TODAY.date(), window_days=7
        )
        assert data["items"] == want["items"]

        # a window of one day is today alone; the lead time decides reorder_now
        data = answer(api, window_days=1, lead_time_days=300)
        (row,) = data["items"]
        assert row["average_daily_consumption"] == 3
        assert row["days_of_stock"] == 283.33 and row["stockout_date"] == "2027-09-15"
        assert row["reorder_now"] is True
        assert answer(api, window_days=1, lead_time_days=283)["items"][0]["reorder_now"] is False


def test_days_of_stock_round_half_up_and_whole_days_to_stockout(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    item = ItemFactory(item_id="H-1", quantity=1, reorder_level=0)
    move(item, 999, "receipt", local(2026, 11, 1, 8, 0))
    # 1000 in stock, 16 taken in 2 days: 8 a day, 125 days exactly
    move(item, -16, "consumption", local(2026, 12, 5, 8, 0))
    data = answer(api, window_days=2)
    (row,) = data["items"]
    assert row["quantity"] == 984
    assert row["average_daily_consumption"] == 8
    assert row["days_of_stock"] == 123.0 and row["stockout_date"] == "2027-04-08"
    assert answer(api, window_days=3)["items"][0]["days_of_stock"] == 184.5  # 984 × 3 ÷ 16
    # the window of today alone holds no consumption of it
    assert answer(api, window_days=1)["items"][0]["days_of_stock"] is None

    # 201 left after taking 200 today: 1.005 days, half up
    half = ItemFactory(item_id="H-2", quantity=401, reorder_level=0)
    move(half, -200, "consumption", local(2026, 12, 6, 9, 0))
    data = answer(api, window_days=1)
    assert data["items"][0]["item_id"] == "H-2"
    assert data["items"][0]["days_of_stock"] == 1.01
    assert data["items"][0]["stockout_date"] == "2026-12-07"


def test_no_items_and_every_bucket_present(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    data = answer(api)
    assert data["count"] == 0 and data["items"] == []
    assert (data["from"], data["to"], data["interval"]) == ("2026-09-08", "2026-12-06", "week")
    assert (data["window_days"], data["lead_time_days"]) == (30, 14)
    ItemFactory(item_id="E-1")
    data = answer(api, **{"from": "2026-12-24", "to": "2027-01-13", "interval": "week"})
    (row,) = data["items"]
    assert [(b["start"], b["end"], b["label"]) for b in row["buckets"]] == [
        ("2026-12-24", "2026-12-27", "2026-W52"),
        ("2026-12-28", "2027-01-03", "2026-W53"),
        ("2027-01-04", "2027-01-10", "2027-W01"),
        ("2027-01-11", "2027-01-13", "2027-W02"),
    ]
    assert all(b["consumption"] == 0 and b["receipts"] == 0 for b in row["buckets"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"window_days": "0"}, "window_days"),
        ({"window_days": "3651"}, "window_days"),
        ({"window_days": "-1"}, "window_days"),
        ({"window_days": "1.5"}, "window_days"),
        ({"window_days": "thirty"}, "window_days"),
        ({"lead_time_days": "-1"}, "lead_time_days"),
        ({"lead_time_days": "3651"}, "lead_time_days"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"interval": "year"}, "interval"),
        ({"group_by": "item"}, "group_by"),
        ({"from": "2026-12-06", "to": "2026-12-01"}, "from"),
    ],
)
def test_bad_parameters_are_422(api, db, params, field):
    response = api.get(URL, params)
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


def test_edges_of_the_numbers_are_accepted(api, db):
    for params in (
        {"window_days": 1, "lead_time_days": 0, "limit": 1},
        {"window_days": 3650, "lead_time_days": 3650, "limit": 1000},
    ):
        data = answer(api, **params)
        assert (data["window_days"], data["lead_time_days"]) == (
            params["window_days"],
            params["lead_time_days"],
        )


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_and_xlsx_one_row_per_item_and_bucket(api, stock, freeze):
    freeze(timezone.make_aware(TODAY))
    params = {"from": "2026-10-01", "to": "2026-12-06", "interval": "month", "limit": 4}
    data = answer(api, **params)
    want_rows = [
        [
            i["item_id"],
            i["item_name"],
            i["unit"],
            i["quantity"],
            i["reorder_level"],
            i["is_low_stock"],
            b["start"],
            b["end"],
            b["label"],
            b["consumption"],
            b["receipts"],
            i["average_daily_consumption"],
            i["days_of_stock"],
            i["stockout_date"],
            i["reorder_now"],
        ]
        for i in data["items"]
        for b in i["buckets"]
    ]
    assert len(want_rows) == 4 * 3

    response = api.get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Item ID", "Item name", "Unit"] and rows[0][-1] == "reorder_now"

    def same(cell: str, value) -> bool:
        if value is None:
            return cell == ""
        if isinstance(value, bool):  # a boolean cell (Excel reads True/False as one)
            return cell == str(value)
        if isinstance(value, int | float):
            return Decimal(cell) == Decimal(str(value))
        return cell == value

    assert len(rows) == 1 + len(want_rows)
    for got, want in zip(rows[1:], want_rows, strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)

    response = api.get(URL, {**params, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(_content(response)), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "Item ID" and len(cells) == 1 + len(want_rows)
    for got, want in zip(cells[1:], want_rows, strict=True):
        assert got[0] == want[0] and got[3] == want[3]
        assert got[6].date().isoformat() == want[6]
        assert got[9:11] == want[9:11]
        assert got[11] == pytest.approx(want[11])
        assert (got[12] is None) == (want[12] is None)


def test_constant_queries_whatever_the_rows(api, db, django_assert_max_num_queries, settings, freeze):
    settings.DASHBOARD_CACHE_SECONDS = 0
    freeze(timezone.make_aware(TODAY))
    params = {"from": "2026-07-01", "to": "2026-12-06", "interval": "day", "limit": 20}
    move(ItemFactory(item_id="Q-first"), -1, "consumption", local(2026, 11, 20, 9, 0))
    with django_assert_max_num_queries(4) as few:  # the user, then the three of the endpoint
        assert api.get(URL, params).status_code == 200
    Item.objects.bulk_create(
        [
            Item(item_id=f"Q-{n:03d}", item_name=f"Item {n}", quantity=500, reorder_level=n % 7)
            for n in range(60)
        ]
    )
    items = list(Item.objects.all())
    rng = random.Random(1)
    deltas = [rng.choice([-3, -1, 2, 5]) for _ in range(1500)]
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                item=rng.choice(items),
                delta=delta,
                quantity_after=500,
                reason="receipt" if delta > 0 else "consumption",
            )
            for delta in deltas
        ]
    )
    StockMovement.objects.update(created_at=local(2026, 11, 20, 10, 0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = api.get(URL, params).json()
    assert data["count"] == 61 and len(data["items"]) == 20


def test_any_role_reads_anonymous_does_not(client_for, anon, db):
    for role in ("admin", "manager", "operator", "viewer"):
        assert client_for(role).get(URL).status_code == 200
    assert anon.get(URL).status_code == 401
