import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.factories import EmployeeFactory, UserFactory
from workshop.roles import user_role

GOOD = "Weld-Sh0p-long-enough"


@pytest.mark.django_db
def test_create_user_with_role_and_employee(capsys):
    EmployeeFactory(employee_id="EMP-01")
    call_command(
        "create_user",
        "--username",
        "ana",
        "--role",
        "operator",
        "--password",
        GOOD,
        "--employee-id",
        "EMP-01",
    )
    user = get_user_model().objects.get(username="ana")
    assert user_role(user) == "operator" and user.employee.employee_id == "EMP-01" and not user.is_staff
    assert "Created operator 'ana'" in capsys.readouterr().out


@pytest.mark.django_db
def test_create_user_password_from_environment(monkeypatch):
    monkeypatch.setenv("WELDSHOP_PASSWORD", GOOD)
    call_command("create_user", "--username", "mo", "--role", "manager")
    user = get_user_model().objects.get(username="mo")
    assert user.check_password(GOOD) and user.is_staff and user_role(user) == "manager"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,message",
    [
        (["--username", "x", "--role", "viewer", "--password", "password"], "Password rejected"),
        (["--username", "taken", "--role", "viewer", "--password", GOOD], "already exists"),
        (
            ["--username", "y", "--role", "viewer", "--password", GOOD, "--employee-id", "EMP-404"],
            "No employee",
        ),
        (["--username", "z", "--role", "viewer"], "Give a password"),
    ],
)
def test_create_user_refusals_write_nothing(args, message, monkeypatch):
    monkeypatch.delenv("WELDSHOP_PASSWORD", raising=False)
    UserFactory(username="taken")
    before = get_user_model().objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_user", *args)
    assert get_user_model().objects.count() == before


@pytest.mark.django_db
def test_createsuperuser_is_an_admin():
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@example.com")
    assert user_role(get_user_model().objects.get(username="root")) == "admin"


@pytest.mark.django_db
def test_role_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    groups = {
        g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}
        for g in Group.objects.all()
    }
    assert set(groups) >= {"admin", "manager", "operator", "viewer"}
    assert (
        "workorders.view_workorder" in groups["viewer"] and "workorders.add_workorder" not in groups["viewer"]
    )
    assert "workorders.change_own_workorder" in groups["operator"]
    assert "workorders.change_workorder" not in groups["operator"]
    assert not any(p.startswith("auth.") for p in groups["manager"])
    assert "auth.change_user" in groups["admin"]
