"""The dashboard page in the Django admin: staff only, the same figures, SVG charts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    EmployeeFactory,
    EquipmentFactory,
    InspectionFactory,
    ItemFactory,
    UserFactory,
    WorkOrderFactory,
)

URL = "/admin/dashboard/"


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    return client


@pytest.mark.django_db
class TestAdminDashboard:
    def test_url(self):
        assert reverse("admin-dashboard") == URL

    def test_anonymous_goes_to_the_login(self, client):
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    @pytest.mark.parametrize("role", ["viewer", "operator"])
    def test_api_only_roles_go_to_the_login(self, client, role):
        client.force_login(UserFactory(role=role))  # not staff
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_staff_without_the_view_permissions_is_403(self, client):
        user = UserFactory(role="")
        user.is_staff = True  # staff, but in no role group
        user.save()
        client.force_login(user)
        assert client.get(URL).status_code == 403

    @pytest.mark.parametrize("role", ["manager", "admin"])
    def test_staff_roles_see_it(self, client, role):
        client.force_login(UserFactory(role=role))
        response = client.get(URL)
        assert response.status_code == 200
        assert "Workshop dashboard" in response.content.decode()

    def test_empty_shop(self, manager_client):
        html = manager_client.get(URL).content.decode()
        assert figure(html, "fig-work-orders") == "0"
        assert figure(html, "fig-pass-rate") == "–"
        assert "No item is low on stock." in html

    def test_the_figures(self, manager_client):
        today = timezone.localdate()
        WorkOrderFactory.create_batch(2, status="pending", due_date=today - dt.timedelta(days=2))
        WorkOrderFactory(order_id="WO-SOON", status="in_progress", due_date=today + dt.timedelta(days=1))
        InspectionFactory.create_batch(2)
        InspectionFactory(failed=True)
        EquipmentFactory(last_service_date=today - dt.timedelta(days=100), service_interval_days=30)
        EmployeeFactory(certification_expiry=today + dt.timedelta(days=3))
        EmployeeFactory(certification_expiry=today - dt.timedelta(days=3))
        ItemFactory(item_id="INV-LOW", quantity=1, reorder_level=5)
        html = manager_client.get(URL).content.decode()
        assert figure(html, "fig-work-orders") == str(3 + 3)  # + the inspections' work orders
        assert figure(html, "fig-overdue") == "2"
        assert figure(html, "fig-due-soon") == "4"  # WO-SOON + the factories' (due in 7 days)
        assert figure(html, "fig-service-overdue") == "1"
        assert figure(html, "fig-pass-rate") == "66.7 %"
        assert figure(html, "fig-expiring") == "1"
        assert figure(html, "fig-expired") == "1"
        assert figure(html, "fig-low-stock") == "1"
        assert "INV-LOW" in html and "WO-SOON" in html

    def test_charts_are_inline_svg_without_scripts(self, manager_client):
        WorkOrderFactory(status="pending")
        WorkOrderFactory(status="completed")
        html = manager_client.get(URL).content.decode()
        assert html.count("<svg") >= 8
        assert "<script" not in html.split('<div id="content-main"', 1)[1]
        bars = re.findall(r'<rect class="bar bar-(\w+)"[^>]*width="([\d.]+)"', html)
        assert bars and any(float(width) > 0 for _, width in bars)
        assert "dashboard/admin.css" in html

    def test_the_period_form(self, manager_client):
        WorkOrderFactory(due_date=dt.date(2025, 6, 1))
        WorkOrderFactory(due_date=dt.date(2025, 7, 1))
        html = manager_client.get(URL, {"from": "2025-06-01", "to": "2025-06-30"}).content.decode()
        assert figure(html, "fig-work-orders") == "1"

    def test_a_bad_period_is_shown_not_a_crash(self, manager_client):
        WorkOrderFactory()
        response = manager_client.get(URL, {"from": "2025-13-01"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="errorlist"' in html
        assert figure(html, "fig-work-orders") == "1"  # all dates instead

    def test_names_are_escaped(self, manager_client):
        WorkOrderFactory(client="<script>alert(1)</script>")
        html = manager_client.get(URL).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;" in html

    def test_queries_do_not_grow_with_data(self, manager_client):
        from django.core.cache import cache

        WorkOrderFactory()
        InspectionFactory(failed=True, inspector="I")  # one row of each: empty tables skip queries
        ItemFactory(quantity=0, reorder_level=3)
        manager_client.get(URL)
        cache.clear()
        with CaptureQueriesContext(connection) as few:
            manager_client.get(URL)
        for _ in range(10):
            InspectionFactory(failed=True, inspector=f"I{_}")
            ItemFactory(quantity=0, reorder_level=3)
        cache.clear()
        with CaptureQueriesContext(connection) as many:
            manager_client.get(URL)
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_the_admin_index_links_to_it(self, manager_client):
        html = manager_client.get(reverse("admin:index")).content.decode()
        assert f'href="{URL}"' in html
        assert "Workorders" in html or "Work orders" in html  # the usual app list is still there
