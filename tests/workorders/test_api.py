import datetime as dt

import pytest
from django.utils import timezone

from tests.contract import ResourceContract, assert_error
from tests.factories import EmployeeFactory, InspectionFactory, WorkOrderFactory
from workorders.views import WorkOrderViewSet

TODAY = timezone.localdate


class TestWorkOrderContract(ResourceContract):
    url = "/api/v1/workorders/"
    viewset = WorkOrderViewSet
    factory = WorkOrderFactory
    business_key = "order_id"
    sort_field = "due_date"
    max_list_queries = 4  # count, page with welder joined, inspections prefetch (+ auth user)
    operator_creates = True
    operator_changes_own = True

    def make_listed(self):
        obj = self.make()
        InspectionFactory.create_batch(2, work_order=obj)
        return obj

    def create_payload(self):
        welder = EmployeeFactory(employee_id="EMP-01", name="John Doe")
        return {
            "order_id": "WO-2000",
            "client": "Client A",
            "description": "Pipe Welding",
            "status": "in_progress",
            "due_date": "2030-11-25",
            "assigned_welder": welder.employee_id,
        }

    def patch_payload(self, obj):
        return {"status": "completed"}

    def invalid_payloads(self):
        return [
            ("unknown status", {"order_id": "WO-1", "client": "A", "status": "finished"}),
            ("bad date", {"order_id": "WO-1", "client": "A", "due_date": "2025-13-45"}),
            ("unknown welder", {"order_id": "WO-1", "client": "A", "assigned_welder": "EMP-404"}),
            ("blank client", {"order_id": "WO-1", "client": ""}),
            ("key over 32", {"order_id": "W" * 33, "client": "A"}),
            ("key not a string", {"order_id": ["WO-1"], "client": "A"}),
        ]

    def make_protected(self):
        return InspectionFactory().work_order


@pytest.mark.django_db
class TestWorkOrderSpecifics:
    def test_labels_are_accepted_and_values_returned(self, api):
        for label in ("In Progress", "IN_PROGRESS", "in progress", "in-progress"):
            response = api.post(
                "/api/v1/workorders/",
                {"order_id": f"WO-{label}"[:32], "client": "A", "status": label},
                format="json",
            )
            assert response.status_code == 201, response.json()
            assert response.json()["status"] == "in_progress"

    def test_flutter_datetime_and_defaults(self, api):
        body = api.post(
            "/api/v1/workorders/",
            {
                "order_id": " WO-3000 ",
                "client": "B",
                "due_date": "2025-11-25T00:00:00.000",
                "description": "",
            },
            format="json",
        ).json()
        assert body["order_id"] == "WO-3000"
        assert body["due_date"] == "2025-11-25"
        assert body["status"] == "pending"
        assert body["assigned_welder"] is None and body["assigned_welder_name"] is None
        assert body["inspections"] == []

    def test_welder_name_and_inspections_are_shown(self, api):
        order = WorkOrderFactory(assigned_welder=EmployeeFactory(employee_id="EMP-02", name="Jane Smith"))
        inspection = InspectionFactory(work_order=order, failed=True)
        body = api.get(f"/api/v1/workorders/{order.pk}/").json()
        assert body["assigned_welder"] == "EMP-02" and body["assigned_welder_name"] == "Jane Smith"
        assert body["inspections"] == [
            {
                "id": inspection.pk,
                "inspection_id": inspection.inspection_id,
                "result": "fail",
                "defect_type": "porosity",
                "inspected_at": body["inspections"][0]["inspected_at"],
            }
        ]

    def test_overdue(self, api):
        late = WorkOrderFactory(due_date=TODAY() - dt.timedelta(days=1))
        WorkOrderFactory(due_date=TODAY())
        WorkOrderFactory(due_date=TODAY() - dt.timedelta(days=3), status="completed")
        WorkOrderFactory(due_date=TODAY() - dt.timedelta(days=3), status="cancelled")
        WorkOrderFactory(due_date=None)
        body = api.get("/api/v1/workorders/", {"overdue": "true"}).json()
        assert [i["id"] for i in body["items"]] == [late.pk]
        assert body["items"][0]["is_overdue"] is True
        assert api.get("/api/v1/workorders/", {"overdue": "false"}).json()["total"] == 4
        assert_error(api.get("/api/v1/workorders/", {"overdue": "maybe"}), 422, "VALIDATION_ERROR")

    def test_filters(self, api):
        welder = EmployeeFactory(employee_id="EMP-09")
        a = WorkOrderFactory(
            status="pending", client="Client A", assigned_welder=welder, due_date=dt.date(2030, 1, 10)
        )
        b = WorkOrderFactory(status="in_progress", client="Client B", due_date=dt.date(2030, 2, 10))
        WorkOrderFactory(status="completed", client="Client C", due_date=dt.date(2030, 3, 10))

        def ids(**params):
            return [i["id"] for i in api.get("/api/v1/workorders/", params).json()["items"]]

        assert ids(status="pending,In Progress") == [a.pk, b.pk]
        assert ids(client="client a") == [a.pk]
        assert ids(assigned_welder="EMP-09") == [a.pk]
        assert ids(due_from="2030-02-01", due_to="2030-02-28") == [b.pk]
        assert ids(sort_by="due_date", order="desc", status="pending,in_progress") == [b.pk, a.pk]
        assert ids(ordering="-client", page_size=1) == [ids(client="Client C")[0]]
        assert_error(api.get("/api/v1/workorders/", {"status": "done"}), 422, "VALIDATION_ERROR")
        assert_error(api.get("/api/v1/workorders/", {"due_from": "10/01/2030"}), 422, "VALIDATION_ERROR")

    def test_delete_welder_with_orders_is_conflict(self, api):
        order = WorkOrderFactory()
        assert_error(api.delete(f"/api/v1/employees/{order.assigned_welder.pk}/"), 409, "CONFLICT")

    def test_a_blocked_delete_says_what_blocks_it_in_good_english(self, api):
        one, two = WorkOrderFactory(), WorkOrderFactory()
        InspectionFactory(work_order=one)
        InspectionFactory.create_batch(2, work_order=two)
        body = assert_error(api.delete(f"/api/v1/workorders/{one.pk}/"), 409, "CONFLICT")
        assert "it still has 1 inspection." in body["detail"]
        body = assert_error(api.delete(f"/api/v1/workorders/{two.pk}/"), 409, "CONFLICT")
        assert "it still has 2 inspections." in body["detail"]


@pytest.mark.django_db
class TestOperatorOwnership:
    def test_operator_changes_work_orders_assigned_to_their_employee_record(self, client_for):
        client = client_for("operator")
        mine = WorkOrderFactory(assigned_welder=EmployeeFactory(user=client.user))
        others = WorkOrderFactory()
        response = client.patch(f"/api/v1/workorders/{mine.pk}/", {"status": "in_progress"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "in_progress"
        response = client.patch(f"/api/v1/workorders/{others.pk}/", {"status": "in_progress"}, format="json")
        assert_error(response, 403, "FORBIDDEN")
        others.refresh_from_db()
        assert others.status == "pending"

    def test_operator_cannot_take_over_created_by(self, client_for):
        client = client_for("operator")
        others = WorkOrderFactory()
        response = client.post(
            "/api/v1/workorders/",
            {"order_id": "WO-77", "client": "A", "created_by": others.pk},
            format="json",
        )
        assert response.status_code == 201 and response.json()["created_by"] == client.user.pk

    def test_missing_record_is_404_for_every_role(self, client_for):
        for role in ("viewer", "operator", "manager"):
            assert_error(client_for(role).get("/api/v1/workorders/999999/"), 404, "NOT_FOUND")
