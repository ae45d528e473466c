"""One answer to "may this user do that?" (`workshop.roles.user_may`) for the API and the Excel
import's rows: role permissions only, with the `change_own_*` rule inside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from inspections.models import Inspection
from staff.models import Employee
from tests.conftest import bearer_client
from tests.contract import assert_error
from tests.factories import EmployeeFactory, UserFactory, WorkOrderFactory
from tests.imports import workbooks as wb
from tests.imports.test_import_api import post
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport
from workshop.roles import perm_name, user_may, user_may_own_only


def grant_directly(user, model, action: str) -> None:
    """A permission given to the user, not to their role group."""
    app_label, codename = perm_name(model, action).split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.mark.django_db
class TestUserMay:
    def test_roles_decide(self):
        viewer, operator, manager = (UserFactory(role=r) for r in ("viewer", "operator", "manager"))
        assert user_may(viewer, WorkOrder, "view") and user_may(viewer, WorkOrder, "export")
        assert not user_may(viewer, WorkOrder, "add") and not user_may(viewer, WorkOrder, "import")
        assert user_may(operator, WorkOrder, "add") and user_may(operator, WorkOrder, "import")
        assert not user_may(operator, WorkOrder, "delete") and not user_may(operator, Employee, "add")
        assert all(user_may(manager, WorkOrder, a) for a in ("view", "add", "change", "delete", "import"))
        superuser = UserFactory(role="")
        superuser.is_superuser = True  # createsuperuser's: every permission, whatever the groups
        assert user_may(superuser, Employee, "delete")

    def test_change_own_is_narrowed_to_the_records_the_user_owns(self):
        operator = UserFactory(role="operator")
        mine = WorkOrderFactory(created_by=operator)
        assigned = WorkOrderFactory(assigned_welder=EmployeeFactory(user=operator))
        others = WorkOrderFactory()
        assert user_may(operator, WorkOrder, "change")  # some records: the object check narrows
        assert user_may(operator, WorkOrder, "change", mine)
        assert user_may(operator, WorkOrder, "change", assigned)
        assert not user_may(operator, WorkOrder, "change", others)
        assert user_may_own_only(operator, WorkOrder, "change")
        assert not user_may_own_only(UserFactory(role="manager"), WorkOrder, "change")
        assert not user_may(operator, WorkOrder, "delete", mine)  # only changing has an own variant
        assert not user_may(operator, Inspection, "change", others)

    def test_a_permission_given_directly_to_a_user_does_not_count(self):
        viewer = UserFactory(role="viewer")
        grant_directly(viewer, WorkOrder, "add")
        assert viewer.has_perm("workorders.add_workorder")  # Django's own check counts it…
        assert not user_may(viewer, WorkOrder, "add")  # … ours does not

    def test_no_user_an_inactive_user_or_no_role_may_nothing(self):
        inactive = UserFactory(role="manager", is_active=False)
        roleless = UserFactory(role="")
        for user in (None, inactive, roleless):
            assert not user_may(user, WorkOrder, "view")

    def test_an_unknown_action_is_a_programming_error(self):
        with pytest.raises(ValueError, match="Unknown action"):
            user_may(UserFactory(role="manager"), WorkOrder, "update")


@pytest.mark.django_db
def test_an_import_cannot_do_what_a_patch_may_not(settings, tmp_path):
    """An operator whose role lacks `change_workorder`, but who was given it directly: the
    API refuses a change of someone else's work order (403), and so does an import of the
    same change (a row error, 422, nothing written). The import used to ask Django's
    `user.has_perm`, which counts the direct permission, and wrote the row."""
    settings.MEDIA_ROOT = tmp_path / "media"
    operator = UserFactory(role="operator")
    grant_directly(operator, WorkOrder, "change")
    others = WorkOrderFactory(order_id="WO-1", client="Old client")
    client = bearer_client(operator)

    response = client.patch(f"/api/v1/workorders/{others.pk}/", {"client": "New client"}, format="json")
    assert_error(response, 403, "FORBIDDEN")

    rows = [["OrderID", "Client"], ["WO-1", "New client"]]
    body = assert_error(post(client, "workorders", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
    assert body["errors"] == [
        {
            "row": 2,
            "column": "OrderID",
            "message": "Your role may not change WO-1: only work orders of your own.",
        }
    ]
    assert WorkOrder.objects.get(pk=others.pk).client == "Old client"
    assert not ExcelImport.objects.exists()

    # Their own work order they may change, through the API and the import alike.
    own = WorkOrderFactory(order_id="WO-2", client="Old client", created_by=operator)
    assert (
        client.patch(f"/api/v1/workorders/{own.pk}/", {"client": "Patched"}, format="json").status_code == 200
    )
    rows = [["OrderID", "Client"], ["WO-2", "Imported"]]
    assert post(client, "workorders", wb.xlsx(rows)).status_code == 201
    assert WorkOrder.objects.get(pk=own.pk).client == "Imported"


@pytest.mark.django_db
def test_creating_by_import_takes_the_role_s_add_permission(settings, tmp_path):
    """A viewer given `add_workorder` and `import_workorder` directly still may not import:
    the import action and its rows count role permissions only."""
    settings.MEDIA_ROOT = tmp_path / "media"
    viewer = UserFactory(role="viewer")
    grant_directly(viewer, WorkOrder, "add")
    grant_directly(viewer, WorkOrder, "import")
    client = bearer_client(viewer)
    assert_error(
        post(client, "workorders", wb.xlsx([["OrderID", "Client"], ["WO-9", "A"]])), 403, "FORBIDDEN"
    )
    assert_error(
        client.post("/api/v1/workorders/", {"order_id": "WO-9", "client": "A"}, format="json"),
        403,
        "FORBIDDEN",
    )
    assert not WorkOrder.objects.exists()
