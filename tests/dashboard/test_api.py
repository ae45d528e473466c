"""The dashboard endpoints over HTTP: access, parameters, and every figure against an
independent computation in Python (tests/dashboard/expected.py)."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from dashboard.examples import EXAMPLES
from dashboard.views import FIGURES
from inspections.models import Inspection
from tests.contract import assert_error
from tests.dashboard import expected
from tests.dashboard.conftest import ENDPOINTS
from tests.factories import (
    EmployeeFactory,
    EquipmentFactory,
    InspectionFactory,
    ItemFactory,
    WorkOrderFactory,
)
from workorders.models import WorkOrder

ALL = sorted(ENDPOINTS)
LIMIT = 20


def local_tz():
    return timezone.get_current_timezone()


def get(client, name: str, **params):
    response = client.get(ENDPOINTS[name], params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


# ------------------------------------------------------------------------------ access
@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("name", ALL)
    def test_anonymous_is_401(self, anon, name):
        assert_error(anon.get(ENDPOINTS[name]), 401, "UNAUTHORIZED")

    @pytest.mark.parametrize("name", ALL)
    @pytest.mark.parametrize("role", ["viewer", "operator", "manager", "admin"])
    def test_every_role_may_read(self, client_for, role, name):
        assert client_for(role).get(ENDPOINTS[name]).status_code == 200

    @pytest.mark.parametrize("name", ALL)
    def test_a_user_without_a_role_is_403(self, client_for, name):
        assert_error(client_for("").get(ENDPOINTS[name]), 403, "FORBIDDEN")

    @pytest.mark.parametrize("name", ALL)
    def test_a_session_user_may_read(self, client, django_user_model, name):
        from tests.factories import UserFactory

        client.force_login(UserFactory(role="viewer"))
        assert client.get(ENDPOINTS[name]).status_code == 200

    @pytest.mark.parametrize("name", ALL)
    def test_trailing_slash_is_optional(self, api, name):
        assert api.get(ENDPOINTS[name] + "/").status_code == 200

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_read_only(self, api, method):
        assert_error(getattr(api, method)(ENDPOINTS["stats"], {}, format="json"), 405, "METHOD_NOT_ALLOWED")

    def test_unknown_dashboard_url_is_404(self, api):
        assert_error(api.get("/api/v1/dashboard/nothing"), 404, "NOT_FOUND")


# ------------------------------------------------------------------------------ parameters
@pytest.mark.django_db
class TestParameters:
    @pytest.mark.parametrize("name", ALL)
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2025-13-45"}, "from"),
            ({"to": "yesterday"}, "to"),
            ({"from": "2025-06-02", "to": "2025-06-01"}, "from"),
            ({"limit": "0"}, "limit"),
            ({"limit": "1001"}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"limit": "-1"}, "limit"),
            ({"form": "2025-01-01"}, "form"),
            ({"due_from": "2025-01-01"}, "due_from"),
        ],
        ids=[
            "bad-from",
            "bad-to",
            "from-after-to",
            "limit-0",
            "limit-1001",
            "limit-word",
            "limit-neg",
            "typo",
            "unknown",
        ],
    )
    def test_bad_values_are_422(self, api, name, params, field):
        body = assert_error(api.get(ENDPOINTS[name], params), 422, "VALIDATION_ERROR")
        assert field in body["errors"], body

    @pytest.mark.parametrize("name", ALL)
    def test_a_parameter_given_twice_is_422(self, api, name):
        body = assert_error(
            api.get(f"{ENDPOINTS[name]}?from=2025-11-26&from=2025-11-28"), 422, "VALIDATION_ERROR"
        )
        assert list(body["errors"]) == ["from"]

    @pytest.mark.parametrize("name", ALL)
    def test_good_values(self, api, name):
        for params in (
            {"from": "2025-06-01", "to": "2025-06-01"},
            {"from": "2025-06-01T00:00:00.000"},
            {"to": "2025-06-30", "limit": "1000"},
            {"from": "", "to": ""},
        ):
            assert api.get(ENDPOINTS[name], params).status_code == 200, params

    def test_limit_caps_lists_not_counts(self, api, shop):
        body = get(api, "workorders", limit=2)
        assert len(body["overdue"]["items"]) == min(2, body["overdue"]["count"])
        assert body["overdue"]["count"] > 2
        assert len(body["by_client"]["items"]) == 2
        assert body["by_client"]["count"] == 5
        stats = get(api, "stats", limit=1)
        assert len(stats["inventory_alerts"]) == 1
        assert get(api, "inventory-alerts", limit=1)["count"] > 1


# ------------------------------------------------------------------------------ figures
@pytest.mark.django_db
class TestFigures:
    """Each endpoint's whole answer equals the Python computation over the same rows."""

    def test_stats(self, api, shop):
        assert get(api, "stats") == expected.stats(shop, local_tz(), LIMIT)

    def test_stats_shape_is_the_specs(self, api, shop):
        body = get(api, "stats")
        assert set(body) == {"work_orders", "equipment", "inspections", "employees", "inventory_alerts"}
        assert set(body["work_orders"]) == {
            "total",
            "pending",
            "in_progress",
            "on_hold",
            "completed",
            "cancelled",
            "overdue",
        }
        assert set(body["equipment"]) == {
            "total",
            "operational",
            "maintenance",
            "out_of_order",
            "service_overdue",
        }
        assert set(body["inspections"]) == {"total", "passed", "failed", "pass_rate", "fail_rate"}
        assert set(body["employees"]) == {"total", "certifications_expiring", "certifications_expired"}
        assert set(body["inventory_alerts"][0]) >= {
            "item_id",
            "item_name",
            "quantity",
            "reorder_level",
            "unit",
            "shortfall",
        }

    def test_workorders(self, api, shop):
        assert get(api, "workorders") == expected.workorders_summary(shop, LIMIT)

    def test_equipment(self, api, shop):
        assert get(api, "equipment") == expected.equipment_summary(shop, LIMIT)

    def test_inspections(self, api, shop):
        assert get(api, "inspections") == expected.inspections_summary(local_tz(), LIMIT)

    def test_inventory_alerts(self, api, shop):
        assert get(api, "inventory-alerts") == expected.inventory_summary(LIMIT)

    def test_employees(self, api, shop):
        assert get(api, "employees") == expected.employees_summary(shop, LIMIT)

    @pytest.mark.parametrize("limit", [1, 3])
    def test_small_limits(self, api, shop, limit):
        assert get(api, "workorders", limit=limit) == expected.workorders_summary(shop, limit)
        assert get(api, "inspections", limit=limit) == expected.inspections_summary(local_tz(), limit)
        assert get(api, "employees", limit=limit) == expected.employees_summary(shop, limit)
        assert get(api, "equipment", limit=limit) == expected.equipment_summary(shop, limit)
        assert get(api, "inventory-alerts", limit=limit) == expected.inventory_summary(limit)

    def test_period_selects_work_orders_by_due_date_and_inspections_by_day(self, api, shop):
        start, end = shop - dt.timedelta(days=5), shop + dt.timedelta(days=3)
        params = {"from": start.isoformat(), "to": end.isoformat()}
        assert get(api, "workorders", **params) == expected.workorders_summary(shop, LIMIT, start, end)
        assert get(api, "inspections", **params) == expected.inspections_summary(
            local_tz(), LIMIT, start, end
        )
        assert get(api, "stats", **params) == expected.stats(shop, local_tz(), LIMIT, start, end)
        # Open-ended on either side.
        assert get(api, "workorders", to=end.isoformat()) == expected.workorders_summary(
            shop, LIMIT, None, end
        )
        assert get(api, "inspections", **{"from": start.isoformat()}) == expected.inspections_summary(
            local_tz(), LIMIT, start, None
        )

    def test_period_leaves_out_work_orders_without_a_due_date(self, api):
        WorkOrderFactory(due_date=None)
        WorkOrderFactory(due_date=dt.date(2025, 6, 1))
        assert get(api, "workorders")["total"] == 2
        assert get(api, "workorders", to="2030-01-01")["total"] == 1

    @pytest.mark.parametrize("name", ["equipment", "employees", "inventory-alerts"])
    def test_period_does_not_change_current_state_figures(self, api, shop, name):
        assert get(api, name, **{"from": "2001-01-01", "to": "2001-01-02"}) == get(api, name)

    def test_examples_fit_the_serializers(self):
        for name, example in EXAMPLES.items():
            serializer = FIGURES[name].serializer(data=example)
            assert serializer.is_valid(), (name, serializer.errors)


# ------------------------------------------------------------------------------ edge cases
@pytest.mark.django_db
class TestEdgeCases:
    def test_no_data_at_all(self, api):
        stats = get(api, "stats")
        assert stats == {
            "work_orders": {
                "total": 0,
                "pending": 0,
                "in_progress": 0,
                "on_hold": 0,
                "completed": 0,
                "cancelled": 0,
                "overdue": 0,
            },
            "equipment": {
                "total": 0,
                "operational": 0,
                "maintenance": 0,
                "out_of_order": 0,
                "service_overdue": 0,
            },
            "inspections": {"total": 0, "passed": 0, "failed": 0, "pass_rate": None, "fail_rate": None},
            "employees": {"total": 0, "certifications_expiring": 0, "certifications_expired": 0},
            "inventory_alerts": [],
        }
        inspections = get(api, "inspections")
        assert inspections["pass_rate"] is None and inspections["fail_rate"] is None
        assert all(row["share"] is None and row["count"] == 0 for row in inspections["by_defect_type"])
        assert all(row["pass_rate"] is None for row in inspections["by_method"])
        assert inspections["by_inspector"] == {"count": 0, "items": []}
        assert get(api, "workorders")["by_client"] == {"count": 0, "items": []}
        assert get(api, "employees")["by_role"] == {"count": 0, "items": []}
        assert get(api, "inventory-alerts") == {"count": 0, "total_items": 0, "out_of_stock": 0, "items": []}

    def test_rates_have_four_decimals(self, api):
        InspectionFactory.create_batch(2)
        InspectionFactory(failed=True)
        body = get(api, "stats")["inspections"]
        assert body == {"total": 3, "passed": 2, "failed": 1, "pass_rate": 0.6667, "fail_rate": 0.3333}

    def test_only_fails(self, api):
        InspectionFactory(failed=True)
        body = get(api, "inspections")
        assert (body["pass_rate"], body["fail_rate"]) == (0.0, 1.0)
        assert body["by_defect_type"][0] == {"defect_type": "porosity", "count": 1, "share": 1.0}

    def test_everything_overdue(self, api):
        today = timezone.localdate()
        for i, status in enumerate(["pending", "in_progress", "on_hold"] * 3):
            WorkOrderFactory(status=status, due_date=today - dt.timedelta(days=i + 1))
        stats = get(api, "stats")["work_orders"]
        assert stats["overdue"] == stats["total"] == 9
        body = get(api, "workorders")
        assert body["overdue"]["count"] == 9
        assert [row["days_overdue"] for row in body["overdue"]["items"]] == list(range(9, 0, -1))
        assert body["due_next_7_days"]["count"] == 0
        assert body["by_client"]["items"][0]["overdue"] == body["by_client"]["items"][0]["total"]

    def test_closed_and_due_today_are_not_overdue(self, api):
        today = timezone.localdate()
        WorkOrderFactory(status="completed", due_date=today - dt.timedelta(days=3))
        WorkOrderFactory(status="cancelled", due_date=today - dt.timedelta(days=3))
        WorkOrderFactory(status="pending", due_date=today)
        WorkOrderFactory(status="pending", due_date=None)
        body = get(api, "workorders")
        assert body["overdue"]["count"] == 0
        assert [r["days_left"] for r in body["due_next_7_days"]["items"]] == [0]

    def test_due_next_7_days_bounds(self, api):
        today = timezone.localdate()
        for days in (-1, 0, 7, 8):
            WorkOrderFactory(status="in_progress", due_date=today + dt.timedelta(days=days))
        WorkOrderFactory(status="completed", due_date=today + dt.timedelta(days=2))
        body = get(api, "workorders")["due_next_7_days"]
        assert [r["days_left"] for r in body["items"]] == [0, 7]
        assert body["count"] == 2

    def test_items_exactly_at_the_reorder_level(self, api):
        ItemFactory(item_id="AT", quantity=10, reorder_level=10)
        ItemFactory(item_id="ABOVE", quantity=11, reorder_level=10)
        ItemFactory(item_id="BELOW", quantity=3, reorder_level=10)
        ItemFactory(item_id="EMPTY", quantity=0, reorder_level=0)
        alerts = get(api, "stats")["inventory_alerts"]
        assert [(a["item_id"], a["shortfall"]) for a in alerts] == [("BELOW", 7), ("AT", 0), ("EMPTY", 0)]
        body = get(api, "inventory-alerts")
        assert (body["count"], body["total_items"], body["out_of_stock"]) == (3, 4, 1)

    def test_certifications_around_the_30_day_window(self, api):
        today = timezone.localdate()
        for key, days in [("TODAY", 0), ("D30", 30), ("D31", 31), ("YESTERDAY", -1), ("D1", 1)]:
            EmployeeFactory(employee_id=key, certification_expiry=today + dt.timedelta(days=days))
        EmployeeFactory(employee_id="NONE", certification_expiry=None)
        stats = get(api, "stats")["employees"]
        assert stats == {"total": 6, "certifications_expiring": 3, "certifications_expired": 1}
        body = get(api, "employees")
        assert body["certification_status"] == {"valid": 1, "expiring": 3, "expired": 1, "none": 1}
        assert [(r["employee_id"], r["days_left"]) for r in body["expiring"]["items"]] == [
            ("TODAY", 0),
            ("D1", 1),
            ("D30", 30),
        ]
        assert [(r["employee_id"], r["days_left"]) for r in body["expired"]["items"]] == [("YESTERDAY", -1)]

    def test_equipment_without_a_schedule_is_never_overdue(self, api):
        today = timezone.localdate()
        EquipmentFactory(last_service_date=None, service_interval_days=90)
        EquipmentFactory(last_service_date=today - dt.timedelta(days=400), service_interval_days=None)
        EquipmentFactory(last_service_date=today - dt.timedelta(days=91), service_interval_days=90)
        EquipmentFactory(last_service_date=today - dt.timedelta(days=90), service_interval_days=90)
        body = get(api, "equipment")
        assert body["no_service_schedule"] == 2
        assert body["service_overdue"]["count"] == 1
        assert body["service_overdue"]["items"][0]["days_overdue"] == 1
        assert get(api, "stats")["equipment"]["service_overdue"] == 1

    def test_by_role_and_inspector_keep_empty_names(self, api):
        EmployeeFactory(role="")
        InspectionFactory(inspector="")
        assert get(api, "employees")["by_role"]["items"][0]["role"] == ""
        assert get(api, "inspections")["by_inspector"]["items"][0]["inspector"] == ""


# ------------------------------------------------------------------------------ time zone
@pytest.mark.django_db
class TestTimeZoneEdge:
    """Auckland is UTC+12 in June: at 00:30 local on 2 June it is still 1 June in UTC."""

    @pytest.fixture
    def auckland(self, settings, freeze):
        settings.TIME_ZONE = "Pacific/Auckland"
        tz = zoneinfo.ZoneInfo("Pacific/Auckland")
        moment = freeze(dt.datetime(2025, 6, 2, 0, 30, tzinfo=tz))
        assert moment.astimezone(dt.UTC).date() == dt.date(2025, 6, 1)
        assert timezone.localdate() == dt.date(2025, 6, 2)
        return tz

    def test_overdue_uses_the_local_date(self, api, auckland):
        WorkOrderFactory(order_id="UTC-TODAY", status="pending", due_date=dt.date(2025, 6, 1))
        WorkOrderFactory(order_id="LOCAL-TODAY", status="pending", due_date=dt.date(2025, 6, 2))
        assert get(api, "stats")["work_orders"]["overdue"] == 1
        body = get(api, "workorders")
        assert [r["order_id"] for r in body["overdue"]["items"]] == ["UTC-TODAY"]
        assert [(r["order_id"], r["days_left"]) for r in body["due_next_7_days"]["items"]] == [
            ("LOCAL-TODAY", 0)
        ]

    def test_certifications_use_the_local_date(self, api, auckland):
        EmployeeFactory(certification_expiry=dt.date(2025, 6, 1))  # yesterday here, today in UTC
        EmployeeFactory(certification_expiry=dt.date(2025, 7, 2))  # local today + 30
        EmployeeFactory(certification_expiry=dt.date(2025, 7, 3))  # local today + 31
        assert get(api, "stats")["employees"] == {
            "total": 3,
            "certifications_expiring": 1,
            "certifications_expired": 1,
        }

    def test_inspection_days_are_local_days(self, api, auckland):
        utc = dt.UTC
        # 00:10 on 2 June in Auckland = 12:10 on 1 June UTC; 23:50 on 1 June local = 11:50 UTC.
        InspectionFactory(
            inspection_id="LOCAL-2-JUNE", inspected_at=dt.datetime(2025, 6, 1, 12, 10, tzinfo=utc)
        )
        InspectionFactory(
            inspection_id="LOCAL-1-JUNE",
            failed=True,
            inspected_at=dt.datetime(2025, 6, 1, 11, 50, tzinfo=utc),
        )
        on_2 = get(api, "inspections", **{"from": "2025-06-02", "to": "2025-06-02"})
        on_1 = get(api, "inspections", **{"from": "2025-06-01", "to": "2025-06-01"})
        assert (on_2["passed"], on_2["failed"]) == (1, 0)
        assert (on_1["passed"], on_1["failed"]) == (0, 1)
        assert Inspection.objects.count() == 2

    def test_the_day_rolls_over_at_local_midnight(self, api, settings, freeze):
        settings.TIME_ZONE = "America/Los_Angeles"
        tz = zoneinfo.ZoneInfo("America/Los_Angeles")
        WorkOrderFactory(status="pending", due_date=dt.date(2025, 6, 1))
        freeze(dt.datetime(2025, 6, 1, 23, 59, tzinfo=tz))  # 06:59 UTC on 2 June
        assert get(api, "stats")["work_orders"]["overdue"] == 0
        freeze(dt.datetime(2025, 6, 2, 0, 1, tzinfo=tz))
        # No write in between: the cached figures are keyed by the date, so this is fresh.
        assert get(api, "stats")["work_orders"]["overdue"] == 1
        assert WorkOrder.objects.count() == 1
