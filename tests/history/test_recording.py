"""Every write path leaves its history (SPEC §7): who (a user id), the source, the request id
and the kind, in the write's own transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from inventory.models import Item, StockMovement
from inventory.services import item_adjust_stock
from staff.services import user_create, user_update
from tests.factories import ItemFactory, UserFactory, WorkOrderFactory
from tests.imports import workbooks as wb
from workorders.models import WorkOrder
from workshop.events.context import acting
from workshop.history.records import record_rows

pytestmark = pytest.mark.django_db
ITEM_HEADER = ["ItemID", "ItemName", "Quantity", "Unit", "ReorderLevel"]


def versions(model, pk=None):
    rows = model.history.order_by("history_date", "history_id")
    return list(rows.filter(id=pk) if pk is not None else rows)


def item_import(client, rows):
    upload = wb.upload(wb.xlsx([ITEM_HEADER, *rows]))
    return client.post("/api/v1/items/import/", {"file": upload}, format="multipart")


class TestApi:
    def test_create_update_delete_through_the_api(self, api, admin_user):
        created = api.post(
            "/api/v1/items/",
            {"item_id": "INV-1", "item_name": "Wire", "quantity": 5, "unit": "kg", "reorder_level": 1},
            format="json",
            HTTP_X_REQUEST_ID="req-create",
        )
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        assert api.patch(f"/api/v1/items/{pk}/", {"item_name": "Rod"}, format="json").status_code == 200
        assert api.delete(f"/api/v1/items/{pk}/").status_code == 200
        kinds = [
            (v.history_type, v.item_name, v.history_user_id, v.history_source) for v in versions(Item, pk)
        ]
        assert kinds == [
            ("+", "Wire", admin_user.pk, "api"),
            ("~", "Rod", admin_user.pk, "api"),
            ("-", "Rod", admin_user.pk, "api"),
        ]
        assert versions(Item, pk)[0].history_request_id == "req-create"

    def test_a_refused_write_leaves_no_version(self, api):
        item = ItemFactory(quantity=1)
        before = Item.history.count()
        response = api.patch(f"/api/v1/items/{item.pk}/", {"quantity": -5}, format="json")
        assert response.status_code == 422
        assert Item.history.count() == before

    def test_stock_adjustment_f_update_is_recorded(self, api, admin_user):
        item = ItemFactory(quantity=10)
        response = api.post(
            f"/api/v1/items/{item.pk}/adjust/",
            {"delta": -3, "reason": "consumption"},
            format="json",
            HTTP_X_REQUEST_ID="req-adjust",
        )
        assert response.status_code == 200, response.content
        latest = versions(Item, item.pk)[-1]
        assert (
            latest.history_type,
            latest.quantity,
            latest.history_user_id,
            latest.history_source,
            latest.history_request_id,
        ) == (
            "~",
            7,
            admin_user.pk,
            "api",
            "req-adjust",
        )
        movement = StockMovement.history.get(history_type="+")
        assert movement.delta == -3

    def test_a_refused_adjustment_leaves_no_version(self, api):
        item = ItemFactory(quantity=1)
        before = Item.history.count(), StockMovement.history.count()
        response = api.post(
            f"/api/v1/items/{item.pk}/adjust/", {"delta": -3, "reason": "consumption"}, format="json"
        )
        assert response.status_code == 409
        assert (Item.history.count(), StockMovement.history.count()) == before


class TestImports:
    def test_an_import_records_every_row_with_source_import(self, api, admin_user):
        ItemFactory(item_id="INV-OLD", item_name="Old", quantity=1)
        response = item_import(api, [["INV-NEW", "New", 4, "kg", 1], ["INV-OLD", "Renamed", 1, "pcs", 0]])
        assert response.status_code in (200, 201), response.content
        new = Item.objects.get(item_id="INV-NEW")
        old = Item.objects.get(item_id="INV-OLD")
        assert [(v.history_type, v.history_source, v.history_user_id) for v in versions(Item, new.pk)] == [
            ("+", "import", admin_user.pk)
        ]
        latest = versions(Item, old.pk)[-1]
        assert (latest.history_type, latest.item_name, latest.history_source) == ("~", "Renamed", "import")
        assert latest.history_request_id == response["X-Request-ID"]

    def test_an_import_run_as_a_job_records_the_user_who_queued_it(
        self, api, admin_user, django_capture_on_commit_callbacks
    ):
        upload = wb.upload(wb.xlsx([ITEM_HEADER, ["INV-JOB", "Queued", 2, "kg", 0]]))
        with django_capture_on_commit_callbacks(execute=True):  # the job is sent after the commit
            response = api.post(
                "/api/v1/items/import/", {"file": upload}, format="multipart", HTTP_PREFER="respond-async"
            )
        assert response.status_code == 202, response.content
        item = Item.objects.get(item_id="INV-JOB")  # the job ran (in process, as in the tests)
        version = versions(Item, item.pk)[0]
        assert (version.history_type, version.history_source, version.history_user_id) == (
            "+",
            "import",
            admin_user.pk,
        )

    def test_a_bad_import_leaves_no_history(self, api):
        before = Item.history.count()
        response = item_import(api, [["INV-1", "Ok", 1, "kg", 0], ["INV-2", "Bad", "lots", "kg", 0]])
        assert response.status_code == 422
        assert Item.history.count() == before
        assert not Item.objects.filter(item_id="INV-1").exists()

    def test_an_import_failing_after_its_rows_were_written_leaves_no_history(self, api, monkeypatch):
        """Rows and their versions written, then the import fails: both roll back."""
        from workshop.imports import engine

        write_rows = engine._write_rows

        def fail(*args, **kwargs):
            write_rows(*args, **kwargs)
            assert Item.history.filter(item_id="INV-9").exists()  # written in the transaction
            raise RuntimeError("disk full")

        monkeypatch.setattr(engine, "_write_rows", fail)
        api.raise_request_exception = False
        response = item_import(api, [["INV-9", "Nine", 1, "kg", 0]])
        assert response.status_code == 500
        assert not Item.objects.filter(item_id="INV-9").exists()
        assert not Item.history.filter(item_id="INV-9").exists()


class TestOtherPaths:
    def test_a_job_records_its_user_and_source_job(self, admin_user):
        with acting(user_id=admin_user.pk, request_id="job-1"), transaction.atomic():
            order = WorkOrderFactory()
        version = versions(WorkOrder, order.pk)[0]
        assert (version.history_user_id, version.history_source, version.history_request_id) == (
            admin_user.pk,
            "job",
            "job-1",
        )

    def test_a_command_records_source_command(self):
        item = ItemFactory()
        version = versions(Item, item.pk)[0]
        assert (version.history_user_id, version.history_source, version.history_request_id) == (
            None,
            "command",
            None,
        )

    def test_service_adjustment_outside_a_request(self, admin_user):
        item = ItemFactory(quantity=2)
        item_adjust_stock(item_id=item.pk, delta=5, reason="receipt", user=admin_user)
        assert versions(Item, item.pk)[-1].quantity == 7

    def test_rollback_leaves_no_version(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            ItemFactory(item_id="INV-R")
            assert Item.history.filter(item_id="INV-R").exists()
            raise RuntimeError
        assert not Item.history.filter(item_id="INV-R").exists()

    def test_cascaded_deletes_are_recorded(self, api):
        item = ItemFactory(quantity=3)
        item_adjust_stock(item_id=item.pk, delta=1, reason="receipt", user=None)
        movement = StockMovement.objects.get(item=item)
        assert api.delete(f"/api/v1/items/{item.pk}/").status_code == 200
        assert StockMovement.history.filter(id=movement.pk, history_type="-").exists()

    def test_record_rows_is_one_insert(self, django_assert_num_queries):
        items = [ItemFactory() for _ in range(5)]
        with django_assert_num_queries(1):
            record_rows(Item, items, "~")

    def test_the_admin_source(self, client, admin_user):
        client.force_login(admin_user)
        item = ItemFactory(item_name="A")
        response = client.post(
            f"/admin/inventory/item/{item.pk}/delete/", {"post": "yes"}, HTTP_X_REQUEST_ID="req-admin"
        )
        assert response.status_code == 302, response.content[:300]
        version = versions(Item, item.pk)[-1]
        assert (version.history_type, version.history_source, version.history_user_id) == (
            "-",
            "admin",
            admin_user.pk,
        )


class TestUsers:
    def test_role_and_active_changes_only_and_never_the_password(self, admin_user):
        user = user_create(username="ann", password="s3cret-Pass-word!", role="operator")
        assert [(v.history_type, v.role, v.is_active) for v in versions(User, user.pk)][-1] == (
            "~",
            "operator",
            True,
        ) or versions(User, user.pk)[-1].role == "operator"
        count = len(versions(User, user.pk))
        user_update(user=user, actor=admin_user, data={"password": "An0ther-Pass-word!"})
        user.save(update_fields=["last_login"])
        assert len(versions(User, user.pk)) == count  # a password or a login is no version
        user_update(user=user, actor=admin_user, data={"role": "manager"})
        latest = versions(User, user.pk)[-1]
        assert (latest.role, latest.history_type) == ("manager", "~")
        assert len(versions(User, user.pk)) == count + 1
        user_update(user=user, actor=admin_user, data={"is_active": False})
        assert versions(User, user.pk)[-1].is_active is False
        names = {f.name for f in User.history.model._meta.fields}
        assert not names & {"password", "last_login"}

    def test_groups_changed_in_the_admin_way_record_the_role(self):
        user = UserFactory(role="viewer")
        from django.contrib.auth.models import Group

        user.groups.set([Group.objects.get(name="operator")])
        assert versions(User, user.pk)[-1].role == "operator"

    def test_actor_id_survives_the_actor_deletion(self, admin_user):
        actor = UserFactory(role="manager")
        with acting(user_id=actor.pk):
            item = ItemFactory()
        actor_id = actor.pk
        actor.delete()
        assert versions(Item, item.pk)[0].history_user_id == actor_id


def test_the_demo_year_loaded_in_bulk_has_versions():
    from staff.demo_history import load_history
    from tests.factories import EmployeeFactory

    EmployeeFactory.create_batch(3)
    ItemFactory.create_batch(2)
    load_history()
    unversioned = WorkOrder.objects.exclude(pk__in=WorkOrder.history.values("id"))
    assert WorkOrder.objects.exists() and not unversioned.exists()
    assert not StockMovement.objects.exclude(pk__in=StockMovement.history.values("id")).exists()
