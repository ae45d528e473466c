"""Two clients writing with the same ETag: exactly one wins, the other gets 412 and writes
nothing (the row locked, the tag compared and the write made in one transaction). PostgreSQL
only: each thread has its own connection and row locks."""

from __future__ import annotations

from tests.conftest import bearer_client
from tests.factories import ItemFactory, UserFactory, WorkOrderFactory
from tests.inventory.test_concurrency import run_together
from tests.workshop.test_write_races import ROUNDS, postgres_only
from workorders.models import WorkOrder


@postgres_only
def test_two_patches_with_the_same_tag_one_wins():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        order = WorkOrderFactory(client="Old")
        url = f"/api/v1/workorders/{order.pk}/"
        tag = bearer_client(admin).get(url)["ETag"]

        def task(i, url=url, tag=tag):
            response = bearer_client(admin).patch(
                url, {"client": f"Client {i}"}, format="json", HTTP_IF_MATCH=tag
            )
            return response.status_code, response.json().get("client"), response.get("ETag")

        results = run_together(task, count=2)
        statuses = sorted(status for status, _client, _tag in results)
        assert statuses == [200, 412], results
        (winner,) = [client for status, client, _tag in results if status == 200]
        order.refresh_from_db()
        assert order.client == winner
        # The loser was told the winner's state: its tag is the record's now.
        (loser_tag,) = [etag for status, _client, etag in results if status == 412]
        assert loser_tag == bearer_client(admin).get(url)["ETag"]


@postgres_only
def test_a_patch_and_a_delete_with_the_same_tag_one_wins():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        order = WorkOrderFactory(client="Old")
        url = f"/api/v1/workorders/{order.pk}/"
        tag = bearer_client(admin).get(url)["ETag"]

        def task(i, url=url, tag=tag):
            client = bearer_client(admin)
            if i == 0:
                return client.delete(url, HTTP_IF_MATCH=tag).status_code
            return client.patch(url, {"client": "New"}, format="json", HTTP_IF_MATCH=tag).status_code

        statuses = run_together(task, count=2)
        assert sorted(statuses) in ([200, 404], [200, 412]), statuses
        exists = WorkOrder.objects.filter(pk=order.pk).exists()
        assert exists == (statuses[0] != 200)  # deleted exactly when the delete won


@postgres_only
def test_two_adjustments_with_the_same_tag_one_wins():
    admin = UserFactory(role="admin")
    for _ in range(ROUNDS):
        item = ItemFactory(quantity=50)
        url = f"/api/v1/items/{item.pk}/"
        tag = bearer_client(admin).get(url)["ETag"]

        def task(i, url=url, tag=tag):
            return (
                bearer_client(admin)
                .post(
                    f"{url}adjust/", {"delta": -10, "reason": "consumption"}, format="json", HTTP_IF_MATCH=tag
                )
                .status_code
            )

        assert sorted(run_together(task, count=2)) == [200, 412]
        item.refresh_from_db()
        assert item.quantity == 40
