"""One permission mechanism for the whole API: Django model permissions held by role groups
(workshop/roles.py), decided by `roles.user_may` — the same answer the Excel import gives its
rows.

- Reads need `view_<model>`; POST `add_`, PUT/PATCH `change_`, DELETE `delete_`.
- An extra action names its own permission: `@action(..., required_perms=["inventory.add_stockmovement"])`.
- `change_own_<model>` (operators) passes the view check; the object check then lets the
  user change only records the model says they own (`is_owned_by`), else `403`.
- No login → `401`; logged in without the permission → `403`.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workshop.roles import user_has_perms, user_may

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def _explicit(view) -> list[str] | None:
    getter = getattr(view, "get_required_perms", None)
    return getter() if getter is not None else getattr(view, "required_perms", None)


def _model_of(view):
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None


def _action(request) -> str:
    return METHOD_ACTIONS.get(request.method, "change")  # unknown methods need the most


class RolePermission(BasePermission):
    message = "Your role may not do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        explicit = _explicit(view)
        if explicit is not None:
            return user_has_perms(user, explicit)
        model = _model_of(view)
        if model is None:
            return user_has_perms(user, [])  # any role
        return user_may(user, model, _action(request))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS or _explicit(view) is not None:
            return True
        model = _model_of(view)
        if model is None:
            return user_has_perms(request.user, [])
        return user_may(request.user, model, _action(request), obj)
