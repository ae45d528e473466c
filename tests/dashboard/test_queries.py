"""Each endpoint is a constant, small number of aggregate queries, whatever the data."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import selectors
from tests.dashboard.conftest import ENDPOINTS
from tests.factories import (
    EmployeeFactory,
    EquipmentFactory,
    InspectionFactory,
    ItemFactory,
    WorkOrderFactory,
)

# The dashboard's own queries per endpoint (the request adds authentication's).
QUERIES = {
    "stats": 5,  # one per table
    "workorders": 4,  # counts, by client, overdue list, due-soon list
    "equipment": 2,  # counts, service-overdue list
    "inspections": 2,  # by (method, result, defect), by inspector
    "inventory-alerts": 2,  # counts, alert list
    "employees": 3,  # by role and status, expiring list, expired list
}
AUTH_QUERIES = 2  # the user (and their role), the role's permissions (cached per process)

SELECTORS = {
    "stats": lambda today: selectors.stats(today=today, limit=20),
    "workorders": lambda today: selectors.workorders_summary(today=today, limit=20),
    "equipment": lambda today: selectors.equipment_summary(today=today, limit=20),
    "inspections": lambda today: selectors.inspections_summary(limit=20),
    "inventory-alerts": lambda today: selectors.inventory_summary(limit=20),
    "employees": lambda today: selectors.employees_summary(today=today, limit=20),
}


def add_data(n: int) -> None:
    today = timezone.localdate()
    welders = EmployeeFactory.create_batch(
        n, role="Welder", certification_expiry=today + dt.timedelta(days=5)
    ) + EmployeeFactory.create_batch(n, role="Fitter", certification_expiry=today - dt.timedelta(days=5))
    for i in range(n):
        order = WorkOrderFactory(
            client=f"Client {i}", due_date=today - dt.timedelta(days=i + 1), assigned_welder=welders[i]
        )
        WorkOrderFactory(client=f"Client {i}", due_date=today + dt.timedelta(days=i % 7))
        InspectionFactory(work_order=order, inspector=f"Inspector {i}")
        InspectionFactory(work_order=order, failed=True, method="UT")
        EquipmentFactory(last_service_date=today - dt.timedelta(days=100 + i), service_interval_days=30)
        ItemFactory(quantity=i % 3, reorder_level=5)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_selector_queries_are_constant(name, django_assert_num_queries):
    today = timezone.localdate()
    with django_assert_num_queries(QUERIES[name]):
        SELECTORS[name](today)  # no data
    add_data(3)
    with django_assert_num_queries(QUERIES[name]):
        SELECTORS[name](today)
    add_data(30)
    with django_assert_num_queries(QUERIES[name]):
        few = SELECTORS[name](today)
    assert few  # figures came back


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_request_queries_do_not_grow_with_data(api, name, django_assert_max_num_queries):
    from django.core.cache import cache

    add_data(2)
    api.get(ENDPOINTS[name])  # warm per-process caches (role permissions)
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        assert api.get(ENDPOINTS[name], {"from": "2000-01-01", "to": "2100-01-01"}).status_code == 200
    add_data(25)
    cache.clear()
    with django_assert_max_num_queries(QUERIES[name] + AUTH_QUERIES):
        response = api.get(ENDPOINTS[name], {"from": "2000-01-01", "to": "2100-01-01"})
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as large:
        cache.clear()
        api.get(ENDPOINTS[name], {"from": "2000-01-01", "to": "2100-01-01"})
    assert len(large.captured_queries) == len(small.captured_queries)
