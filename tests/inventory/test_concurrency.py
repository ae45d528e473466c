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
from tests.imports import workbooks
from workshop.imports.models import ExcelImport

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


# ---------------------------------------------------------------- imports racing the API
def assert_ledger_whole(item_id: int) -> None:
    """The invariant: an item's movements sum to its quantity, and each movement's
    quantity_after is the level right after it (in the order they were recorded)."""
    item = Item.objects.get(pk=item_id)
    level = 0
    for delta, quantity_after in (
        StockMovement.objects.filter(item=item).order_by("id").values_list("delta", "quantity_after")
    ):
        level += delta
        assert quantity_after == level, list(
            StockMovement.objects.filter(item=item).order_by("id").values_list("delta", "quantity_after")
        )
    assert level == item.quantity


def items_file(*rows) -> bytes:
    return workbooks.xlsx([["ItemID", "ItemName", "Quantity"], *rows])


def import_items(client, data: bytes):
    return client.post("/api/v1/items/import/", {"file": workbooks.upload(data)}, format="multipart")


@pytest.fixture
def token(admin_user, settings, tmp_path):
    settings.RATELIMIT_ENABLE = False  # many imports and adjustments a minute
    settings.MEDIA_ROOT = tmp_path / "media"
    return str(RefreshToken.for_user(admin_user).access_token)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_an_import_racing_adjustments_keeps_the_ledger_whole(token):
    """An import sets a quantity while adjustments keep taking stock: its correction is the
    difference from the quantity it replaces, whatever the adjustments did meanwhile."""
    assert import_items(bearer(token), items_file(["INV-1", "Rods", 1000])).status_code == 201
    item_id = Item.objects.get(item_id="INV-1").pk
    imports_done = threading.Event()

    def import_or_adjust(i):
        client = bearer(token)
        if i == 0:
            try:
                statuses = [
                    import_items(client, items_file(["INV-1", "Rods", q])).status_code for q in (500, 700)
                ]
            finally:
                imports_done.set()
            return statuses
        statuses = []
        while not imports_done.is_set() and len(statuses) < 40:  # adjust all through the imports
            response = client.post(
                f"/api/v1/items/{item_id}/adjust", {"delta": -1, "reason": "consumption"}, format="json"
            )
            statuses.append(response.status_code)
        return statuses

    results = run_together(import_or_adjust, 9)

    assert results[0] == [201, 201]
    assert {status for statuses in results[1:] for status in statuses} == {200}
    assert StockMovement.objects.filter(item_id=item_id, reason="consumption").count() == sum(
        len(statuses) for statuses in results[1:]
    )
    assert StockMovement.objects.filter(item_id=item_id, reason="correction").count() == 2
    assert_ledger_whole(item_id)


def test_parallel_imports_of_the_same_new_item_keep_the_ledger_whole(token):
    """Six clients import the same new item over and over, each with its own quantity: one
    creates it (the others' inserts are refused, 409), later ones correct it."""

    def import_again_and_again(i):
        client = bearer(token)
        return [
            import_items(client, items_file(["INV-9", "Gloves", 10 * i + n + 1])).status_code
            for n in range(4)
        ]

    results = run_together(import_again_and_again, 6)

    statuses = Counter(status for statuses in results for status in statuses)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, statuses
    assert StockMovement.objects.filter(reason="receipt").count() == 1
    assert_ledger_whole(Item.objects.get(item_id="INV-9").pk)


def test_parallel_imports_with_one_idempotency_key_import_one_file_once(token):
    """Six clients send one Idempotency-Key at once, half of them with another file: one
    import happens; the same file sent again gets its answer, the other file a 422."""
    files = [items_file(["INV-5", "Rods", 5]), items_file(["INV-5", "Rods", 6])]

    def send(i):
        response = bearer(token).post(
            "/api/v1/items/import/",
            {"file": workbooks.upload(files[i % 2])},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="one-key",
        )
        return i % 2, response.status_code, response.json()

    results = run_together(send, 6)

    record = ExcelImport.objects.get()
    won = 0 if Item.objects.get(item_id="INV-5").quantity == 5 else 1
    for which, status, body in results:
        if which == won:
            assert (status, body["id"]) == (201, record.pk), body
        else:
            assert status == 422, body
            assert body["errors"] == {
                "Idempotency-Key": ["This Idempotency-Key was already used for a different file."]
            }
    assert_ledger_whole(Item.objects.get(item_id="INV-5").pk)
