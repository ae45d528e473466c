"""Writes on login users: role, employee link, password, and revocation of their tokens."""

from __future__ import annotations

from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.db import transaction

from staff.models import Employee
from workshop.errors import Conflict
from workshop.roles import ADMIN, set_user_role
from workshop.users import user_revoke_tokens

log = structlog.get_logger(__name__)
User = get_user_model()
UNSET = object()


def _link_employee(user, employee: Employee | None) -> None:
    Employee.objects.filter(user=user).exclude(pk=getattr(employee, "pk", None)).update(user=None)
    if employee is not None and employee.user_id != user.pk:
        employee.user = user
        employee.save(update_fields=["user", "updated_at"])


@transaction.atomic
def user_create(
    *, username: str, password: str, role: str | None, email: str = "", is_active: bool = True, employee=None
):
    user = User(username=username, email=email, is_active=is_active)
    user.set_password(password)
    user.save()
    set_user_role(user, role)
    user.save()
    _link_employee(user, employee)
    log.info("user.created", user_id=user.pk, role=role)
    return _reloaded(user)


@transaction.atomic
def user_update(*, user, actor, data: dict[str, Any]):
    """Changes a user. Deactivating (or a new password) revokes their refresh tokens; their
    access tokens stop working at once because every request re-reads the user."""
    role = data.get("role", UNSET)
    if user.pk == actor.pk:
        if data.get("is_active") is False:
            raise Conflict("You cannot deactivate yourself.")
        if role is not UNSET and role != ADMIN:
            raise Conflict("You cannot take away your own admin role.")
    for name in ("username", "email", "is_active"):
        if name in data:
            setattr(user, name, data[name])
    password = data.get("password")
    if password:
        user.set_password(password)
    if role is not UNSET:
        set_user_role(user, role)
    user.save()
    if "employee" in data:
        _link_employee(user, data["employee"])
    if data.get("is_active") is False or password:
        user_revoke_tokens(user=user)
    return _reloaded(user)


def _reloaded(user):
    """The user as stored, with the employee link as it is now."""
    return User.objects.select_related("employee").get(pk=user.pk)


@transaction.atomic
def user_delete(*, user, actor) -> None:
    if user.pk == actor.pk:
        raise Conflict("You cannot delete yourself.")
    user_revoke_tokens(user=user)
    user.delete()
