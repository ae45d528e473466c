"""Conditional requests (SPEC §7): ETags on details and lists, If-None-Match → 304, If-Match →
412 on a stale tag with nothing written, REQUIRE_IF_MATCH → 428, the new tag on writes, and
tags that change whatever wrote the record."""

from __future__ import annotations

import re

import pytest

from inventory.models import StockMovement
from inventory.services import item_adjust_stock
from tests.factories import ItemFactory, WorkOrderFactory
from tests.workbooks import workbook_upload
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TAG = re.compile(r'^"[0-9a-f]{32}"$')


def url(order) -> str:
    return f"/api/v1/workorders/{order.pk}/"


def test_detail_answers_a_strong_etag(api):
    order = WorkOrderFactory()
    response = api.get(url(order))
    assert response.status_code == 200
    assert TAG.match(response["ETag"])
    assert api.get(url(order))["ETag"] == response["ETag"]


def test_if_none_match_with_the_current_tag_is_304_without_body(api):
    order = WorkOrderFactory()
    tag = api.get(url(order))["ETag"]
    for header in (tag, f"W/{tag}", "*", f'"nope", {tag}'):
        response = api.get(url(order), HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304, header
        assert response.content == b""
        assert response["ETag"] == tag
    assert api.get(url(order), HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_stale_if_match_is_412_and_writes_nothing(api):
    order = WorkOrderFactory(client="Old")
    tag = api.get(url(order))["ETag"]
    WorkOrder.objects.filter(pk=order.pk).update(client="Changed elsewhere")
    current = api.get(url(order))["ETag"]
    assert current != tag
    response = api.patch(url(order), {"client": "Mine"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 412
    body = response.json()
    assert body["error_code"] == "PRECONDITION_FAILED"
    assert set(body) >= {"detail", "timestamp", "request_id"}
    assert response["ETag"] == current
    order.refresh_from_db()
    assert order.client == "Changed elsewhere"


def test_matching_if_match_writes_and_answers_the_new_tag(api):
    order = WorkOrderFactory(client="Old")
    tag = api.get(url(order))["ETag"]
    response = api.patch(url(order), {"client": "New"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200
    assert response["ETag"] != tag
    assert response["ETag"] == api.get(url(order))["ETag"]


def test_a_partial_get_answers_the_full_records_tag_and_it_writes(api):
    order = WorkOrderFactory(client="Old")
    full = api.get(url(order))["ETag"]
    partial = api.get(url(order), {"fields": "id,status"})
    assert partial.status_code == 200 and set(partial.json()) == {"id", "status"}
    assert partial["ETag"] == full
    assert api.get(url(order), {"fields": "id"}, HTTP_IF_NONE_MATCH=full).status_code == 304
    response = api.patch(url(order), {"client": "New"}, format="json", HTTP_IF_MATCH=partial["ETag"])
    assert response.status_code == 200


@pytest.mark.parametrize(
    "make_header", [lambda tag: f"W/{tag}", lambda tag: tag[1:-1], lambda tag: "garbage"]
)
def test_if_match_compares_strongly(api, make_header):
    order = WorkOrderFactory(client="Old")
    tag = api.get(url(order))["ETag"]
    response = api.patch(url(order), {"client": "New"}, format="json", HTTP_IF_MATCH=make_header(tag))
    assert response.status_code == 412
    assert response.json()["error_code"] == "PRECONDITION_FAILED"
    assert response["ETag"] == tag
    order.refresh_from_db()
    assert order.client == "Old"


def test_if_match_star_and_lists_of_tags(api):
    order = WorkOrderFactory(client="Old")
    assert api.patch(url(order), {"client": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    tag = api.get(url(order))["ETag"]
    both = f'"0123", {tag}'
    assert api.patch(url(order), {"client": "B"}, format="json", HTTP_IF_MATCH=both).status_code == 200
    missing = "/api/v1/workorders/999999/"
    assert api.patch(missing, {"client": "C"}, format="json", HTTP_IF_MATCH="*").status_code == 404


def test_put_with_stale_if_match_is_412(api):
    order = WorkOrderFactory(client="Old")
    stale = api.get(url(order))["ETag"]
    body = api.get(url(order)).json()
    api.patch(url(order), {"client": "Between"}, format="json")
    body["client"] = "Mine"
    response = api.put(url(order), body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    order.refresh_from_db()
    assert order.client == "Between"


def test_delete_with_stale_if_match_is_412_and_keeps_the_record(api):
    order = WorkOrderFactory()
    stale = api.get(url(order))["ETag"]
    WorkOrder.objects.filter(pk=order.pk).update(description="changed")
    response = api.delete(url(order), HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json()["error_code"] == "PRECONDITION_FAILED"
    assert WorkOrder.objects.filter(pk=order.pk).exists()
    current = response["ETag"]
    deleted = api.delete(url(order), HTTP_IF_MATCH=current)
    assert deleted.status_code == 200
    assert "ETag" not in deleted
    assert not WorkOrder.objects.filter(pk=order.pk).exists()


def test_write_without_if_match_still_works_and_answers_the_new_tag(api):
    order = WorkOrderFactory(client="Old")
    response = api.patch(url(order), {"client": "New"}, format="json")
    assert response.status_code == 200
    assert response["ETag"] == api.get(url(order))["ETag"]


class TestRequireIfMatch:
    @pytest.fixture(autouse=True)
    def _required(self, settings):
        settings.REQUIRE_IF_MATCH = True

    def test_missing_if_match_is_428_and_writes_nothing(self, api):
        order = WorkOrderFactory(client="Old")
        body = api.get(url(order)).json()
        body["client"] = "Mine"
        for response in (
            api.patch(url(order), {"client": "Mine"}, format="json"),
            api.put(url(order), body, format="json"),
            api.delete(url(order)),
        ):
            assert response.status_code == 428
            assert response.json()["error_code"] == "PRECONDITION_REQUIRED"
            assert set(response.json()) >= {"detail", "timestamp", "request_id"}
        order.refresh_from_db()
        assert order.client == "Old"

    def test_with_if_match_it_writes(self, api):
        order = WorkOrderFactory(client="Old")
        tag = api.get(url(order))["ETag"]
        assert api.patch(url(order), {"client": "New"}, format="json", HTTP_IF_MATCH=tag).status_code == 200

    def test_create_and_reads_are_not_affected(self, api):
        response = api.post("/api/v1/workorders/", {"order_id": "WO-9001", "client": "X"}, format="json")
        assert response.status_code == 201, response.json()
        assert api.get("/api/v1/workorders/").status_code == 200
        assert api.get(f"/api/v1/workorders/{response.json()['id']}/").status_code == 200

    def test_an_action_on_a_record_needs_it(self, api):
        item = ItemFactory(quantity=50)
        adjust = f"/api/v1/items/{item.pk}/adjust/"
        response = api.post(adjust, {"delta": 5, "reason": "receipt"}, format="json")
        assert response.status_code == 428
        item.refresh_from_db()
        assert item.quantity == 50 and not StockMovement.objects.exists()
        tag = api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        assert (
            api.post(adjust, {"delta": 5, "reason": "receipt"}, format="json", HTTP_IF_MATCH=tag).status_code
            == 200
        )

    def test_imports_are_not_affected(self, api, settings, tmp_path, django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path / "media"
        upload = workbook_upload([["OrderID", "Client", "Status"], ["WO-7001", "Harbour Steel", "pending"]])
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/workorders/import/", {"file": upload}, format="multipart")
        assert response.status_code == 201, response.json()
        assert WorkOrder.objects.filter(order_id="WO-7001").exists()


class TestActions:
    def test_stale_if_match_on_an_action_is_412_and_writes_nothing(self, api):
        item = ItemFactory(quantity=50)
        stale = api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        item_adjust_stock(item_id=item.pk, delta=-5, reason="consumption")
        response = api.post(
            f"/api/v1/items/{item.pk}/adjust/",
            {"delta": 10, "reason": "receipt"},
            format="json",
            HTTP_IF_MATCH=stale,
        )
        assert response.status_code == 412
        assert response.json()["error_code"] == "PRECONDITION_FAILED"
        assert response["ETag"] == api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        item.refresh_from_db()
        assert item.quantity == 45 and StockMovement.objects.count() == 1

    def test_an_action_answers_the_records_new_tag(self, api):
        item = ItemFactory(quantity=50)
        tag = api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        response = api.post(
            f"/api/v1/items/{item.pk}/adjust/",
            {"delta": 10, "reason": "receipt"},
            format="json",
            HTTP_IF_MATCH=tag,
        )
        assert response.status_code == 200, response.json()
        assert response["ETag"] != tag
        assert response["ETag"] == api.get(f"/api/v1/items/{item.pk}/")["ETag"]


class TestLists:
    def test_a_list_answers_a_tag_and_304(self, api):
        WorkOrderFactory.create_batch(3)
        response = api.get("/api/v1/workorders/")
        tag = response["ETag"]
        assert TAG.match(tag)
        again = api.get("/api/v1/workorders/", HTTP_IF_NONE_MATCH=tag)
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == tag

    def test_a_write_changes_the_lists_tag(self, api):
        order = WorkOrderFactory()
        tag = api.get("/api/v1/workorders/")["ETag"]
        api.patch(url(order), {"client": "New"}, format="json")
        assert api.get("/api/v1/workorders/", HTTP_IF_NONE_MATCH=tag).status_code == 200

    def test_list_tags_can_be_turned_off(self, api, settings):
        settings.LIST_ETAGS = False
        WorkOrderFactory()
        response = api.get("/api/v1/workorders/", HTTP_IF_NONE_MATCH="*")
        assert response.status_code == 200 and "ETag" not in response


class TestOtherWriters:
    """The tag is of the representation: every path that writes the row changes it."""

    def test_an_admin_change(self, api, client, admin_user):
        item = ItemFactory(item_name="Rods")
        tag = api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        client.force_login(admin_user)
        form = {
            "item_id": item.item_id,
            "item_name": "Rods (renamed)",
            "quantity": item.quantity,
            "quantity_seen": item.quantity,
            "unit": item.unit,
            "reorder_level": item.reorder_level,
        }
        response = client.post(f"/admin/inventory/item/{item.pk}/change/", form)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert api.get(f"/api/v1/items/{item.pk}/")["ETag"] != tag

    def test_a_stock_adjustment(self, api):
        item = ItemFactory(quantity=50)
        tag = api.get(f"/api/v1/items/{item.pk}/")["ETag"]
        item_adjust_stock(item_id=item.pk, delta=3, reason="receipt")  # one F() UPDATE
        assert api.get(f"/api/v1/items/{item.pk}/", HTTP_IF_NONE_MATCH=tag).status_code == 200

    def test_an_import(self, api, settings, tmp_path, django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path / "media"
        order = WorkOrderFactory(order_id="WO-7002", client="Old")
        tag = api.get(url(order))["ETag"]
        upload = workbook_upload([["OrderID", "Client", "Status"], ["WO-7002", "Harbour Steel", "pending"]])
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/workorders/import/", {"file": upload}, format="multipart")
        assert response.status_code == 201, response.json()
        assert api.get(url(order))["ETag"] != tag
        assert api.patch(url(order), {"client": "X"}, format="json", HTTP_IF_MATCH=tag).status_code == 412

    def test_a_job(self, api, settings, tmp_path, django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path / "media"
        order = WorkOrderFactory(order_id="WO-7003", client="Old")
        tag = api.get(url(order))["ETag"]
        upload = workbook_upload([["OrderID", "Client", "Status"], ["WO-7003", "Job Steel", "pending"]])
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/workorders/import/",
                {"file": upload},
                format="multipart",
                HTTP_PREFER="respond-async",
            )
        assert response.status_code == 202, response.json()
        order.refresh_from_db()
        assert order.client == "Job Steel"
        assert api.get(url(order))["ETag"] != tag


def test_no_compression_weakens_the_tag(api, settings):
    """The app compresses nothing (no GZipMiddleware, which would turn the strong tag into a
    weak one that If-Match never matches): a large detail asked for with gzip is sent whole,
    with its strong tag, and that tag writes."""
    assert not any("GZip" in name for name in settings.MIDDLEWARE)
    order = WorkOrderFactory(description="x" * 20000)
    response = api.get(url(order), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert TAG.match(response["ETag"])
    patched = api.patch(url(order), {"client": "New"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert patched.status_code == 200


def test_cors_preflight_allows_the_conditional_headers(anon, api, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = anon.options(
        "/api/v1/workorders/1/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-match, if-none-match, authorization",
    )
    assert response.status_code == 200
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"if-match", "if-none-match"} <= allowed
    order = WorkOrderFactory()
    get = api.get(url(order), HTTP_ORIGIN="https://app.example.com")
    assert "ETag" in get and "etag" in get["Access-Control-Expose-Headers"].lower()


def test_if_match_costs_no_query_on_a_change(api):
    """The current tag is of the record the change already read and locked (its prefetches
    loaded), the new one of the answer's body: If-Match adds no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import InspectionFactory

    order = WorkOrderFactory(client="Old")
    InspectionFactory.create_batch(3, work_order=order)
    with CaptureQueriesContext(connection) as plain:
        assert api.patch(url(order), {"client": "A"}, format="json").status_code == 200
    tag = api.get(url(order))["ETag"]
    with CaptureQueriesContext(connection) as conditional:
        response = api.patch(url(order), {"client": "B"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200
    assert len(conditional.captured_queries) == len(plain.captured_queries)
    assert response["ETag"] == api.get(url(order))["ETag"]


def test_the_schema_documents_conditional_requests(anon):
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    detail = schema["paths"]["/api/v1/workorders/{id}/"]

    def header_params(operation):
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    get = detail["get"]
    assert "If-None-Match" in header_params(get)
    assert {"200", "304"} <= set(get["responses"])
    assert "ETag" in get["responses"]["200"]["headers"] and "ETag" in get["responses"]["304"]["headers"]
    assert "content" not in get["responses"]["304"]
    listing = schema["paths"]["/api/v1/workorders/"]["get"]
    assert "If-None-Match" in header_params(listing) and "304" in listing["responses"]
    for method in ("put", "patch", "delete"):
        operation = detail[method]
        assert "If-Match" in header_params(operation), method
        assert {"412", "428"} <= set(operation["responses"]), method
        assert "ETag" in operation["responses"]["412"]["headers"]
    assert "ETag" in detail["patch"]["responses"]["200"]["headers"]
    adjust = schema["paths"]["/api/v1/items/{id}/adjust/"]["post"]
    assert "If-Match" in header_params(adjust) and "412" in adjust["responses"]
    create = schema["paths"]["/api/v1/workorders/"]["post"]
    assert "If-Match" not in header_params(create) and "412" not in create["responses"]
    upload = schema["paths"]["/api/v1/templates/{id}/upload/"]["post"]
    assert "If-Match" not in header_params(upload)


def test_head_answers_the_tag_and_304(api):
    order = WorkOrderFactory()
    tag = api.get(url(order))["ETag"]
    head = api.head(url(order))
    assert head.status_code == 200 and head["ETag"] == tag
    assert api.head(url(order), HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_an_error_answer_has_no_tag_and_if_match_on_a_missing_record_is_404(api):
    missing = "/api/v1/workorders/999999/"
    response = api.patch(missing, {"client": "X"}, format="json", HTTP_IF_MATCH='"abc"')
    assert response.status_code == 404 and "ETag" not in response
    assert api.get(missing, HTTP_IF_NONE_MATCH="*").status_code == 404


def test_a_stale_tag_with_an_invalid_body_is_412_and_a_current_one_422(api):
    """Preconditions come before the body is read (RFC 9110 §13.2.1): a stale tag is 412
    whatever the body; with the current tag, a bad body is the usual 422, nothing written."""
    order = WorkOrderFactory(client="Old")
    tag = api.get(url(order))["ETag"]
    stale = api.patch(url(order), {"due_date": "not a date"}, format="json", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    invalid = api.patch(url(order), {"due_date": "not a date"}, format="json", HTTP_IF_MATCH=tag)
    assert invalid.status_code == 422 and invalid.json()["error_code"] == "VALIDATION_ERROR"
    assert api.get(url(order))["ETag"] == tag
