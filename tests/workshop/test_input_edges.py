"""Bad and odd input found by probing the API from the outside: each gets a clear answer in
the spec's error format (never a 500) and writes nothing; odd-but-meaningful input is taken."""

from __future__ import annotations

import pytest

from inspections.models import Inspection
from machines.models import Machine
from staff.models import Employee
from tests.contract import assert_error
from tests.factories import (
    EmployeeFactory,
    ImportTemplateFactory,
    InspectionFactory,
    UserFactory,
    WorkOrderFactory,
)
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------- deeply nested JSON
def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_too_deep_is_400_even_before_login(anon):
    body = f'{{"username": {nested(5000)}, "password": "x"}}'
    response = anon.generic("POST", "/api/v1/auth/login", body, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")


def test_json_nested_too_deep_on_a_write_is_400_and_writes_nothing(api):
    body = f'{{"order_id": "WO-DEEP", "client": "c", "description": {nested(5000)}}}'
    response = api.generic("POST", "/api/v1/workorders/", body, content_type="application/json")
    assert_error(response, 400, "BAD_REQUEST")
    assert not WorkOrder.objects.exists()


# ------------------------------------------------------------------- the ends of the calendar
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workorders/?created_to=9999-12-31",
        "/api/v1/workorders/?created_from=0001-01-01",
        "/api/v1/users/?created_to=9999-12-31",
        "/api/v1/inspections/?inspected_to=9999-12-31",
        "/api/v1/inspections/?inspected_from=0001-01-01",
        "/api/v1/dashboard/stats?to=9999-12-31",
        "/api/v1/dashboard/inspections?from=0001-01-01&to=9999-12-31",
    ],
)
def test_the_first_and_last_days_are_open_ends(api, url):
    InspectionFactory()
    response = api.get(url)
    assert response.status_code == 200, response.content
    if "dashboard" not in url and "users" not in url:
        assert response.json()["total"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workorders/?due_to=9999-12-31T23:59:59-05:00",
        "/api/v1/workorders/?created_from=0001-01-01T00:00:00%2B05:00",
    ],
)
def test_a_datetime_past_the_calendar_is_422(api, url):
    assert_error(api.get(url), 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("due_date", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_date_past_the_calendar_in_a_body_is_422_and_writes_nothing(api, due_date):
    payload = {"order_id": "WO-BIG", "client": "c", "due_date": due_date}
    body = assert_error(api.post("/api/v1/workorders/", payload, format="json"), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == ["due_date"]
    assert not WorkOrder.objects.exists()


# ------------------------------------------------------------------------------ users, roles
def test_fields_cannot_select_a_write_only_field(api):
    body = assert_error(api.get("/api/v1/users/", {"fields": "id,password"}), 422, "VALIDATION_ERROR")
    assert "password" in body["errors"]["fields"][0]


@pytest.mark.parametrize("label", ["Manager", "MANAGER", "manager"])
def test_a_role_is_taken_by_its_label_in_any_case(api, label):
    payload = {"username": f"pat-{label}", "password": "a-long-passphrase-2025", "role": label}
    response = api.post("/api/v1/users/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "manager"


@pytest.mark.parametrize("user", [1.5, True, "1.0", [1]])
def test_a_user_link_is_a_whole_id(api, user):
    UserFactory(role="viewer")
    payload = {"employee_id": "EMP-BIG", "name": "x", "user": user}
    body = assert_error(api.post("/api/v1/employees/", payload, format="json"), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == ["user"]
    assert not Employee.objects.filter(employee_id="EMP-BIG").exists()


def test_a_user_linked_twice_is_a_409_naming_the_field(api):
    user = UserFactory(role="operator")
    EmployeeFactory(user=user)
    payload = {"employee_id": "EMP-TWO", "name": "x", "user": user.pk}
    body = assert_error(api.post("/api/v1/employees/", payload, format="json"), 409, "DUPLICATE_RESOURCE")
    assert list(body["errors"]) == ["user"]
    assert not Employee.objects.filter(employee_id="EMP-TWO").exists()


# ------------------------------------------------------------------------------ references
def test_references_to_business_keys_are_trimmed_like_the_keys(api):
    order = WorkOrderFactory(order_id="WO-T1")
    welder = EmployeeFactory(employee_id="EMP-T1")
    response = api.post(
        "/api/v1/inspections/",
        {"inspection_id": "QC-T7", "order_id": " WO-T1 ", "result": "pass"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Inspection.objects.get(inspection_id="QC-T7").work_order == order
    response = api.patch(f"/api/v1/workorders/{order.pk}/", {"assigned_welder": " EMP-T1 "}, format="json")
    assert response.status_code == 200 and response.json()["assigned_welder"] == welder.employee_id


# ------------------------------------------------------------------------------ inspections
def test_put_of_a_failed_inspection_as_a_pass_clears_the_defect(api):
    inspection = InspectionFactory(failed=True)
    payload = {
        "inspection_id": inspection.inspection_id,
        "order_id": inspection.work_order.order_id,
        "result": "pass",
    }
    response = api.put(f"/api/v1/inspections/{inspection.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["defect_type"] is None


# ------------------------------------------------------------------------------ formats
@pytest.mark.parametrize("url", ["/api/v1/workorders/?format=xml", "/api/v1/auth/me?format=yaml"])
def test_an_unknown_format_is_422_naming_the_ones_there_are(api, url):
    body = assert_error(api.get(url), 422, "VALIDATION_ERROR")
    assert "json" in body["errors"]["format"][0]


def test_format_json_is_fine(api):
    assert api.get("/api/v1/workorders/?format=json").status_code == 200


# ------------------------------------------------------------------------------ auth bodies
@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/auth/login", {"username": 123, "password": "x"}, "username"),
        ("/api/v1/auth/login", {"username": "admin", "password": ["x"]}, "password"),
        ("/api/v1/auth/refresh", {"refresh_token": 123}, "refresh_token"),
    ],
)
def test_auth_bodies_of_the_wrong_type_are_422(anon, url, payload, field):
    body = assert_error(anon.post(url, payload, format="json"), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == [field]


def test_logout_with_a_number_for_a_token_is_422(client_for):
    body = assert_error(
        client_for("viewer").post("/api/v1/auth/logout", {"refresh_token": 123}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
    assert list(body["errors"]) == ["refresh_token"]


# ------------------------------------------------------------------------------ booleans
@pytest.mark.parametrize("value", [0, 1, "true", "yes", "off", None])
def test_a_boolean_field_takes_true_or_false_only(api, value):
    template = ImportTemplateFactory(active=True)
    body = assert_error(
        api.patch(f"/api/v1/templates/{template.pk}/", {"active": value}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
    assert list(body["errors"]) == ["active"]
    template.refresh_from_db()
    assert template.active is True


def test_a_user_put_without_a_password_keeps_it(api):
    user = UserFactory(role="viewer")
    payload = {"username": user.username, "email": "new@example.com", "role": "viewer", "is_active": True}
    response = api.put(f"/api/v1/users/{user.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.email == "new@example.com" and user.check_password("correct-horse-battery-staple")


# ------------------------------------------------------------------------------ search
def test_search_takes_up_to_ten_words_of_up_to_100_characters(api):
    WorkOrderFactory(description="root and cap passes")
    assert api.get("/api/v1/workorders/", {"search": " ".join(["pass"] * 10)}).json()["total"] == 1
    body = assert_error(
        api.get("/api/v1/workorders/", {"search": " ".join(["pass"] * 11)}), 422, "VALIDATION_ERROR"
    )
    assert list(body["errors"]) == ["search"]
    assert_error(api.get("/api/v1/items/", {"search": "x" * 101}), 422, "VALIDATION_ERROR")
    assert_error(
        api.get("/api/v1/workorders/export/", {"search": " ".join(["a"] * 11)}), 422, "VALIDATION_ERROR"
    )


def test_unknown_fields_are_422_even_on_an_empty_page(api):
    body = assert_error(
        api.get("/api/v1/machines/", {"fields": "bogus", "search": "nothing-matches"}),
        422,
        "VALIDATION_ERROR",
    )
    assert list(body["errors"]) == ["fields"]


# ------------------------------------------------------------------------------ JSON fields
@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        (
            "/api/v1/machines/",
            {"name": "n", "code": "C3", "type": "r", "metadata": {"a": "\u0000"}},
            "metadata",
        ),
        ("/api/v1/machines/", {"name": "n", "code": "C4", "metadata": {"a\u0000": 1}}, "metadata"),
        (
            "/api/v1/machines/",
            {"name": "n", "code": "C5", "metadata": {"a": ["ok", {"b": "x\u0000"}]}},
            "metadata",
        ),
    ],
)
def test_a_nul_character_in_json_is_422_and_writes_nothing(api, url, payload, field):
    body = assert_error(api.post(url, payload, format="json"), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == [field]
    assert not Machine.objects.exists()


def test_a_nul_in_a_template_mapping_is_422(api):
    template = ImportTemplateFactory()
    body = assert_error(
        api.patch(f"/api/v1/templates/{template.pk}/", {"mapping": {"Date": "date\u0000"}}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
    assert list(body["errors"]) == ["mapping"]


# ------------------------------------------------------------------------------ caching
@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/workorders/", "/api/v1/dashboard/stats"])
def test_api_answers_are_not_stored_by_browsers_or_proxies(api, path):
    assert api.get(path)["Cache-Control"] == "no-store"


def test_tokens_are_not_stored_either(anon):
    UserFactory(username="cc-user")
    response = anon.post(
        "/api/v1/auth/login",
        {"username": "cc-user", "password": "correct-horse-battery-staple"},
        format="json",
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_the_schema_may_be_cached(anon):
    assert "no-store" not in anon.get("/api/schema/").get("Cache-Control", "")


# ------------------------------------------------------------------------------ Host header
def test_a_foreign_host_on_an_api_path_is_a_json_400(anon, settings):
    settings.DEBUG = False
    response = anon.get("/api/v1/workorders/", HTTP_HOST="evil.example.com")
    assert_error(response, 400, "BAD_REQUEST")


# ------------------------------------------------------------------------------ browsable API
def test_any_user_can_log_in_to_the_browsable_api(client):
    UserFactory(username="op-browser", role="operator")
    page = client.get("/api-auth/login/")
    assert page.status_code == 200
    response = client.post(
        "/api-auth/login/",
        {"username": "op-browser", "password": "correct-horse-battery-staple", "next": "/api/v1/workorders/"},
    )
    assert response.status_code == 302 and response["Location"] == "/api/v1/workorders/"
    listing = client.get("/api/v1/workorders/", HTTP_ACCEPT="text/html")
    assert listing.status_code == 200 and b"Work Order List" in listing.content
    assert b"op-browser" in listing.content and b"onclick" not in listing.content  # CSP: no inline JS
    assert client.post("/api-auth/logout/").status_code in (200, 302)
    assert client.get("/api/v1/workorders/", HTTP_ACCEPT="application/json").status_code == 401


def test_an_anonymous_browser_is_sent_to_the_browsable_apis_login(client):
    """A browser (HTML negotiated) that is not logged in goes to the login page and comes
    back; JSON clients, and a browser's POST, still get the JSON 401."""
    response = client.get("/api/v1/workorders/?status=pending", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == "/api-auth/login/?next=/api/v1/workorders/%3Fstatus%3Dpending"
    assert client.get("/api/v1/workorders/", HTTP_ACCEPT="application/json").status_code == 401
    assert client.get("/api/v1/workorders/").status_code == 401  # no Accept: JSON
    assert client.post("/api/v1/workorders/", {}, HTTP_ACCEPT="text/html").status_code == 401


def test_the_browsable_api_login_is_rate_limited_like_the_others(client, settings):
    settings.RATELIMIT_AUTH = "2/h"
    settings.RATELIMIT_ENABLE = True
    for _ in range(2):
        response = client.post(
            "/api-auth/login/", {"username": "nobody", "password": "wrong"}, REMOTE_ADDR="198.51.100.99"
        )
        assert response.status_code == 200  # the form again, with its error
    response = client.post(
        "/api-auth/login/", {"username": "nobody", "password": "wrong"}, REMOTE_ADDR="198.51.100.99"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_unknown_body_fields_are_422_naming_them_and_write_nothing(api, anon):
    """A typo in a field name is never silently dropped: records, logins and actions alike."""
    from tests.factories import ItemFactory, WorkOrderFactory
    from workorders.models import WorkOrder

    cases = [
        (anon, "/api/v1/auth/login", {"username": "x", "password": "y", "remember_me": True}, "remember_me"),
        (
            api,
            "/api/v1/workorders/",
            {"order_id": "WO-NEW", "client": "Acme", "assigned_welder_id": 3},
            "assigned_welder_id",
        ),
        (
            api,
            f"/api/v1/items/{ItemFactory().pk}/adjust/",
            {"delta": 5, "reason": "receipt", "why": "x"},
            "why",
        ),
    ]
    order = WorkOrderFactory()
    for client, url, body, unknown in cases:
        refused = assert_error(client.post(url, body, format="json"), 422, "VALIDATION_ERROR")
        assert list(refused["errors"]) == [unknown], url
        assert refused["errors"][unknown][0].startswith("Unknown field. Allowed: "), url
    refused = assert_error(
        api.patch(f"/api/v1/workorders/{order.pk}/", {"clinet": "Typo Ltd"}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
    assert list(refused["errors"]) == ["clinet"]
    assert not WorkOrder.objects.filter(order_id="WO-NEW").exists()
    order.refresh_from_db()
    assert order.client != "Typo Ltd"
    # read-only fields sent back with the record are known: ignored, as before
    record = api.get(f"/api/v1/workorders/{order.pk}/").json()
    assert api.put(f"/api/v1/workorders/{order.pk}/", record, format="json").status_code == 200
