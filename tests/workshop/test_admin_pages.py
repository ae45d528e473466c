"""Every model in the admin: its list (searched, and with no N+1), add and change pages load."""

import inspect

import factory
import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

# The domain apps, and the core's import records (app label "imports").
DOMAIN_APPS = {"staff", "workorders", "machines", "equipment", "inspections", "inventory", "imports"}

FACTORIES = {
    f._meta.model: f
    for _, f in inspect.getmembers(factories, inspect.isclass)
    if issubclass(f, factory.django.DjangoModelFactory) and f._meta.model is not None
}
MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in DOMAIN_APPS), key=lambda m: m._meta.label
)


def test_every_domain_model_is_in_the_admin():
    from django.apps import apps

    # A model's history table is shown through the model's own admin (its History page).
    domain = {
        m
        for m in apps.get_models()
        if m._meta.app_label in DOMAIN_APPS and not hasattr(m, "instance_type")  # simple-history's
    }
    assert domain == set(MODELS)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_load_without_n_plus_one(admin_client, model):
    make = FACTORIES[model]
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    make.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(changelist).status_code == 200
    few_count = len(few.captured_queries)
    make.create_batch(8)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(changelist)
    many_count = len(many.captured_queries)
    assert response.status_code == 200
    assert many_count == few_count, "the admin list runs more queries for more rows"
    assert admin_client.get(changelist, {"q": "x"}).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert (
        admin_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        ).status_code
        == 200
    )
    add = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where records are made by other operations


@pytest.mark.django_db
def test_inline_rows_get_created_by(admin_client, admin_user):
    """An inspection added as a row on the work order page records who created it."""
    from inspections.models import Inspection

    work_order = factories.WorkOrderFactory()
    existing = factories.InspectionFactory(work_order=work_order, created_by=None)
    url = reverse("admin:workorders_workorder_change", args=[work_order.pk])
    data = {
        "order_id": work_order.order_id,
        "client": work_order.client,
        "description": "",
        "status": "pending",
        "due_date": "",
        "assigned_welder": "",
        "inspections-TOTAL_FORMS": "2",
        "inspections-INITIAL_FORMS": "1",
        "inspections-MIN_NUM_FORMS": "0",
        "inspections-MAX_NUM_FORMS": "1000",
        "inspections-0-id": str(existing.pk),
        "inspections-0-work_order": str(work_order.pk),
        "inspections-0-inspection_id": existing.inspection_id,
        "inspections-0-inspector": "Changed",
        "inspections-0-result": "pass",
        "inspections-0-method": "VT",
        "inspections-0-inspected_at_0": "2025-01-02",
        "inspections-0-inspected_at_1": "10:00:00",
        "inspections-1-work_order": str(work_order.pk),
        "inspections-1-inspection_id": "QC-NEW",
        "inspections-1-inspector": "Ana",
        "inspections-1-result": "fail",
        "inspections-1-defect_type": "porosity",
        "inspections-1-method": "VT",
        "inspections-1-inspected_at_0": "2025-01-02",
        "inspections-1-inspected_at_1": "11:00:00",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert Inspection.objects.get(inspection_id="QC-NEW").created_by == admin_user
    existing.refresh_from_db()
    assert existing.inspector == "Changed" and existing.created_by is None  # only new rows
