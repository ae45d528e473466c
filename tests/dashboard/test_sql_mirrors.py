"""The dashboard's hand-written SQL says the same as the models' ORM definitions it mirrors.

`equipment.models.SERVICE_OVERDUE_SQL` ≡ `service_overdue_q`;
`staff.models.CERTIFICATION_STATUS_SQL` ≡ `certification_status_expression`;
`staff.models.CERTIFICATION_STATUS_WHERE_SQL` ≡ `certification_status_q`;
the low-stock rows are `Item.is_low_stock`. Checked row by row around every boundary, on
whichever database runs the suite.
"""

import datetime as dt

import pytest
from django.utils import timezone

from dashboard import selectors
from equipment.models import SERVICE_OVERDUE_SQL, Equipment, service_overdue_q
from inventory.models import Item
from staff.models import (
    CERTIFICATION_STATUS_SQL,
    CERTIFICATION_STATUS_WHERE_SQL,
    CertificationStatus,
    Employee,
    certification_sql_params,
    certification_status_expression,
    certification_status_q,
)
from tests.factories import EmployeeFactory, EquipmentFactory, ItemFactory
from workshop import sql

pytestmark = pytest.mark.django_db

OFFSETS = (-400, -31, -30, -29, -1, 0, 1, 29, 30, 31, 400)


@pytest.fixture
def today():
    return timezone.localdate()


def test_service_overdue_sql_selects_what_the_q_selects(today):
    for offset in OFFSETS:
        for interval in (None, 1, 30, 31):
            EquipmentFactory(
                last_service_date=today + dt.timedelta(days=offset), service_interval_days=interval
            )
    EquipmentFactory(last_service_date=None, service_interval_days=30)

    by_sql = {
        row[0]
        for row in sql.rows(
            f"SELECT id FROM {Equipment._meta.db_table} WHERE {SERVICE_OVERDUE_SQL}",  # noqa: S608
            {"today": today},
        )
    }
    by_q = set(Equipment.objects.filter(service_overdue_q(today)).values_list("id", flat=True))
    assert by_sql == by_q
    assert 0 < len(by_q) < Equipment.objects.count()


def test_certification_status_sql_classifies_as_the_orm_does(today):
    for offset in OFFSETS:
        EmployeeFactory(certification_expiry=today + dt.timedelta(days=offset))
    EmployeeFactory(certification_expiry=None)

    by_sql = dict(
        sql.rows(
            f"SELECT id, {CERTIFICATION_STATUS_SQL} FROM {Employee._meta.db_table}",  # noqa: S608
            certification_sql_params(today),
        )
    )
    by_expression = dict(
        Employee.objects.annotate(status=certification_status_expression(today)).values_list("id", "status")
    )
    assert by_sql == by_expression
    for status in CertificationStatus.values:
        by_q = set(
            Employee.objects.filter(certification_status_q(status, today)).values_list("id", flat=True)
        )
        selected = sql.rows(
            f"SELECT id FROM {Employee._meta.db_table} WHERE {CERTIFICATION_STATUS_WHERE_SQL[status]}",  # noqa: S608
            certification_sql_params(today),
        )
        assert {pk for pk, s in by_sql.items() if s == status} == by_q, status
        assert {row[0] for row in selected} == by_q, status
    assert set(by_sql.values()) == set(CertificationStatus.values)


def test_certification_lists_match_the_orm_order(today):
    for offset in (-3, -1, -1, 0, 0, 12, 30, 31):
        EmployeeFactory(certification_expiry=today + dt.timedelta(days=offset))

    expiring = selectors.certification_rows(CertificationStatus.EXPIRING, today=today, limit=20)
    expired = selectors.certification_rows(CertificationStatus.EXPIRED, today=today, limit=20)

    assert [row["id"] for row in expiring] == list(
        Employee.objects.filter(certification_status_q(CertificationStatus.EXPIRING, today))
        .order_by("certification_expiry", "id")
        .values_list("id", flat=True)
    )
    assert [row["id"] for row in expired] == list(
        Employee.objects.filter(certification_status_q(CertificationStatus.EXPIRED, today))
        .order_by("-certification_expiry", "id")
        .values_list("id", flat=True)
    )
    assert [row["days_left"] for row in expiring] == [0, 0, 12, 30]
    assert [row["days_left"] for row in expired] == [-1, -1, -3]
    assert all(isinstance(row["certification_expiry"], dt.date) for row in expiring + expired)


def test_low_stock_sql_selects_the_generated_column(today):
    for quantity, reorder_level in ((0, 0), (0, 5), (4, 5), (5, 5), (6, 5), (100, 0)):
        ItemFactory(quantity=quantity, reorder_level=reorder_level)

    rows = selectors.inventory_alerts(limit=20)

    assert {row["id"] for row in rows} == set(
        Item.objects.filter(is_low_stock=True).values_list("id", flat=True)
    )
    assert [row["shortfall"] for row in rows] == [5, 1, 0, 0]
    assert selectors.inventory_counts() == {"total_items": 6, "low_stock": 4, "out_of_stock": 2}
