"""Roles: the single source of which Django permissions each role's group holds.

Roles are Django groups (`admin`, `manager`, `operator`, `viewer`). A data migration creates
them, and `sync_roles()` runs after every `migrate` (post_migrate), so a group always holds
exactly the permissions listed here, also for models added later.

| role | may |
| --- | --- |
| admin | everything, users and roles and webhooks included |
| manager | every domain resource: read, create, change, delete, import, export; approve WPS, confirm/revalidate/renew/revoke qualifications, override welder checks; no users |
| operator | read everything; create work orders, inspections, findings, welds, weld-log entries, uploads/imports, stock adjustments; change only what they created (and work orders assigned to their own employee record); delete nothing; never override a welder check |
| viewer | read everything, export; write nothing |
"""

from __future__ import annotations

from collections.abc import Iterable

ADMIN, MANAGER, OPERATOR, VIEWER = "admin", "manager", "operator", "viewer"
ROLES = (ADMIN, MANAGER, OPERATOR, VIEWER)
# Roles that work in the Django admin (is_staff); the others use the API only.
STAFF_ROLES = {ADMIN, MANAGER}

# Every model of the shop's records (the domain apps' and the core's import records), as
# "app_label.model_name".
DOMAIN_MODELS = (
    "staff.employee",
    "staff.welderqualification",
    "staff.qualificationevent",
    "workorders.workorder",
    "workorders.wps",
    "workorders.weld",
    "workorders.weldactivity",
    "machines.machine",
    "machines.importtemplate",
    "machines.workshopentry",
    "imports.excelimport",
    "imports.importschedule",
    "equipment.equipment",
    "equipment.equipmentcalibration",
    "inspections.inspection",
    "inspections.weldfinding",
    "inventory.item",
    "inventory.stockmovement",
    "inventory.consumablelot",
)
# Resources with Excel import and export (their `import_*`/`export_*` permissions).
EXCEL_RESOURCES = (
    "staff.employee",
    "workorders.workorder",
    "equipment.equipment",
    "inspections.inspection",
    "inventory.item",
    "staff.welderqualification",
    "workorders.wps",
    "workorders.weld",
    "workorders.weldactivity",
    "inventory.consumablelot",
    "equipment.equipmentcalibration",
    "inspections.weldfinding",
)
USER_MODELS = ("auth.user", "auth.group")
CRUD = ("view", "add", "change", "delete")
# What a user may do to a model's records (`user_may`); each is a permission `<action>_<model>`.
ACTIONS = (*CRUD, "import", "export")


def perm_name(model, action: str) -> str:
    """The permission to `action` records of `model` (a model class, or its
    `"app_label.model_name"`): `"<app_label>.<action>_<model_name>"` —
    `workorders.change_workorder`, `workorders.change_own_workorder`. The one spelling."""
    if isinstance(model, str):
        app_label, model_name = model.split(".")
    else:
        app_label, model_name = model._meta.app_label, model._meta.model_name
    return f"{app_label}.{action}_{model_name}"


def _perms(models: Iterable[str], actions: Iterable[str]) -> set[str]:
    actions = tuple(actions)
    return {perm_name(m, a) for m in models for a in actions}


_VIEW_ALL = _perms(DOMAIN_MODELS, ["view"])
_EXPORT_ALL = _perms(EXCEL_RESOURCES, ["export"])
_MANAGE_ALL = _perms(DOMAIN_MODELS, CRUD) | _perms(EXCEL_RESOURCES, ["import", "export"])

# Background jobs: every role sees (and may cancel) its own; managers and admins everyone's.
_OWN_JOBS = {"jobs.view_job"}
_ALL_JOBS = _OWN_JOBS | {"jobs.view_all_job"}

# Welding quality (WELDING.md §4): approving a WPS, the qualification actions (confirm,
# revalidate, renew, revoke) and overriding a refused welder check are for managers and admins.
_WELDING_MANAGEMENT = {
    "workorders.approve_wps",
    "staff.manage_welderqualification",
    "workorders.override_weldactivity",
}

# Webhook endpoints (SPEC §7): admins only.
_WEBHOOKS = _perms(["webhooks.endpoint"], CRUD)

ROLE_PERMISSIONS: dict[str, set[str]] = {
    VIEWER: _VIEW_ALL | _EXPORT_ALL | _OWN_JOBS,
    OPERATOR: _VIEW_ALL
    | _EXPORT_ALL
    | _OWN_JOBS
    | {
        "workorders.add_workorder",
        "workorders.change_own_workorder",
        "workorders.import_workorder",
        "inspections.add_inspection",
        "inspections.change_own_inspection",
        "inspections.import_inspection",
        "imports.add_excelimport",  # template uploads and imports
        "inventory.add_stockmovement",  # stock adjustments
        # The weld map and the weld log (WELDING.md §4): operators record welds and their
        # entries; they never override a refused check (`override_weldactivity`).
        "workorders.add_weld",
        "workorders.change_own_weld",
        "workorders.import_weld",
        "workorders.add_weldactivity",
        "workorders.change_own_weldactivity",
        "workorders.import_weldactivity",
        # ISO 6520 findings (WELDING.md §4): operators record them like inspections.
        "inspections.add_weldfinding",
        "inspections.change_own_weldfinding",
        "inspections.import_weldfinding",
    },
    MANAGER: _MANAGE_ALL | _ALL_JOBS | _WELDING_MANAGEMENT,
    ADMIN: _MANAGE_ALL | _ALL_JOBS | _WELDING_MANAGEMENT | _perms(USER_MODELS, CRUD) | _WEBHOOKS,
}


def sync_roles(*, using: str = "default", apps=None, strict: bool = True) -> None:
    """Create the four groups and give each exactly its permissions. Idempotent.

    `strict=False` (the data migration, on historical models) skips permissions that do not
    exist yet; the post_migrate sync that follows every migrate is strict."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_key = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, wanted in ROLE_PERMISSIONS.items():
        missing = sorted(p for p in wanted if p not in by_key)
        if missing and strict:
            raise LookupError(f"Role {role!r} names permissions that do not exist: {missing}")
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_key[p] for p in wanted if p in by_key])
    _GROUP_PERMISSIONS.clear()


def sync_roles_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: make sure every permission exists, then sync the groups."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(using=using)


def role_subquery():
    """The user's role group name, for `User.objects.annotate(role_name=role_subquery())`:
    authentication loads the user and the role in one query."""
    from django.contrib.auth.models import Group
    from django.db.models import OuterRef, Subquery

    return Subquery(
        Group.objects.filter(user=OuterRef("pk"), name__in=ROLES).order_by("name").values("name")[:1]
    )


def user_role(user) -> str | None:
    """The user's role: `admin` for superusers, else their role group (None if none)."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_role_cache", False)
    if cached is not False:
        return cached
    if hasattr(user, "role_name"):  # annotated by role_subquery()
        role = user.role_name
    else:
        names = {group.name for group in user.groups.all()}  # uses a prefetch when there is one
        role = next((r for r in ROLES if r in names), None)
    user._role_cache = role
    return role


_GROUP_PERMISSIONS: dict[str, tuple[float, frozenset[str]]] = {}
GROUP_PERMISSIONS_TTL = 60.0  # seconds a process trusts its copy of a group's permissions


def role_permissions(role: str) -> frozenset[str]:
    """The permissions the role's group holds in the database ("app.codename"), kept per
    process for a minute: the API checks them on every request without a query."""
    import time

    from django.contrib.auth.models import Permission

    hit = _GROUP_PERMISSIONS.get(role)
    now = time.monotonic()
    if hit is not None and now - hit[0] < GROUP_PERMISSIONS_TTL:
        return hit[1]
    perms = frozenset(
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(group__name=role).values_list(
            "content_type__app_label", "codename"
        )
    )
    _GROUP_PERMISSIONS[role] = (now, perms)
    return perms


def user_has_perms(user, perms) -> bool:
    """Whether an active user holds every permission (`"app.codename"`) through their role
    (superusers all). Roles are the only way permissions are granted: one given to a user
    directly does not count."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    role = user_role(user)
    return role is not None and set(perms) <= role_permissions(role)


def user_may(user, model, action: str, obj=None) -> bool:
    """Whether `user`'s role lets them `action` ("view", "add", "change", "delete", "import",
    "export") records of `model` — `obj`, when given. The one answer for the API (the
    permission class) and the Excel import's rows.

    Changing takes `change_<model>`, or `change_own_<model>` (operators) and a record the
    model says the user owns (`obj.is_owned_by(user)`); without `obj`, `change_own_<model>`
    is enough (the record is checked once it is known: `403` for someone else's)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if user is None or not user.is_authenticated:
        return False
    if user_has_perms(user, [perm_name(model, action)]):
        return True
    if action == "change" and user_has_perms(user, [perm_name(model, "change_own")]):
        return obj is None or obj.is_owned_by(user)
    return False


def user_may_own_only(user, model, action: str) -> bool:
    """Whether `user_may` lets the user `action` only records they own (an operator's
    `change_own_<model>`, without `change_<model>`)."""
    return user_may(user, model, action) and not user_has_perms(user, [perm_name(model, action)])


def user_may_record_history(user, model) -> bool:
    """Whether `user` may write a record's history fields — a work order's `completed_at`, the
    `CreatedAt` of an imported record — instead of the times the application records: the
    full `change_<model>` permission (managers and admins), not an operator's
    `change_own_<model>`. None is the system (management commands, the demo seed): it may."""
    if user is None:
        return True
    return user.is_authenticated and user_has_perms(user, [perm_name(model, "change")])


def set_user_role(user, role: str | None) -> None:
    """Put `user` in exactly one role group (or none); admins and managers are staff.
    The caller saves the user (is_staff may change)."""
    from django.contrib.auth.models import Group

    from workshop.history.users import defer_role

    if role is not None and role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; one of {', '.join(ROLES)}")
    defer_role(user)  # one history version, with the new role, when the caller saves
    others = Group.objects.filter(name__in=ROLES).exclude(name=role)
    user.groups.remove(*others)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    if role != ADMIN:
        user.is_superuser = False  # else the superuser flag would keep them an admin
    user.is_staff = role in STAFF_ROLES or user.is_superuser
    user._role_cache = role
