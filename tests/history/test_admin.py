"""The admin shows each record's history (SPEC §7)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import ItemFactory, UserFactory
from tests.workshop.test_admin_pages import FACTORIES, MODELS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_domain_record_has_a_history_page(admin_client, model):
    obj = FACTORIES[model].create()
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    records = list(response.context["page_obj"].object_list)
    assert records and all(r.id == obj.pk for r in records)


def test_the_page_shows_who_changed_what(admin_client, admin_user):
    item = ItemFactory(item_name="Wire")
    change = reverse("admin:inventory_item_change", args=[item.pk])
    page = admin_client.get(change)
    data = {**page.context["adminform"].form.initial, "item_name": "Rod"}
    data = {k: v for k, v in data.items() if v is not None}
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    version = item.history.latest("history_id")
    assert (version.item_name, version.history_user_id, version.history_source) == (
        "Rod",
        admin_user.pk,
        "admin",
    )
    history = admin_client.get(reverse("admin:inventory_item_history", args=[item.pk]))
    assert history.status_code == 200
    assert (
        b"Rod" in history.content
        or b"item_name" in history.content.lower()
        or b"Item name" in history.content
    )


def test_a_deleted_record_keeps_its_history_page(admin_client):
    item = ItemFactory()
    pk = item.pk
    item.delete()
    assert admin_client.get(reverse("admin:inventory_item_history", args=[pk])).status_code == 200


def test_revert_is_not_offered(admin_client):
    item = ItemFactory()
    version = item.history.latest("history_id")
    url = reverse("admin:inventory_item_simple_history", args=[item.pk, version.history_id])
    assert admin_client.get(url).status_code == 403


def test_users_history_page(admin_client):
    user = UserFactory(role="operator")
    response = admin_client.get(reverse("admin:auth_user_history", args=[user.pk]))
    assert response.status_code == 200
    assert User.history.filter(id=user.pk).exists()
