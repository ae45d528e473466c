import datetime as dt
import random

import pytest
from django.utils import timezone

from tests.factories import (
    EmployeeFactory,
    EquipmentFactory,
    InspectionFactory,
    ItemFactory,
    WorkOrderFactory,
)

BASE = "/api/v1/dashboard/"
ENDPOINTS = {
    "stats": f"{BASE}stats",
    "workorders": f"{BASE}workorders",
    "equipment": f"{BASE}equipment",
    "inspections": f"{BASE}inspections",
    "inventory-alerts": f"{BASE}inventory/alerts",
    "employees": f"{BASE}employees",
}


@pytest.fixture
def freeze(monkeypatch):
    """`freeze(aware_datetime)`: Django's clock (timezone.now, hence localdate) stops there."""

    def _freeze(moment: dt.datetime) -> dt.datetime:
        assert timezone.is_aware(moment)
        utc = moment.astimezone(dt.UTC)  # as the real timezone.now() answers
        monkeypatch.setattr(timezone, "now", lambda: utc)
        return moment

    return _freeze


@pytest.fixture
def shop(db):
    """A mixed, seeded-random workshop: every status, dates around today, some without."""
    rng = random.Random(20251126)
    today = timezone.localdate()

    def day(spread: int) -> dt.date:
        return today + dt.timedelta(days=rng.randint(-spread, spread))

    welders = [
        EmployeeFactory(
            role=rng.choice(["Welder", "Senior Welder", "Apprentice", ""]),
            certification_expiry=None if rng.random() < 0.15 else day(60),
        )
        for _ in range(14)
    ]
    orders = [
        WorkOrderFactory(
            client=rng.choice(["Acme", "Northern Steel", "Harbour Works", "Pipeline Co", "Zed"]),
            status=rng.choice(["pending", "in_progress", "on_hold", "completed", "cancelled"]),
            due_date=None if rng.random() < 0.1 else day(20),
            assigned_welder=rng.choice([*welders, None]),
        )
        for _ in range(45)
    ]
    now = timezone.now()
    for _ in range(40):
        failed = rng.random() < 0.3
        InspectionFactory(
            work_order=rng.choice(orders),
            inspector=rng.choice(["Anna", "Lee", "Sam", ""]),
            result="fail" if failed else "pass",
            defect_type=rng.choice(["porosity", "crack", "undercut", "spatter"]) if failed else None,
            method=rng.choice(["VT", "PT", "MT", "UT", "RT"]),
            inspected_at=now - dt.timedelta(hours=rng.randint(0, 24 * 30)),
        )
    for _ in range(12):
        EquipmentFactory(
            status=rng.choice(["operational", "maintenance", "out_of_order"]),
            last_service_date=None if rng.random() < 0.15 else day(200),
            service_interval_days=None if rng.random() < 0.15 else rng.choice([30, 90, 180]),
        )
    for _ in range(15):
        level = rng.randint(0, 20)
        ItemFactory(quantity=max(0, level + rng.randint(-10, 10)), reorder_level=level)
    return today
