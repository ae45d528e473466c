"""Concurrent stock adjustments never lose an update and never go below zero.

Each thread has its own database connection, so these need a database with row locks:
they run on PostgreSQL (CI) and are skipped on SQLite (one writer at a time).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from inventory.models import Item, StockMovement
from inventory.services import item_adjust_stock
from tests.factories import ItemFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 50


def run_together(task, count: int = WORKERS) -> list:
    """Runs `task(i)` for i in range(count), each in its own thread and connection, all
    released at once."""
    barrier = threading.Barrier(count)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            return task(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def ledger_sum(item) -> int:
    return sum(StockMovement.objects.filter(item=item).values_list("delta", flat=True))


def test_concurrent_decrements_lose_no_update():
    item = ItemFactory(quantity=100)

    def take_one(_):
        return item_adjust_stock(item_id=item.pk, delta=-1, reason="consumption").quantity_after

    after = run_together(take_one)

    item.refresh_from_db()
    assert item.quantity == 100 - WORKERS
    # Each adjustment saw the one before it: every level from 99 down to 50 exactly once.
    assert sorted(after) == list(range(100 - WORKERS, 100))
    assert StockMovement.objects.filter(item=item).count() == WORKERS


def test_concurrent_decrements_over_the_api_stop_at_zero(admin_user):
    item = ItemFactory(quantity=30)
    token = str(RefreshToken.for_user(admin_user).access_token)

    def take_one(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(
            f"/api/v1/items/{item.pk}/adjust", {"delta": -1, "reason": "consumption"}, format="json"
        )
        return response.status_code, response.json()

    results = run_together(take_one)

    assert Counter(status for status, _ in results) == {200: 30, 409: 20}
    assert {body["error_code"] for status, body in results if status == 409} == {"CONFLICT"}
    assert sorted(body["movement"]["quantity_after"] for status, body in results if status == 200) == list(
        range(30)
    )
    item.refresh_from_db()
    assert item.quantity == 0
    movements = StockMovement.objects.filter(item=item)
    assert movements.count() == 30
    assert not movements.filter(quantity_after__lt=0).exists()


def test_concurrent_edits_and_adjustments_keep_the_ledger_whole(admin_user):
    item = ItemFactory(quantity=10)
    token = str(RefreshToken.for_user(admin_user).access_token)

    def adjust_or_edit(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if i % 5 == 0:
            response = client.patch(f"/api/v1/items/{item.pk}/", {"quantity": 100 + i}, format="json")
        else:
            response = client.post(
                f"/api/v1/items/{item.pk}/adjust", {"delta": 1, "reason": "receipt"}, format="json"
            )
        return response.status_code

    assert set(run_together(adjust_or_edit, 30)) == {200}

    item = Item.objects.get(pk=item.pk)
    # The factory's 10 are not in the ledger; everything since is.
    assert ledger_sum(item) == item.quantity - 10
    assert StockMovement.objects.filter(item=item, reason="receipt").count() == 24
    level = 10
    for delta, quantity_after in (
        StockMovement.objects.filter(item=item).order_by("id").values_list("delta", "quantity_after")
    ):
        level += delta
        assert quantity_after == level
    assert level == item.quantity
