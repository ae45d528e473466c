"""`manage.py seed_demo --history`: a made-up year of the demo shop, so that a new user sees
trends — work orders created across 12 months and mostly completed (some late), inspections
with passes and fails, stock movements that add up to the items' quantities, equipment with
service dates. Loaded once."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from dashboard import cache as dashboard_cache
from equipment.models import Equipment
from inspections.models import Inspection
from inventory.models import Item, StockMovement
from staff.demo_history import load_history
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-users", *args, stdout=out)
    return out.getvalue()


def months(moments) -> set[tuple[int, int]]:
    return {(m.year, m.month) for m in (timezone.localtime(x) for x in moments)}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the seed stores the files it imports


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the read-only checks of a class (a few seconds), rolled back after."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            started = timezone.now()
            out = seed("--history")
            yield {"out": out, "started": started, "ended": timezone.now()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestTheYear:
    def test_the_command_says_what_it_made(self, seeded):
        assert "History of the last 12 months: " in seeded["out"]
        assert " work orders (" in seeded["out"] and " inspections, " in seeded["out"]

    def test_work_orders_are_created_across_twelve_months(self, seeded):
        history = WorkOrder.objects.filter(order_id__startswith="WO-H")
        created = list(history.values_list("created_at", flat=True))
        assert len(created) > 200
        assert min(created) >= seeded["started"] - dt.timedelta(days=366)
        assert max(created) <= seeded["ended"]
        assert len(months(created)) >= 12  # every month of the year (13 with today's)
        per_month = defaultdict(int)
        for moment in created:
            per_month[(timezone.localtime(moment).year, timezone.localtime(moment).month)] += 1
        assert min(per_month[m] for m in sorted(per_month)[1:-1]) >= 10  # no thin whole month

    def test_most_are_completed_after_creation_some_late_most_on_time(self, seeded):
        history = list(WorkOrder.objects.filter(order_id__startswith="WO-H"))
        completed = [o for o in history if o.status == "completed"]
        assert len(completed) >= 0.75 * len(history)
        assert all(
            o.completed_at is not None and o.created_at < o.completed_at <= seeded["ended"] for o in completed
        )
        assert all(o.completed_at is None for o in history if o.status != "completed")
        late = [o for o in completed if timezone.localtime(o.completed_at).date() > o.due_date]
        assert 0.05 * len(completed) <= len(late) <= 0.5 * len(completed)
        assert len(months(o.completed_at for o in completed)) >= 12
        assert {o.status for o in history} >= {"completed", "in_progress", "cancelled"}
        assert len({o.assigned_welder_id for o in history}) >= 3
        assert len({o.client for o in history}) >= 5

    def test_inspections_pass_and_fail_across_the_months(self, seeded):
        rows = list(Inspection.objects.filter(inspection_id__startswith="QC-H").select_related("work_order"))
        assert len(months(i.inspected_at for i in rows)) >= 12
        fails = [i for i in rows if i.result == "fail"]
        assert 0.03 * len(rows) <= len(fails) <= 0.4 * len(rows)
        assert all(i.defect_type for i in fails) and all(
            i.defect_type is None for i in rows if i.result == "pass"
        )
        assert len({i.defect_type for i in fails}) >= 5
        assert {i.method for i in rows} == {"VT", "PT", "MT", "UT", "RT"}
        assert len({i.inspector for i in rows}) >= 3
        for i in rows:
            assert i.work_order.created_at <= i.inspected_at <= seeded["ended"]
            if i.work_order.completed_at is not None:
                assert i.inspected_at <= i.work_order.completed_at
        assert all(i.created_at == i.inspected_at for i in rows)
        # A completed order's last inspection passed.
        last = {}
        for i in sorted(rows, key=lambda i: i.inspected_at):
            last[i.work_order_id] = i
        assert all(i.result == "pass" for i in last.values() if i.work_order.status == "completed")

    def test_stock_moves_across_the_months_and_adds_up(self, seeded):
        for item in Item.objects.all():
            ledger = list(item.movements.order_by("created_at", "id"))
            reasons = {m.reason for m in ledger}
            assert reasons == {"receipt", "consumption"}, item.item_id
            assert len(months(m.created_at for m in ledger if m.reason == "consumption")) >= 12
            running = 0
            for movement in ledger:
                running += movement.delta
                assert movement.quantity_after == running >= 0, (item.item_id, movement.pk)
            assert running == item.quantity  # the ledger still sums to the quantity
            assert item.created_at <= ledger[0].created_at
        assert StockMovement.objects.filter(work_order__isnull=False).exists()
        # The items kept the quantities of the shop's file.
        assert dict(Item.objects.values_list("item_id", "quantity")) == {
            "INV-001": 50,
            "INV-002": 5,
            "INV-003": 20,
            "INV-004": 100,
        }

    def test_equipment_with_service_dates(self):
        history = list(Equipment.objects.filter(equipment_id__startswith="EQ-H"))
        assert len(history) >= 5
        assert all(e.last_service_date and e.service_interval_days for e in history)
        overdue = [e for e in history if e.service_overdue]
        assert 1 <= len(overdue) < len(history)

    def test_the_shops_files_are_loaded_as_before(self):
        assert ExcelImport.objects.count() == 13  # the shop's five files and the welding demo's eight
        assert WorkOrder.objects.exclude(order_id__startswith="WO-H").count() == 5
        shop = Inspection.objects.exclude(inspection_id__startswith="QC-H").exclude(
            inspection_id__startswith="QC-W"
        )
        assert shop.count() == 5  # the welding demo adds QC-W-… on its welds


@pytest.mark.django_db
class TestOnce:
    def test_a_second_run_changes_nothing(self):
        seed("--history")
        tables = (WorkOrder, Inspection, StockMovement, Equipment, Item)
        before = {model: list(model.objects.order_by("pk").values()) for model in tables}
        out = seed("--history")
        assert "History of the last 12 months: already loaded" in out
        assert {model: list(model.objects.order_by("pk").values()) for model in tables} == before

    def test_without_the_flag_there_is_no_history(self):
        seed()
        assert not WorkOrder.objects.filter(order_id__startswith="WO-H").exists()
        assert "History" not in seed()

    def test_the_history_can_follow_an_earlier_seed(self):
        seed()
        seed("--history")
        assert WorkOrder.objects.filter(order_id__startswith="WO-H").count() > 200
        assert Item.objects.get(item_id="INV-001").movements.aggregate(s=Sum("delta"))["s"] == 50

    def test_the_same_day_gives_the_same_year(self):
        seed()
        now = timezone.now()

        def year():
            return (
                list(
                    WorkOrder.objects.filter(order_id__startswith="WO-H")
                    .order_by("order_id")
                    .values_list("order_id", "client", "status", "due_date", "created_at", "completed_at")
                ),
                list(
                    Inspection.objects.filter(inspection_id__startswith="QC-H")
                    .order_by("inspection_id")
                    .values_list("inspection_id", "work_order__order_id", "result", "defect_type", "method")
                ),
            )

        load_history(now=now)
        first = year()
        StockMovement.objects.filter(note="Demo history.").delete()
        Inspection.objects.filter(inspection_id__startswith="QC-H").delete()
        WorkOrder.objects.filter(order_id__startswith="WO-H").delete()
        Equipment.objects.filter(equipment_id__startswith="EQ-H").delete()
        load_history(now=now)
        assert year() == first

    def test_the_dashboard_cache_is_made_stale(self):
        seed()
        version = dashboard_cache.current_version()
        seed("--history")
        assert dashboard_cache.current_version() != version

    def test_an_item_with_a_ledger_of_its_own_is_left_alone(self):
        seed()
        item = Item.objects.get(item_id="INV-001")
        from inventory.services import item_adjust_stock

        item_adjust_stock(item_id=item.pk, delta=-5, reason="consumption")
        before = list(item.movements.order_by("pk").values())
        seed("--history")
        assert list(item.movements.order_by("pk").values()) == before
        assert Item.objects.get(item_id="INV-002").movements.count() > 10
