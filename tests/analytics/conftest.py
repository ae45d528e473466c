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
