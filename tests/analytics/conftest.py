import datetime as dt
import random

import pytest
from django.utils import timezone

from tests.factories import WorkOrderFactory
from workorders.models import WorkOrder

BASE = "/api/v1/analytics/"


def as_json_numbers(data):
    """The answer with Decimals as floats (what a JSON client reads)."""
    import json  # noqa: PLC0415

    return json.loads(json.dumps(data, default=float))


@pytest.fixture(autouse=True)
def _figures_uncached(settings):
    """The figures' tests read, write and read again inside one test transaction, whose
    commit (hence the cache's invalidation, `dashboard.cache.invalidate_on_commit`) never
    comes: they read uncached, as without Redis. The cache itself is tested in
    test_files_and_cache.py, which turns it back on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture
def freeze(monkeypatch):
    """`freeze(aware_datetime)`: Django's clock (timezone.now, hence localdate) stops there."""

    def _freeze(moment: dt.datetime) -> dt.datetime:
        assert timezone.is_aware(moment)
        utc = moment.astimezone(dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: utc)
        return moment

    return _freeze


def backdate(
    order: WorkOrder, *, created_at: dt.datetime, completed_at: dt.datetime | None = None
) -> WorkOrder:
    """Set the timestamps the API would not (created_at is automatic)."""
    WorkOrder.objects.filter(pk=order.pk).update(created_at=created_at, completed_at=completed_at)
    order.refresh_from_db()
    return order


@pytest.fixture
def history(db):
    """Work orders over ~5 months before 2026-12-06, seeded random: every status, some
    without a due date, completion times at odd seconds, a few completed without a time."""
    rng = random.Random(20261206)
    now = timezone.make_aware(dt.datetime(2026, 12, 6, 12, 0, 0))
    orders = []
    for _ in range(160):
        created = now - dt.timedelta(days=rng.uniform(0, 150), seconds=rng.randint(0, 86399))
        status = rng.choice(
            ["pending", "in_progress", "on_hold", "completed", "completed", "completed", "cancelled"]
        )
        due = None if rng.random() < 0.12 else (created + dt.timedelta(days=rng.randint(-2, 30))).date()
        completed = None
        if status == "completed" and rng.random() > 0.05:
            completed = created + dt.timedelta(days=rng.uniform(0, 40), seconds=rng.randint(0, 86399))
            completed = min(completed, now)
        order = WorkOrderFactory(
            client=rng.choice(["Acme", "Northern Steel", "Harbour Works", "Pipeline Co", "Zed"]),
            status=status,
            due_date=due,
            assigned_welder=None,
        )
        orders.append(backdate(order, created_at=created, completed_at=completed))
    return orders


QUALITY_CLIENTS = [f"Client {i:02d}" for i in range(23)] + ["=cmd()"]
INSPECTORS = [f"Inspector {chr(65 + i)}" for i in range(24)]


@pytest.fixture
def inspection_history(db):
    """Inspections over ~5 months before 2026-12-06, seeded random, on work orders of 8
    welders (and some without one) for 24 clients (one named `=cmd()`): every method and
    defect type, 24 inspectors and none, some work orders inspected twice at the same moment
    (the first by id), completion times and due dates as in `history`. One employee has no
    work at all."""
    from inspections.models import DefectType, Inspection, InspectionMethod  # noqa: PLC0415
    from tests.factories import EmployeeFactory  # noqa: PLC0415

    rng = random.Random(20261207)
    now = timezone.make_aware(dt.datetime(2026, 12, 6, 12, 0, 0))
    names = [
        "alice Archer",
        "Bob Brown",
        "carl Cole",
        "Dana Dunn",
        "Eve East",
        "Finn Fox",
        "gus Gray",
        "Hal Hill",
    ]
    welders = [EmployeeFactory(employee_id=f"EMP-{i:02d}", name=name) for i, name in enumerate(names)]
    EmployeeFactory(employee_id="EMP-99", name="Ida Idle", role="Apprentice")
    inspections = []
    for n in range(90):
        created = now - dt.timedelta(days=rng.uniform(0, 150), seconds=rng.randint(0, 86399))
        status = rng.choice(["pending", "in_progress", "completed", "completed", "completed", "cancelled"])
        due = None if rng.random() < 0.12 else (created + dt.timedelta(days=rng.randint(-2, 30))).date()
        completed = None
        if status == "completed" and rng.random() > 0.05:
            completed = min(
                created + dt.timedelta(days=rng.uniform(0, 40), seconds=rng.randint(0, 86399)), now
            )
        order = WorkOrderFactory(
            client=rng.choice(QUALITY_CLIENTS),
            status=status,
            due_date=due,
            assigned_welder=None if rng.random() < 0.1 else rng.choice(welders),
        )
        backdate(order, created_at=created, completed_at=completed)
        moment = created
        for i in range(rng.choice([0, 1, 1, 2, 3, 5])):
            if not (i == 1 and rng.random() < 0.3):  # else: at the same moment as the first
                moment = moment + dt.timedelta(days=rng.uniform(0, 20), seconds=rng.randint(0, 86399))
            failed = rng.random() < 0.3
            inspections.append(
                Inspection(
                    inspection_id=f"QC-{n:03d}-{i}",
                    work_order=order,
                    # skewed: the first inspectors inspect most; sometimes nobody is named
                    inspector="" if rng.random() < 0.08 else rng.choice(INSPECTORS[: rng.randint(1, 24)]),
                    result="fail" if failed else "pass",
                    defect_type=rng.choice(DefectType.values) if failed else None,
                    method=rng.choice(InspectionMethod.values),
                    inspected_at=min(moment, now),
                )
            )
    Inspection.objects.bulk_create(inspections)
    return inspections
