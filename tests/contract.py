"""The generic contract every routed resource runs.

A resource's test module subclasses `ResourceContract`, names its URL, factory and
payloads, and gets list/detail/create/update/delete, 401/404/405/409/422, field
selection, sorting and a query-count bound that does not grow with the page size.
`tests/test_contract_guard.py` fails when a routed ViewSet has no subclass here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

CRUD = frozenset({"list", "retrieve", "create", "update", "partial_update", "destroy"})
ERROR_KEYS = {"detail", "error_code", "timestamp", "request_id"}
ROLES = ("viewer", "operator", "manager", "admin")
# From the SPEC's role table (written out here, not read from workshop/roles.py, so the
# matrix checks the implementation rather than repeating it).
DOMAIN_WRITERS = frozenset({"manager", "admin"})


@dataclass
class ExtraAction:
    """How to call one extra action of a resource, and who may."""

    name: str  # the ViewSet method, e.g. "adjust"
    method: str  # "post"
    path: str  # appended to the detail URL (detail=True) or the list URL
    allowed: frozenset[str]  # roles that may
    success: int = 200
    detail: bool = True
    body: dict = field(default_factory=dict)
    upload: bool = False  # send `body` plus `excel_upload()` as multipart
    make: Any = None  # makes the record a detail action works on (default: the contract's make)


def assert_error(response, status: int, error_code: str) -> dict:
    """The spec's error body, with the expected status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert ERROR_KEYS <= set(body), body
    assert body["error_code"] == error_code, body
    assert body["request_id"] == response["X-Request-ID"]
    return body


NULL_REFUSED = "This field may not be null."


@functools.cache
def api_schema() -> dict:
    """The generated OpenAPI schema (as /api/schema/ serves it), once per test process."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def writable_properties(path: str, method: str) -> dict[str, dict]:
    """The writable properties of an operation's JSON request body, `$ref`s resolved."""
    schema = api_schema()
    operation = schema["paths"][path][method]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return {name: prop for name, prop in component["properties"].items() if not prop.get("readOnly")}


def is_nullable(prop: dict) -> bool:
    if prop.get("nullable"):
        return True
    if "$ref" in prop:  # an enum component that admits null (NullEnum in a oneOf/anyOf)
        return False
    return any(
        is_nullable(choice) or choice.get("$ref", "").endswith("/NullEnum")
        for choice in prop.get("oneOf", prop.get("anyOf", []))
    )


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
    # Roles (SPEC "Users and roles"): operators create work orders and inspections and
    # change what they created; users are for admins only.
    operator_creates: bool = False
    operator_changes_own: bool = False
    recomputed_on_write: tuple[str, ...] = ()  # fields a write works out afresh (a check's result)
    admin_only: bool = False

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

    def extra_actions(self) -> list[ExtraAction]:
        """Every extra action (`@action`) of the ViewSet, with who may call it."""
        return []

    def make_listed(self):
        """A record with everything its list row shows (related rows included), for the
        query-count bound."""
        return self.make()

    # ------------------------------------------------------------------ helpers
    def detail(self, pk) -> str:
        return f"{self.url}{pk}/"

    def count(self) -> int:
        return self.factory._meta.model.objects.count()

    def ids(self) -> list[int]:
        """Every row's id, in the default order (rows the fixtures made included)."""
        return list(self.factory._meta.model.objects.order_by("pk").values_list("pk", flat=True))

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
        for _ in range(3):
            self.make()
        ids = self.ids()
        response = api.get(self.url)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "total", "page", "page_size", "pages"}
        assert body["total"] == len(ids)
        assert body["page"] == 1 and body["page_size"] == 50 and body["pages"] == 1
        assert [item["id"] for item in body["items"]] == ids

    def test_list_paging(self, api):
        for _ in range(3):
            self.make()
        ids = self.ids()
        body = api.get(self.url, {"page": 2, "page_size": 2}).json()
        assert [i["id"] for i in body["items"]] == ids[2:4]
        pages = (len(ids) + 1) // 2
        assert (body["total"], body["page"], body["page_size"], body["pages"]) == (len(ids), 2, 2, pages)
        body = api.get(self.url, {"skip": 1, "limit": 1}).json()
        assert [i["id"] for i in body["items"]] == ids[1:2]
        body = api.get(self.url, {"page": 99}).json()
        assert body["items"] == [] and body["total"] == len(ids)

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

    def test_list_parameter_given_twice_is_422(self, api):
        self.make()
        body = assert_error(api.get(f"{self.url}?page=1&page=2"), 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["page"]
        body = assert_error(
            api.get(f"{self.url}?created_from=2020-01-01&created_from=2030-01-01"), 422, "VALIDATION_ERROR"
        )
        assert list(body["errors"]) == ["created_from"]

    def test_list_sorting(self, api):
        for _ in range(3):
            self.make()
        newest_first = self.ids()[::-1]
        body = api.get(self.url, {"sort_by": "id", "order": "desc"}).json()
        assert [i["id"] for i in body["items"]] == newest_first
        body = api.get(self.url, {"ordering": "-id"}).json()
        assert [i["id"] for i in body["items"]] == newest_first
        if self.sort_field:
            assert api.get(self.url, {"sort_by": self.sort_field, "order": "desc"}).status_code == 200

    def test_list_fields_selection(self, api):
        obj = self.make()
        body = api.get(self.url, {"fields": "id"}).json()
        assert body["items"] == [{"id": pk} for pk in self.ids()]
        assert api.get(self.detail(obj.pk), {"fields": "id"}).json() == {"id": obj.pk}

    def test_list_created_range(self, api):
        self.make()
        assert api.get(self.url, {"created_from": "2000-01-01"}).json()["total"] == self.count()
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
        assert response.json()["total"] == self.count()
        with CaptureQueriesContext(connection) as many:
            api.get(self.url)
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

    def test_list_items_equal_details(self, api):
        """A list row is exactly what the detail answers (lists may take a faster path)."""
        for _ in range(3):
            self.make_listed()
        items = api.get(self.url, {"page_size": 1000}).json()["items"]
        assert items
        for item in items:
            assert item == api.get(self.detail(item["id"])).json()
        other = [name for name in items[0] if name != "id"][-1]
        subset = api.get(self.url, {"fields": f"{other},id"}).json()["items"]
        assert subset == [{other: i[other], "id": i["id"]} for i in items]

    def test_retrieve(self, api):
        obj = self.make()
        response = api.get(self.detail(obj.pk))
        assert response.status_code == 200
        assert response.json()["id"] == obj.pk
        assert api.get(f"{self.url}{obj.pk}").status_code == 200  # trailing slash optional

    def test_conditional_requests(self, api):
        """SPEC §7: the detail's strong ETag (the same for a `fields=` GET), If-None-Match → 304;
        a stale If-Match → 412 with nothing written; the right one writes, and the answer's tag
        is the one the next GET gives."""
        obj = self.make()
        first = api.get(self.detail(obj.pk))
        tag = first["ETag"]
        assert tag.startswith('"') and not tag.startswith("W/")
        name = next(iter(first.json()))
        assert api.get(self.detail(obj.pk), {"fields": name})["ETag"] == tag
        not_modified = api.get(self.detail(obj.pk), HTTP_IF_NONE_MATCH=tag)
        assert (not_modified.status_code, not_modified.content, not_modified["ETag"]) == (304, b"", tag)
        if "update" not in self.actions:
            pytest.skip("no PUT")
        body = first.json()
        assert_error(
            api.put(self.detail(obj.pk), body, format="json", HTTP_IF_MATCH='"stale"'),
            412,
            "PRECONDITION_FAILED",
        )
        assert api.get(self.detail(obj.pk)).json() == body  # nothing written
        written = api.put(self.detail(obj.pk), body, format="json", HTTP_IF_MATCH=tag)
        assert written.status_code == 200, written.json()
        assert written["ETag"] == api.get(self.detail(obj.pk))["ETag"]

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

    def test_a_record_read_can_be_written_back_unchanged(self, api):
        """What a client reads is a body it may send back (PUT): every read-only field is
        known, every value it was given is accepted (blank, null and the rest), and nothing
        changes but `updated_at`."""
        if "update" not in self.actions:
            return
        obj = self.make()
        before = api.get(self.detail(obj.pk)).json()
        response = api.put(self.detail(obj.pk), before, format="json")
        assert response.status_code == 200, response.json()
        after = response.json()
        settled = {"updated_at", *self.recomputed_on_write}
        changed = {
            k: (before[k], after.get(k)) for k in before if k not in settled and after.get(k) != before[k]
        }
        assert changed == {}, changed

    def test_partial_update(self, api):
        obj = self.make()
        if "partial_update" not in self.actions:
            assert_error(api.patch(self.detail(obj.pk), {}, format="json"), 405, "METHOD_NOT_ALLOWED")
            return
        payload = self.patch_payload(obj)
        response = api.patch(self.detail(obj.pk), payload, format="json")
        assert response.status_code == 200, response.json()
        self.assert_matches(response.json(), payload)

    def test_null_is_accepted_exactly_where_the_schema_says_nullable(self, api):
        """Nullable in the schema ⇔ accepts null: a PATCH of `{field: null}` for each writable
        field of the documented body — a nullable one is never refused for being null (2xx, or a
        422 for another rule), any other is a 422 naming it, with nothing written."""
        if "partial_update" not in self.actions:
            return
        properties = writable_properties(self.url + "{id}/", "patch")
        assert properties, self.url
        wrong = []
        for name, prop in properties.items():
            obj = self.make()
            before = api.get(self.detail(obj.pk)).json()
            response = api.patch(self.detail(obj.pk), {name: None}, format="json")
            errors = response.json().get("errors", {}) if response.status_code >= 400 else {}
            if is_nullable(prop):
                if response.status_code >= 300 and NULL_REFUSED in errors.get(name, []):
                    wrong.append(
                        f"{name}: nullable in the schema, null refused ({response.status_code} {errors})"
                    )
                elif response.status_code >= 300 and response.status_code != 422:
                    wrong.append(f"{name}: nullable, null answered {response.status_code} {response.json()}")
            else:
                if response.status_code != 422 or name not in errors:
                    wrong.append(f"{name}: not nullable in the schema, null answered {response.status_code}")
                elif api.get(self.detail(obj.pk)).json() != before:
                    wrong.append(f"{name}: refused, but something was written")
        assert not wrong, "\n".join(wrong)

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

    # ------------------------------------------------------------------ roles
    def readers(self) -> frozenset[str]:
        return frozenset({"admin"}) if self.admin_only else frozenset(ROLES)

    def writers(self, action: str) -> frozenset[str]:
        if self.admin_only:
            return frozenset({"admin"})
        if action == "create" and self.operator_creates:
            return DOMAIN_WRITERS | {"operator"}
        return DOMAIN_WRITERS

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_read(self, client_for, role):
        obj = self.make()
        client = client_for(role)
        expected = 200 if role in self.readers() else 403
        assert client.get(self.url).status_code == expected
        assert client.get(self.detail(obj.pk)).status_code == expected
        if expected == 403:
            assert_error(client.get(self.url), 403, "FORBIDDEN")

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_create(self, client_for, role):
        if "create" not in self.actions:
            return
        client = client_for(role)
        payload = self.create_payload()
        before = self.count()
        response = client.post(self.url, payload, format="json")
        if role in self.writers("create"):
            assert response.status_code == 201, response.json()
            assert self.count() == before + 1
        else:
            assert_error(response, 403, "FORBIDDEN")
            assert self.count() == before

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_change_what_others_made(self, client_for, role):
        client = client_for(role)
        obj = self.make()
        allowed = role in self.writers("update")
        if "partial_update" in self.actions:
            response = client.patch(self.detail(obj.pk), self.patch_payload(obj), format="json")
            assert response.status_code == (200 if allowed else 403), response.json()
        if "update" in self.actions:
            response = client.put(self.detail(obj.pk), self.update_payload(obj), format="json")
            assert response.status_code == (200 if allowed else 403), response.json()
        if not allowed and "partial_update" in self.actions:
            assert_error(client.patch(self.detail(obj.pk), {}, format="json"), 403, "FORBIDDEN")

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_delete(self, client_for, role):
        if "destroy" not in self.actions:
            return
        client = client_for(role)
        obj = self.make()
        response = client.delete(self.detail(obj.pk))
        if role in self.writers("destroy"):
            assert response.status_code == 200
            assert not self.factory._meta.model.objects.filter(pk=obj.pk).exists()
        else:
            assert_error(response, 403, "FORBIDDEN")
            assert self.factory._meta.model.objects.filter(pk=obj.pk).exists()

    def test_operator_changes_only_their_own(self, client_for):
        if not self.operator_changes_own:
            return
        client = client_for("operator")
        own = self.make(created_by=client.user)
        others = self.make()
        response = client.patch(self.detail(own.pk), self.patch_payload(own), format="json")
        assert response.status_code == 200, response.json()
        response = client.put(self.detail(own.pk), self.update_payload(own), format="json")
        assert response.status_code == 200, response.json()
        assert_error(
            client.patch(self.detail(others.pk), self.patch_payload(others), format="json"), 403, "FORBIDDEN"
        )
        assert_error(client.delete(self.detail(own.pk)), 403, "FORBIDDEN")
        assert self.factory._meta.model.objects.filter(pk=own.pk).exists()

    def importers(self) -> frozenset[str]:
        """SPEC: managers and admins import; operators import what they may create."""
        return DOMAIN_WRITERS | ({"operator"} if self.operator_creates else set())

    def all_extra_actions(self) -> list[ExtraAction]:
        """The resource's own extra actions plus the shared Excel import and export."""
        actions = list(self.extra_actions())
        if getattr(self.viewset, "excel_resource", ""):
            actions.append(
                ExtraAction(
                    "import_excel",
                    "post",
                    "import/",
                    allowed=self.importers(),
                    success=201,
                    detail=False,
                    upload=True,
                )
            )
            if hasattr(self.viewset, "export"):
                actions.append(
                    ExtraAction("export", "get", "export/", allowed=frozenset(ROLES), detail=False)
                )
        if any(a.__name__ == "history" for a in self.viewset.get_extra_actions()):
            # The shared history of a record (SPEC §7): whoever may read the record.
            actions.append(ExtraAction("history", "get", "history/", allowed=self.readers()))
        return actions

    def excel_upload(self):
        """A one-row workbook of this resource made from `create_payload()`."""
        from tests.workbooks import workbook_upload
        from workshop.imports.spec import registry

        spec = registry()[self.viewset.excel_resource]
        payload = self.create_payload()
        columns = [c for c in spec.columns if c.field in payload]
        return workbook_upload([[c.header for c in columns], [payload[c.field] for c in columns]])

    def test_extra_actions_are_all_described(self):
        routed = {a.__name__ for a in self.viewset.get_extra_actions()}
        described = {a.name for a in self.all_extra_actions()}
        assert routed == described, "describe every @action in extra_actions()"

    @pytest.mark.parametrize("role", ("anonymous", *ROLES))
    def test_role_may_call_extra_actions(self, client_for, anon, role):
        for action in self.all_extra_actions():
            client = anon if role == "anonymous" else client_for(role)
            obj = action.make() if action.make else self.make()
            base = self.detail(obj.pk) if action.detail else self.url
            if action.upload:
                data = {**action.body, "file": self.excel_upload()}
                response = getattr(client, action.method)(f"{base}{action.path}", data, format="multipart")
            else:
                response = getattr(client, action.method)(f"{base}{action.path}", action.body, format="json")
            if role == "anonymous":
                assert_error(response, 401, "UNAUTHORIZED")
            elif role in action.allowed:
                assert response.status_code == action.success, (action.name, response.content[:300])
            else:
                assert_error(response, 403, "FORBIDDEN")
