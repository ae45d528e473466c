"""The welding dashboard page in the Django admin: staff only, the API's figures, SVG charts."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.dashboard.test_welding import WINDOW, _six_months_before, shot, welded
from tests.factories import (
    EmployeeFactory,
    UserFactory,
    WelderQualificationFactory,
    WeldFactory,
)

URL = "/admin/dashboard/welding/"


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def chart(html: str, chart_id: str) -> str:
    match = re.search(rf'<figure class="dashboard-chart[^"]*" id="{chart_id}">(.*?)</figure>', html, re.S)
    assert match, chart_id
    return match.group(1)


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    return client


@pytest.fixture
def shop(db):
    john = EmployeeFactory(employee_id="EMP-01", name="John Doe")
    jane = EmployeeFactory(employee_id="EMP-02", name="Jane Smith")
    for n in range(10):
        weld = WeldFactory(length_mm=500)
        welded(weld, john if n < 8 else jane)
        shot(weld, rejected=[("2011", 30)] if n in (0, 9) else [])
    for days in (20, 50, 80, 100):  # case 36 (ASME: effective_until = test date + 6 months)
        due = dt.date(2025, 11, 30) + dt.timedelta(days=days)
        WelderQualificationFactory(
            standard="asme_ix", revalidation_method="", test_date=_six_months_before(due)
        )


@pytest.mark.django_db
class TestWeldingAdminPage:
    def test_url(self):
        assert reverse("admin-dashboard-welding") == URL

    def test_linked_from_the_admin_index_and_the_dashboard(self, manager_client):
        assert URL in manager_client.get(reverse("admin:index")).content.decode()
        assert URL in manager_client.get("/admin/dashboard/").content.decode()

    def test_figures_and_charts(self, manager_client, shop):
        response = manager_client.get(URL, WINDOW)
        assert response.status_code == 200
        html = response.content.decode()
        assert figure(html, "fig-joint-rate") == "20.0 %"
        assert figure(html, "fig-length-rate") == "1.2 %"
        assert figure(html, "fig-first-pass") == "80.0 %"
        by_welder = chart(html, "chart-repair-by-welder")
        assert "<svg" in by_welder and "EMP-02 Jane Smith" in by_welder and "50.0 %" in by_welder
        assert "12.5 %" in by_welder  # John: 1 of 8
        pareto = chart(html, "chart-pareto")
        assert "<svg" in pareto and "2011 Gas pore" in pareto
        expiring = chart(html, "chart-expiring")
        assert "<svg" in expiring
        assert [int(n) for n in re.findall(r'class="bar-value"[^>]*>(\d+)<', expiring)] == [1, 2, 3]

    def test_no_inline_script_or_style(self, manager_client, shop):
        html = manager_client.get(URL, WINDOW).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html

    def test_blank_form_fields_mean_the_defaults(self, manager_client, shop):
        response = manager_client.get(URL, {"from": "", "to": "", "methods": "", "as_of": ""})
        assert response.status_code == 200
        assert "errorlist" not in response.content.decode()

    def test_bad_parameters_are_shown_not_raised(self, manager_client, shop):
        response = manager_client.get(URL, {"methods": "XR", "as_of": "2025-11-30"})
        assert response.status_code == 200
        assert "methods:" in response.content.decode()

    @pytest.mark.parametrize("role", ["viewer", "operator"])
    def test_non_staff_go_to_the_login(self, client, role):
        client.force_login(UserFactory(role=role))
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_staff_without_the_view_permissions_is_403(self, client):
        user = UserFactory(role="")
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get(URL).status_code == 403
