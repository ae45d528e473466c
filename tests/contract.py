"""The generic contract every routed resource runs.

A resource's test module subclasses `ResourceContract`, names its URL, factory and
payloads, and gets list/detail/create/update/delete, 401/404/405/409/422, field
selection, sorting and a query-count bound that does not grow with the page size.
`tests/test_contract_guard.py` fails when a routed ViewSet has no subclass here.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

CRUD = frozenset({"list", "retrieve", "create", "update", "partial_update", "destroy"})
ERROR_KEYS = {"detail", "error_code", "timestamp", "request_id"}


def assert_error(response, status: int, error_code: str) -> dict:
    """The spec's error body, with the expected status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert ERROR_KEYS <= set(body), body
    assert body["error_code"] == error_code, body
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.mark.django_db
class ResourceContract:
    """Subclass with the class attributes below and the payload methods."""

    url: str = ""  # e.g. "/api/v1/workorders/"
    viewset: type | None = None  # the routed ViewSet this contract covers
    factory = None  # factory-boy factory of the model
    actions: frozenset[str] = CRUD
    business_key: str | None = None  # field whose duplicate is a 409 DUPLICATE_RESOURCE
    max_list_queries: int = 4  # queries for a list page, whatever its size
    sort_field: str | None = None  # a field that `sort_by` accepts

    # ------------------------------------------------------------------ to override
    def create_payload(self) -> dict:
        """A valid body for POST (may create related records)."""
        raise NotImplementedError

    def update_payload(self, obj) -> dict:
        """A valid full body for PUT of `obj`."""
        return self.create_payload()

    def patch_payload(self, obj) -> dict:
        """A valid partial body for PATCH of `obj`."""
        raise NotImplementedError

    def invalid_payloads(self) -> list[tuple[str, dict]]:
        """(what is wrong, body) pairs that must each be a 422 and write nothing."""
        return []

    def make_protected(self):
        """A record whose delete is blocked by dependents (409), or None."""
        return None

    def make(self, **kwargs):
        return self.factory(**kwargs)

    def make_listed(self):
        """A record with everything its list row shows (related rows included), for the
        query-count bound."""
        return self.make()

    # ------------------------------------------------------------------ helpers
    def detail(self, pk) -> str:
        return f"{self.url}{pk}/"

    def count(self) -> int:
        return self.factory._meta.model.objects.count()

    @staticmethod
    def assert_matches(body: dict, payload: dict) -> None:
        for key, value in payload.items():
            if key in body and not isinstance(value, dict | list):
                assert str(body[key]).lower() == str(value).lower() or body[key] == value, (
                    key,
                    body[key],
                    value,
                )

    # ------------------------------------------------------------------ the contract
    def test_anonymous_is_401(self, anon):
        obj = self.make()
        assert_error(anon.get(self.url), 401, "UNAUTHORIZED")
        assert_error(anon.get(self.detail(obj.pk)), 401, "UNAUTHORIZED")
        if "create" in self.actions:
            before = self.count()
            assert_error(anon.post(self.url, {}, format="json"), 401, "UNAUTHORIZED")
            assert self.count() == before
        if "destroy" in self.actions:
            assert_error(anon.delete(self.detail(obj.pk)), 401, "UNAUTHORIZED")
            assert self.count() >= 1

    def test_list_envelope(self, api):
        objs = [self.make() for _ in range(3)]
        response = api.get(self.url)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "total", "page", "page_size", "pages"}
        assert body["total"] == len(objs)
        assert body["page"] == 1 and body["page_size"] == 50 and body["pages"] == 1
        assert [item["id"] for item in body["items"]] == [o.pk for o in objs]

    def test_list_paging(self, api):
        objs = [self.make() for _ in range(3)]
        body = api.get(self.url, {"page": 2, "page_size": 2}).json()
        assert [i["id"] for i in body["items"]] == [objs[2].pk]
        assert (body["total"], body["page"], body["page_size"], body["pages"]) == (3, 2, 2, 2)
        body = api.get(self.url, {"skip": 1, "limit": 1}).json()
        assert [i["id"] for i in body["items"]] == [objs[1].pk]
        body = api.get(self.url, {"page": 9}).json()
        assert body["items"] == [] and body["total"] == 3

    @pytest.mark.parametrize(
        "params",
        [{"page_size": 0}, {"page_size": 1001}, {"page": 0}, {"page": "x"}, {"skip": -1}, {"limit": 0}],
    )
    def test_list_bad_paging_is_422(self, api, params):
        assert_error(api.get(self.url, params), 422, "VALIDATION_ERROR")

    def test_list_bad_sort_and_params_are_422(self, api):
        self.make()
        assert_error(api.get(self.url, {"sort_by": "no_such_field"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(self.url, {"ordering": "-no_such_field"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(self.url, {"order": "sideways"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(self.url, {"no_such_filter": "1"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(self.url, {"created_from": "yesterday"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(self.url, {"fields": "id,no_such_field"}), 422, "VALIDATION_ERROR")

    def test_list_sorting(self, api):
        objs = [self.make() for _ in range(3)]
        body = api.get(self.url, {"sort_by": "id", "order": "desc"}).json()
        assert [i["id"] for i in body["items"]] == [o.pk for o in reversed(objs)]
        body = api.get(self.url, {"ordering": "-id"}).json()
        assert [i["id"] for i in body["items"]] == [o.pk for o in reversed(objs)]
        if self.sort_field:
            assert api.get(self.url, {"sort_by": self.sort_field, "order": "desc"}).status_code == 200

    def test_list_fields_selection(self, api):
        obj = self.make()
        body = api.get(self.url, {"fields": "id"}).json()
        assert body["items"] == [{"id": obj.pk}]
        assert api.get(self.detail(obj.pk), {"fields": "id"}).json() == {"id": obj.pk}

    def test_list_created_range(self, api):
        self.make()
        assert api.get(self.url, {"created_from": "2000-01-01"}).json()["total"] == 1
        assert api.get(self.url, {"created_to": "2000-01-01"}).json()["total"] == 0

    def test_list_query_count_does_not_grow(self, api, django_assert_max_num_queries):
        for _ in range(2):
            self.make_listed()
        with CaptureQueriesContext(connection) as few:
            assert api.get(self.url).status_code == 200
        for _ in range(8):
            self.make_listed()
        with django_assert_max_num_queries(self.max_list_queries):
            response = api.get(self.url)
        assert response.json()["total"] == 10
        with CaptureQueriesContext(connection) as many:
            api.get(self.url)
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

    def test_retrieve(self, api):
        obj = self.make()
        response = api.get(self.detail(obj.pk))
        assert response.status_code == 200
        assert response.json()["id"] == obj.pk
        assert api.get(f"{self.url}{obj.pk}").status_code == 200  # trailing slash optional

    def test_retrieve_missing_is_404(self, api):
        assert_error(api.get(self.detail(999999)), 404, "NOT_FOUND")
        assert_error(api.get(f"{self.url}not-a-number/"), 404, "NOT_FOUND")

    def test_create(self, api):
        if "create" not in self.actions:
            assert_error(api.post(self.url, {}, format="json"), 405, "METHOD_NOT_ALLOWED")
            return
        payload = self.create_payload()
        before = self.count()
        response = api.post(self.url, payload, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        self.assert_matches(body, payload)
        assert self.count() == before + 1
        assert body["created_by"] == api.user.pk
        fetched = api.get(self.detail(body["id"])).json()
        assert fetched == body

    def test_create_invalid_is_422_and_writes_nothing(self, api):
        if "create" not in self.actions:
            return
        cases = [("empty body", {})] + self.invalid_payloads()
        for what, payload in cases:
            before = self.count()
            response = api.post(self.url, payload, format="json")
            body = assert_error(response, 422, "VALIDATION_ERROR")
            assert body.get("errors"), (what, body)
            assert self.count() == before, what

    def test_create_malformed_json_is_400(self, api):
        if "create" not in self.actions:
            return
        response = api.post(self.url, "{not json", content_type="application/json")
        assert_error(response, 400, "BAD_REQUEST")

    def test_create_duplicate_is_409(self, api):
        if "create" not in self.actions or not self.business_key:
            return
        existing = self.make()
        payload = self.create_payload()
        payload[self.business_key] = getattr(existing, self.business_key)
        before = self.count()
        body = assert_error(api.post(self.url, payload, format="json"), 409, "DUPLICATE_RESOURCE")
        assert self.business_key in body["errors"]
        assert self.count() == before

    def test_create_ignores_read_only_fields(self, api):
        if "create" not in self.actions:
            return
        payload = {
            **self.create_payload(),
            "id": 424242,
            "created_by": 999,
            "created_at": "2000-01-01T00:00:00Z",
        }
        body = api.post(self.url, payload, format="json").json()
        assert body["id"] != 424242 and body["created_by"] == api.user.pk
        assert not body["created_at"].startswith("2000")

    def test_update(self, api):
        obj = self.make()
        if "update" not in self.actions:
            assert_error(api.put(self.detail(obj.pk), {}, format="json"), 405, "METHOD_NOT_ALLOWED")
            return
        payload = self.update_payload(obj)
        response = api.put(self.detail(obj.pk), payload, format="json")
        assert response.status_code == 200, response.json()
        self.assert_matches(response.json(), payload)
        assert api.get(self.detail(obj.pk)).json() == response.json()

    def test_partial_update(self, api):
        obj = self.make()
        if "partial_update" not in self.actions:
            assert_error(api.patch(self.detail(obj.pk), {}, format="json"), 405, "METHOD_NOT_ALLOWED")
            return
        payload = self.patch_payload(obj)
        response = api.patch(self.detail(obj.pk), payload, format="json")
        assert response.status_code == 200, response.json()
        self.assert_matches(response.json(), payload)

    def test_update_missing_is_404(self, api):
        if "partial_update" not in self.actions:
            return
        assert_error(api.patch(self.detail(999999), {}, format="json"), 404, "NOT_FOUND")

    def test_destroy(self, api):
        obj = self.make()
        if "destroy" not in self.actions:
            assert_error(api.delete(self.detail(obj.pk)), 405, "METHOD_NOT_ALLOWED")
            return
        response = api.delete(self.detail(obj.pk))
        assert response.status_code == 200
        name = str(obj._meta.verbose_name).capitalize()
        assert response.json() == {"message": f"{name} deleted successfully"}
        assert_error(api.get(self.detail(obj.pk)), 404, "NOT_FOUND")
        assert_error(api.delete(self.detail(obj.pk)), 404, "NOT_FOUND")

    def test_destroy_protected_is_409(self, api):
        if "destroy" not in self.actions:
            return
        obj = self.make_protected()
        if obj is None:
            return
        assert_error(api.delete(self.detail(obj.pk)), 409, "CONFLICT")
        assert self.factory._meta.model.objects.filter(pk=obj.pk).exists()
