"""`GET /api/v1/<resource>/{id}/history/` and `GET /api/v1/history/` (SPEC §7) over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from inventory.models import Item
from tests.contract import assert_error
from tests.factories import ItemFactory, UserFactory, WorkOrderFactory
from workshop.events.context import acting

pytestmark = pytest.mark.django_db
ITEMS = "/api/v1/items/"
FEED = "/api/v1/history/"
ENVELOPE = {"items", "total", "page", "page_size", "pages"}


def history(client, pk, resource="items", **params):
    return client.get(f"/api/v1/{resource}/{pk}/history/", params)


def item_with_versions(api, count: int) -> int:
    response = api.post(
        ITEMS,
        {"item_id": "INV-H", "item_name": "v0", "quantity": 1, "unit": "kg", "reorder_level": 0},
        format="json",
    )
    pk = response.json()["id"]
    for n in range(1, count):
        assert api.patch(f"{ITEMS}{pk}/", {"item_name": f"v{n}"}, format="json").status_code == 200
    return pk


class TestRecordHistory:
    def test_newest_first_with_diffs(self, api, admin_user):
        pk = item_with_versions(api, 2)
        api.patch(f"{ITEMS}{pk}/", {"quantity": 5}, format="json", HTTP_X_REQUEST_ID="req-q")
        response = history(api, pk)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == ENVELOPE and body["total"] == 3
        newest, middle, first = body["items"]
        assert newest["kind"] == "updated" and newest["request_id"] == "req-q"
        assert newest["changes"] == [{"field": "quantity", "old": 1, "new": 5}]
        assert middle["changes"] == [{"field": "item_name", "old": "v0", "new": "v1"}]
        assert first["kind"] == "created"
        created = {c["field"]: c for c in first["changes"]}
        assert created["item_name"] == {"field": "item_name", "old": None, "new": "v0"}
        assert all(c["old"] is None for c in first["changes"])
        assert "updated_at" not in created and "id" not in created
        assert {newest["actor"], newest["source"], newest["resource"], newest["object_id"]} == {
            admin_user.pk,
            "api",
            "items",
            pk,
        }

    def test_a_deleted_record_keeps_its_history(self, api):
        pk = item_with_versions(api, 1)
        assert api.delete(f"{ITEMS}{pk}/").status_code == 200
        response = history(api, pk)
        assert response.status_code == 200
        kinds = [e["kind"] for e in response.json()["items"]]
        assert kinds == ["deleted", "created"]
        assert response.json()["items"][0]["changes"] == []

    @pytest.mark.parametrize("pk", ["999999", "abc", "0"])
    def test_a_record_that_never_was_is_a_404(self, api, pk):
        assert_error(history(api, pk), 404, "NOT_FOUND")

    def test_readable_by_whoever_reads_the_record(self, client_for, anon):
        item = ItemFactory()
        assert history(client_for("viewer"), item.pk).status_code == 200
        assert history(client_for("operator"), item.pk).status_code == 200
        assert_error(history(anon, item.pk), 401, "UNAUTHORIZED")

    def test_users_history_is_for_admins_only_and_has_no_secrets(self, api, client_for):
        user = UserFactory(role="operator")
        response = history(api, user.pk, resource="users")
        assert response.status_code == 200, response.content
        fields = {c["field"] for e in response.json()["items"] for c in e["changes"]}
        assert fields <= {"username", "is_active", "role"}
        assert "role" in fields
        assert_error(history(client_for("manager"), user.pk, resource="users"), 403, "FORBIDDEN")

    def test_unknown_and_bad_parameters_are_422(self, api):
        item = ItemFactory()
        body = assert_error(history(api, item.pk, resource="items", status="x"), 422, "VALIDATION_ERROR")
        assert "status" in body["errors"]
        assert_error(history(api, item.pk, page="0"), 422, "VALIDATION_ERROR")

    def test_paginated(self, api):
        pk = item_with_versions(api, 5)
        body = history(api, pk, page_size=2, page=3).json()
        assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 1)
        assert body["items"][0]["kind"] == "created"

    @pytest.mark.parametrize("versions", [2, 50])
    def test_queries_do_not_grow_with_the_page(self, api, versions, django_assert_max_num_queries):
        pk = item_with_versions(api, versions)
        with django_assert_max_num_queries(5):  # user, record, count, page, previous versions
            response = history(api, pk, page_size=100)
        assert len(response.json()["items"]) == versions


class TestFeed:
    def test_managers_and_admins_only(self, client_for, anon):
        assert client_for("manager").get(FEED).status_code == 200
        assert client_for("admin").get(FEED).status_code == 200
        assert_error(client_for("operator").get(FEED), 403, "FORBIDDEN")
        assert_error(client_for("viewer").get(FEED), 403, "FORBIDDEN")
        assert_error(anon.get(FEED), 401, "UNAUTHORIZED")

    def test_every_resource_newest_first(self, api):
        item = ItemFactory()
        order = WorkOrderFactory()
        body = api.get(FEED, {"resource": "items,workorders"}).json()
        assert set(body) == ENVELOPE
        pairs = [(e["resource"], e["object_id"]) for e in body["items"]]
        assert ("items", item.pk) in pairs and ("workorders", order.pk) in pairs
        moments = [e["at"] for e in body["items"]]
        assert moments == sorted(moments, reverse=True)

    def test_filters(self, api, admin_user):
        other = UserFactory(role="manager")
        with acting(user_id=other.pk):
            by_other = ItemFactory()
        mine = ItemFactory()
        body = api.get(FEED, {"actor": other.pk}).json()
        assert {(e["resource"], e["object_id"]) for e in body["items"]} == {("items", by_other.pk)}
        body = api.get(FEED, {"source": "job", "resource": "items"}).json()
        assert [e["object_id"] for e in body["items"]] == [by_other.pk]
        body = api.get(FEED, {"source": "command", "resource": "items"}).json()
        assert [e["object_id"] for e in body["items"]] == [mine.pk]
        today = timezone.localdate().isoformat()
        response = api.get(FEED, {"from": today, "to": today, "resource": "items"})
        assert response.json()["total"] == 2, response.json()
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        assert api.get(FEED, {"from": tomorrow}).json()["total"] == 0
        assert api.get(FEED, {"to": "2000-01-01T00:00:00Z"}).json()["total"] == 0
        assert api.get(FEED, {"resource": "", "source": ""}).status_code == 200  # empty: absent

    def test_managers_do_not_see_users(self, client_for):
        UserFactory(role="operator")
        manager = client_for("manager")
        assert all(e["resource"] != "users" for e in manager.get(FEED, {"page_size": 1000}).json()["items"])
        assert_error(manager.get(FEED, {"resource": "users"}), 422, "VALIDATION_ERROR")

    @pytest.mark.parametrize(
        "params,field",
        [
            ({"resource": "nope"}, "resource"),
            ({"source": "api,telepathy"}, "source"),
            ({"actor": "me"}, "actor"),
            ({"actor": "99999999999"}, "actor"),
            ({"from": "yesterday"}, "from"),
            ({"to": "2025-13-01"}, "to"),
            ({"to": "9999-12-31"}, "to"),
            ({"from": "0001-01-01T00:00:00+14:00"}, "from"),
            ({"from": "2025-01-01T00:00:00+25:00"}, "from"),
            ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
            ({"colour": "red"}, "colour"),
            ({"page_size": "0"}, "page_size"),
        ],
    )
    def test_bad_filters_are_422(self, api, params, field):
        before = Item.history.count()
        body = assert_error(api.get(FEED, params), 422, "VALIDATION_ERROR")
        assert field in body["errors"]
        assert Item.history.count() == before

    @pytest.mark.parametrize("versions", [2, 50])
    def test_queries_do_not_grow_with_the_page(self, api, versions, django_assert_max_num_queries):
        pk = item_with_versions(api, versions)
        WorkOrderFactory()
        with django_assert_max_num_queries(12):  # user, role, count, page, 2 per table on it
            response = api.get(FEED, {"resource": "items,workorders", "page_size": 100})
        body = response.json()
        assert sum(1 for e in body["items"] if e["object_id"] == pk and e["resource"] == "items") == versions
