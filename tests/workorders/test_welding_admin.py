"""The admin keeps the welder check of a work order with a WPS (WELDING.md R7/R8): setting its
welder to one not qualified for the WPS is a form error and nothing is saved; a qualified one
is saved with the check."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    EmployeeFactory,
    UserFactory,
    WelderQualificationFactory,
    WorkOrderFactory,
    WpsFactory,
)
from tests.workorders.test_completed_at import admin_form
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(role="manager"))
    return client


def test_setting_the_welder_runs_the_assignment_check(manager_client):
    qualified = EmployeeFactory(employee_id="EMP-01")
    WelderQualificationFactory(employee=qualified, test_date=timezone.localdate() - dt.timedelta(days=30))
    unqualified = EmployeeFactory(employee_id="EMP-03")
    order = WorkOrderFactory(order_id="WO-1000", assigned_welder=None, wps=WpsFactory(wps_id="WPS-135-01"))
    url = f"/admin/workorders/workorder/{order.pk}/change/"

    response = manager_client.post(url, admin_form(order, assigned_welder=str(unqualified.pk)))
    assert response.status_code == 200  # the form again, with the error
    assert b"EMP-03 is not qualified for WO-1000" in response.content
    order.refresh_from_db()
    assert (order.assigned_welder, order.assignment_check) == (None, None)

    response = manager_client.post(url, admin_form(order, assigned_welder=str(qualified.pk)))
    assert response.status_code == 302, response.content[:2000]
    order = WorkOrder.objects.get()
    assert order.assigned_welder == qualified
    assert order.assignment_check["ok"] is True
    assert order.assignment_check["qualification"] == qualified.qualifications.get().qualification_id
