"""Users' history: who had which role, and who was active, when (SPEC §7).

Only `username`, `is_active` and the role are kept — never the password hash, `last_login` or
tokens. A user's version is written when they are created or deleted and when their role or
active flag changes (a save that changes neither, a login or a new password, writes nothing).
The role is a group (`workshop.roles`): a change of groups is a change of `role`.
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import m2m_changed
from simple_history.signals import pre_create_historical_record

from workshop.history.records import UPDATED, HistoryBase, WorkshopHistoricalRecords, current_actor, enabled
from workshop.roles import ADMIN, ROLES

USER_TRACKED = ("id", "username", "is_active")
BOOKKEEPING = frozenset({"last_login", "password"})
DEFERRED = "_history_role_deferred"  # set_user_role is changing groups; the save that follows records


class UserRoleBase(HistoryBase):
    role = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 (null: no role)

    class Meta:
        abstract = True


def stored_role(user) -> str | None:
    """The role as stored now (not a cached one)."""
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return next((role for role in ROLES if role in names), None)


def _changed(user, historical) -> bool:
    latest = (
        historical.objects.filter(id=user.pk)
        .order_by("-history_date", "-history_id")
        .values_list("username", "is_active", "role")
        .first()
    )
    return latest != (user.username, user.is_active, stored_role(user))


class UserHistoricalRecords(WorkshopHistoricalRecords):
    """The users' `HistoricalRecords`: a version only when something kept changed."""

    registered: UserHistoricalRecords | None = None

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "history_user_id_field",
            models.IntegerField(null=True, blank=True, db_index=True, default=current_actor),
        )
        super().__init__(**kwargs)
        UserHistoricalRecords.registered = self

    def historical(self):
        return getattr(self.cls, self.manager_name).model

    def post_save(self, instance, created, using=None, update_fields=None, **kwargs):
        instance.__dict__.pop(DEFERRED, None)
        if not enabled() or kwargs.get("raw"):
            return
        if update_fields and frozenset(update_fields) <= BOOKKEEPING:
            return
        if not created and not _changed(instance, self.historical()):
            return
        super().post_save(instance, created, using=using, update_fields=update_fields, **kwargs)

    def note(self, user) -> None:
        """The user's groups changed: a version if their role did."""
        if enabled() and _changed(user, self.historical()):
            self.create_historical_record(user, UPDATED)


def groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    records = UserHistoricalRecords.registered
    if action not in ("post_add", "post_remove", "post_clear") or records is None:
        return
    if not reverse:
        if not getattr(instance, DEFERRED, False):
            records.note(instance)
        return
    for user in records.cls._default_manager.filter(pk__in=pk_set or ()):
        records.note(user)


def set_role(sender, history_instance, instance, **kwargs) -> None:
    history_instance.role = stored_role(instance)


def defer_role(user) -> None:
    """`set_user_role` is changing the user's groups; the save that follows records once."""
    setattr(user, DEFERRED, True)


def connect() -> None:
    records = UserHistoricalRecords.registered
    if records is None:
        return
    user_model = records.cls
    pre_create_historical_record.connect(
        set_role, sender=records.historical(), dispatch_uid="history.user.role"
    )
    m2m_changed.connect(groups_changed, sender=user_model.groups.through, dispatch_uid="history.user.groups")
