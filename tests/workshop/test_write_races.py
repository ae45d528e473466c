"""Concurrent changes and deletes of one record take turns (row locks): a deleted record stays
deleted, two PATCHes of different fields both keep their change, and concurrent role changes
leave exactly one role (PostgreSQL only: each thread has its own connection and row locks);
and a deadlock between two writers is a 409 to retry, not a 503 outage."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connection

from tests.conftest import bearer_client
from tests.factories import UserFactory, WorkOrderFactory
from tests.inventory.test_concurrency import run_together
from workorders.models import WorkOrder
from workshop.api.exceptions import exception_handler
from workshop.roles import ROLES

POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def postgres_only(test):
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


ROUNDS = 8


@postgres_only
def test_a_patch_racing_a_delete_never_brings_the_record_back():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        order = WorkOrderFactory()
        url = f"/api/v1/workorders/{order.pk}/"

        def task(i, url=url):
            client = bearer_client(admin)
            if i == 0:
                return client.delete(url).status_code
            return client.patch(url, {"client": f"Client {i}"}, format="json").status_code

        statuses = run_together(task, count=4)
        assert statuses[0] == 200
        assert set(statuses[1:]) <= {200, 404}
        assert not WorkOrder.objects.filter(pk=order.pk).exists()


@postgres_only
def test_patches_of_different_fields_both_keep_their_change():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        order = WorkOrderFactory(status="pending", client="Old")
        url = f"/api/v1/workorders/{order.pk}/"
        bodies = [{"status": "completed"}, {"client": "New"}]

        def task(i, url=url, bodies=bodies):
            return bearer_client(admin).patch(url, bodies[i], format="json").status_code

        assert run_together(task, count=2) == [200, 200]
        order.refresh_from_db()
        assert (order.status, order.client) == ("completed", "New")


@postgres_only
def test_concurrent_role_changes_leave_exactly_one_role():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        user = UserFactory(role="viewer")
        url = f"/api/v1/users/{user.pk}/"
        roles = list(ROLES)

        def task(i, url=url, roles=roles):
            return bearer_client(admin).patch(url, {"role": roles[i]}, format="json").status_code

        assert run_together(task, count=len(roles)) == [200] * len(roles)
        assert Group.objects.filter(user=user, name__in=ROLES).count() == 1


class _Cause(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "status", "code"),
    [("40P01", 409, "CONFLICT"), ("40001", 409, "CONFLICT"), ("08006", 503, "SERVICE_UNAVAILABLE")],
)
def test_a_deadlock_is_a_conflict_to_retry_not_an_outage(rf, sqlstate, status, code):
    error = OperationalError("boom")
    error.__cause__ = _Cause(sqlstate)
    response = exception_handler(error, {"request": rf.get("/api/v1/items/")})
    assert response.status_code == status and response.data["error_code"] == code


@postgres_only
def test_two_admins_demoting_each_other_leave_one_admin():
    for _ in range(ROUNDS):
        x, y = UserFactory(role="admin"), UserFactory(role="admin")
        pairs = [(x, y), (y, x)]

        def task(i, pairs=pairs):
            actor, target = pairs[i]
            return (
                bearer_client(actor)
                .patch(f"/api/v1/users/{target.pk}/", {"role": "viewer"}, format="json")
                .status_code
            )

        assert sorted(run_together(task, count=2)) == [200, 403]
        roles = sorted(Group.objects.filter(user__in=[x, y], name__in=ROLES).values_list("name", flat=True))
        assert roles == ["admin", "viewer"]
