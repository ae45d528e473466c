"""`WorkOrder.completed_at` (SPEC §6): set when the status becomes `completed`, cleared when it
leaves it; managers and admins may record an earlier time, never a future one; other roles
only send it back as it is. The same rule through the API, the admin and the Excel import
(the import's side is in tests/imports/test_history_columns.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.contract import assert_error
from tests.factories import EmployeeFactory, WorkOrderFactory
from workorders.models import WorkOrder

URL = "/api/v1/workorders/"
PAST = dt.datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
PAST_TEXT = "2025-03-01T12:30:15.123456Z"


def detail(order) -> str:
    return f"{URL}{order.pk}/"


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def stored(order) -> dt.datetime | None:
    return WorkOrder.objects.values_list("completed_at", flat=True).get(pk=order.pk)


@pytest.mark.django_db
class TestStatusTransitions:
    def test_created_completed_is_completed_now(self, api):
        before = timezone.now()
        body = api.post(URL, {"order_id": "WO-1", "client": "A", "status": "Completed"}, format="json").json()
        after = timezone.now()
        assert before <= parse(body["completed_at"]) <= after
        assert stored(WorkOrder.objects.get(order_id="WO-1")) == parse(body["completed_at"])

    def test_created_in_any_other_status_has_none(self, api):
        for n, status in enumerate(["pending", "in_progress", "on_hold", "cancelled"]):
            body = api.post(
                URL, {"order_id": f"WO-{n}", "client": "A", "status": status}, format="json"
            ).json()
            assert body["completed_at"] is None, status
        assert not WorkOrder.objects.filter(completed_at__isnull=False).exists()

    def test_becoming_completed_sets_it_leaving_clears_it_coming_back_sets_it_anew(self, api):
        order = WorkOrderFactory(status="in_progress")
        first = api.patch(detail(order), {"status": "completed"}, format="json").json()["completed_at"]
        assert first is not None and stored(order) == parse(first)
        # Staying completed (another field, or the same status again) keeps the time.
        assert api.patch(detail(order), {"client": "B"}, format="json").json()["completed_at"] == first
        assert (
            api.patch(detail(order), {"status": "completed"}, format="json").json()["completed_at"] == first
        )
        # Leaving: null.
        assert api.patch(detail(order), {"status": "on_hold"}, format="json").json()["completed_at"] is None
        assert stored(order) is None
        again = api.patch(detail(order), {"status": "completed"}, format="json").json()["completed_at"]
        assert parse(again) > parse(first)

    def test_a_whole_record_sent_back_with_a_new_status_clears_it(self, api):
        """A client that PUTs back what it read (completed_at included) and changes only the
        status: the old time is no choice of its own, so leaving `completed` clears it."""
        order = WorkOrderFactory(status="completed", completed_at=PAST, assigned_welder=None)
        body = api.get(detail(order)).json()
        assert body["completed_at"] == PAST_TEXT
        payload = {k: body[k] for k in ("order_id", "client", "description", "due_date", "completed_at")}
        response = api.put(detail(order), {**payload, "status": "in_progress"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["completed_at"] is None and stored(order) is None

    def test_a_put_that_leaves_it_out_keeps_it(self, api):
        order = WorkOrderFactory(status="completed", completed_at=PAST, assigned_welder=None)
        response = api.put(
            detail(order), {"order_id": order.order_id, "client": "X", "status": "completed"}, format="json"
        )
        assert response.status_code == 200 and response.json()["completed_at"] == PAST_TEXT

    def test_completed_before_the_field_existed_stays_null(self, api):
        """No backfill: such an order keeps null, also when it is edited (analytics leave it out)."""
        order = WorkOrderFactory(status="completed", completed_at=None)
        assert api.patch(detail(order), {"client": "B"}, format="json").json()["completed_at"] is None
        assert api.patch(detail(order), {"completed_at": None}, format="json").json()["completed_at"] is None
        assert stored(order) is None

    def test_null_means_work_it_out(self, api):
        order = WorkOrderFactory(status="completed", completed_at=PAST)
        assert (
            api.patch(detail(order), {"completed_at": None}, format="json").json()["completed_at"]
            == PAST_TEXT
        )
        body = api.post(
            URL,
            {"order_id": "WO-N", "client": "A", "status": "completed", "completed_at": None},
            format="json",
        ).json()
        assert body["completed_at"] is not None

    def test_an_operator_completing_their_order_records_the_time(self, client_for):
        operator = client_for("operator")
        mine = WorkOrderFactory(assigned_welder=EmployeeFactory(user=operator.user), status="in_progress")
        body = operator.patch(detail(mine), {"status": "completed"}, format="json").json()
        assert body["completed_at"] is not None and stored(mine) == parse(body["completed_at"])


@pytest.mark.django_db
class TestExplicitTimes:
    @pytest.mark.parametrize("role", ["manager", "admin"])
    def test_managers_and_admins_record_an_earlier_time(self, client_for, role):
        client = client_for(role)
        body = client.post(
            URL,
            {"order_id": "WO-1", "client": "A", "status": "completed", "completed_at": PAST_TEXT},
            format="json",
        ).json()
        assert body["completed_at"] == PAST_TEXT
        order = WorkOrderFactory(status="completed", completed_at=None)
        response = client.patch(
            detail(order), {"completed_at": "2025-03-01T13:30:15.123456+01:00"}, format="json"
        )
        assert response.status_code == 200 and response.json()["completed_at"] == PAST_TEXT
        assert stored(order) == PAST

    def test_completing_and_dating_in_one_request(self, api):
        order = WorkOrderFactory(status="in_progress")
        body = api.patch(
            detail(order), {"status": "completed", "completed_at": PAST_TEXT}, format="json"
        ).json()
        assert (body["status"], body["completed_at"]) == ("completed", PAST_TEXT)

    def test_a_future_time_is_422_and_nothing_is_written(self, api):
        future = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
        response = api.post(
            URL,
            {"order_id": "WO-1", "client": "A", "status": "completed", "completed_at": future},
            format="json",
        )
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["errors"] == {"completed_at": ["Cannot be in the future."]}
        assert not WorkOrder.objects.exists()
        order = WorkOrderFactory(status="completed", completed_at=PAST, client="A")
        response = api.patch(detail(order), {"completed_at": future, "client": "B"}, format="json")
        assert assert_error(response, 422, "VALIDATION_ERROR")["errors"] == {
            "completed_at": ["Cannot be in the future."]
        }
        order.refresh_from_db()
        assert (order.completed_at, order.client) == (PAST, "A")

    @pytest.mark.parametrize("status", ["pending", "in_progress", "on_hold", "cancelled"])
    def test_a_time_on_an_order_not_completed_is_422(self, api, status):
        response = api.post(
            URL,
            {"order_id": "WO-1", "client": "A", "status": status, "completed_at": PAST_TEXT},
            format="json",
        )
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["completed_at"]
        assert "Only a completed order has a completion time" in body["errors"]["completed_at"][0]
        assert not WorkOrder.objects.exists()
        order = WorkOrderFactory(status=status)
        assert_error(
            api.patch(detail(order), {"completed_at": PAST_TEXT}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert stored(order) is None

    def test_leaving_completed_with_a_new_time_is_422(self, api):
        order = WorkOrderFactory(status="completed", completed_at=PAST)
        response = api.patch(
            detail(order), {"status": "on_hold", "completed_at": "2025-04-01T00:00:00Z"}, format="json"
        )
        assert_error(response, 422, "VALIDATION_ERROR")
        order.refresh_from_db()
        assert (order.status, order.completed_at) == ("completed", PAST)

    def test_a_malformed_time_is_422(self, api):
        response = api.post(
            URL,
            {"order_id": "WO-1", "client": "A", "status": "completed", "completed_at": "yesterday"},
            format="json",
        )
        assert "completed_at" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


@pytest.mark.django_db
class TestOtherRoles:
    """Operators may not set the time (a 422 naming the field, like every refused value; the
    403 is for a request the role may not make at all). They may send it back as it is."""

    def test_an_operator_sending_a_time_is_422_and_nothing_is_written(self, client_for):
        operator = client_for("operator")
        response = operator.post(
            URL,
            {"order_id": "WO-1", "client": "A", "status": "completed", "completed_at": PAST_TEXT},
            format="json",
        )
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["completed_at"]
        assert body["errors"]["completed_at"][0].startswith("Your role may not set the completion time")
        assert not WorkOrder.objects.exists()

    def test_an_operator_may_not_change_the_time_of_their_own_order(self, client_for):
        operator = client_for("operator")
        mine = WorkOrderFactory(
            assigned_welder=EmployeeFactory(user=operator.user), status="completed", completed_at=PAST
        )
        response = operator.patch(detail(mine), {"completed_at": "2025-02-01T00:00:00Z"}, format="json")
        assert_error(response, 422, "VALIDATION_ERROR")
        assert stored(mine) == PAST

    def test_an_operator_may_send_it_back_unchanged(self, client_for):
        operator = client_for("operator")
        mine = WorkOrderFactory(
            assigned_welder=EmployeeFactory(user=operator.user), status="completed", completed_at=PAST
        )
        body = operator.get(detail(mine)).json()
        response = operator.patch(
            detail(mine), {"client": "New", "completed_at": body["completed_at"]}, format="json"
        )
        assert response.status_code == 200 and response.json()["completed_at"] == PAST_TEXT

    def test_a_viewer_still_gets_403_for_any_write(self, client_for):
        order = WorkOrderFactory(status="completed", completed_at=PAST)
        response = client_for("viewer").patch(detail(order), {"completed_at": PAST_TEXT}, format="json")
        assert_error(response, 403, "FORBIDDEN")


@pytest.mark.django_db
class TestListing:
    @override_settings(TIME_ZONE="Europe/Berlin")
    def test_completed_from_and_to_are_local_days(self, api):
        # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin.
        late = WorkOrderFactory(
            status="completed", completed_at=dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)
        )
        early = WorkOrderFactory(
            status="completed", completed_at=dt.datetime(2025, 3, 1, 22, 59, tzinfo=dt.UTC)
        )
        WorkOrderFactory(status="completed", completed_at=None)
        WorkOrderFactory(status="pending")

        def ids(**params):
            return [i["id"] for i in api.get(URL, params).json()["items"]]

        assert ids(completed_from="2025-03-02") == [late.pk]
        assert ids(completed_to="2025-03-01") == [early.pk]
        assert ids(completed_from="2025-03-01", completed_to="2025-03-02") == [late.pk, early.pk]
        assert ids(completed_from="2025-03-01T00:00:00.000") == [late.pk, early.pk]  # the Flutter form
        assert ids(completed_from="", completed_to="") == ids()  # an empty bound is no bound
        assert_error(api.get(URL, {"completed_from": "01/03/2025"}), 422, "VALIDATION_ERROR")

    def test_sorting_by_completed_at(self, api):
        b = WorkOrderFactory(status="completed", completed_at=PAST)
        a = WorkOrderFactory(status="completed", completed_at=PAST - dt.timedelta(days=3))
        c = WorkOrderFactory(status="completed", completed_at=PAST + dt.timedelta(seconds=1))
        items = api.get(URL, {"sort_by": "completed_at", "status": "completed"}).json()["items"]
        assert [i["id"] for i in items] == [a.pk, b.pk, c.pk]
        items = api.get(URL, {"ordering": "-completed_at"}).json()["items"]
        assert [i["id"] for i in items] == [c.pk, b.pk, a.pk]

    def test_the_list_shows_it_as_the_detail_does(self, api):
        order = WorkOrderFactory(status="completed", completed_at=PAST)
        item = api.get(URL).json()["items"][0]
        assert item["completed_at"] == PAST_TEXT == api.get(detail(order)).json()["completed_at"]
        assert api.get(URL, {"fields": "order_id,completed_at"}).json()["items"] == [
            {"order_id": order.order_id, "completed_at": PAST_TEXT}
        ]

    def test_the_schema_documents_the_field_and_the_filters(self):
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        props = schema["components"]["schemas"]["WorkOrder"]["properties"]
        assert props["completed_at"]["format"] == "date-time" and props["completed_at"]["nullable"] is True
        params = {p["name"] for p in schema["paths"]["/api/v1/workorders/"]["get"]["parameters"]}
        assert {"completed_from", "completed_to"} <= params


# ------------------------------------------------------------------------------------- admin
def admin_form(order=None, **values) -> dict:
    data = {
        "order_id": order.order_id if order else "WO-9",
        "client": order.client if order else "A",
        "description": "",
        "status": order.status if order else "pending",
        "due_date": "",
        "completed_at_0": "",
        "completed_at_1": "",
        "assigned_welder": "",
        "inspections-TOTAL_FORMS": "0",
        "inspections-INITIAL_FORMS": "0",
        "inspections-MIN_NUM_FORMS": "0",
        "inspections-MAX_NUM_FORMS": "1000",
    }
    if order is not None and order.completed_at is not None:
        local = timezone.localtime(order.completed_at)
        data["completed_at_0"] = local.strftime("%Y-%m-%d")
        data["completed_at_1"] = local.strftime("%H:%M:%S")
    data.update(values)
    return data


@pytest.fixture
def manager_client(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="manager"))
    return client


@pytest.mark.django_db
class TestAdmin:
    def test_the_list_and_the_form_show_it(self, manager_client):
        WorkOrderFactory(order_id="WO-7", status="completed", completed_at=PAST)
        page = manager_client.get("/admin/workorders/workorder/")
        assert page.status_code == 200 and b"completed at" in page.content.lower()
        order = WorkOrder.objects.get()
        page = manager_client.get(f"/admin/workorders/workorder/{order.pk}/change/")
        assert b'name="completed_at_0"' in page.content

    def test_completing_in_the_admin_records_the_time_leaving_clears_it(self, manager_client):
        order = WorkOrderFactory(status="in_progress", assigned_welder=None)
        url = f"/admin/workorders/workorder/{order.pk}/change/"
        before = timezone.now()
        response = manager_client.post(url, admin_form(order, status="completed"))
        assert response.status_code == 302, response.content[:3000]
        order.refresh_from_db()
        assert order.completed_at is not None and order.completed_at >= before
        # The form shows the time (to the second) and is sent back with a new status: cleared.
        response = manager_client.post(url, admin_form(order, status="on_hold"))
        assert response.status_code == 302, response.content[:3000]
        order.refresh_from_db()
        assert (order.status, order.completed_at) == ("on_hold", None)

    def test_the_form_sent_back_unchanged_keeps_the_exact_time(self, manager_client):
        order = WorkOrderFactory(status="completed", completed_at=PAST, assigned_welder=None)
        response = manager_client.post(
            f"/admin/workorders/workorder/{order.pk}/change/", admin_form(order, client="B")
        )
        assert response.status_code == 302, response.content[:3000]
        order.refresh_from_db()
        assert (order.client, order.completed_at) == ("B", PAST)  # microseconds kept

    def test_a_manager_records_an_earlier_time(self, manager_client):
        response = manager_client.post(
            "/admin/workorders/workorder/add/",
            admin_form(status="completed", completed_at_0="2025-03-01", completed_at_1="08:00:00"),
        )
        assert response.status_code == 302, response.content[:3000]
        assert stored(WorkOrder.objects.get()) == timezone.make_aware(dt.datetime(2025, 3, 1, 8))

    def test_future_or_not_completed_is_a_form_error_and_nothing_is_saved(self, manager_client):
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        response = manager_client.post(
            "/admin/workorders/workorder/add/",
            admin_form(status="completed", completed_at_0=tomorrow, completed_at_1="08:00:00"),
        )
        assert response.status_code == 200 and b"Cannot be in the future." in response.content
        response = manager_client.post(
            "/admin/workorders/workorder/add/",
            admin_form(status="pending", completed_at_0="2025-03-01", completed_at_1="08:00:00"),
        )
        assert (
            response.status_code == 200
            and b"Only a completed order has a completion time" in response.content
        )
        assert not WorkOrder.objects.exists()
