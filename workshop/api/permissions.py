"""One permission mechanism for the whole API: Django model permissions held by role groups
(workshop/roles.py).

- Reads need `view_<model>`; POST `add_`, PUT/PATCH `change_`, DELETE `delete_`.
- An extra action names its own permission: `@action(..., required_perms=["inventory.add_stockmovement"])`.
- `change_own_<model>` (operators) passes the view check; the object check then lets the
  user change only records the model says they own (`is_owned_by`), else `403`.
- No login → `401`; logged in without the permission → `403`.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workshop.roles import user_has_perms

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def _model_perm(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def _explicit(view) -> list[str] | None:
    getter = getattr(view, "get_required_perms", None)
    return getter() if getter is not None else getattr(view, "required_perms", None)


def _model_of(view):
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None


class RolePermission(BasePermission):
    message = "Your role may not do this."

    def required(self, request, view) -> list[str]:
        explicit = _explicit(view)
        if explicit is not None:
            return list(explicit)
        model = _model_of(view)
        if model is None:
            return []
        action = METHOD_ACTIONS.get(request.method)
        if action is None:
            return [_model_perm(model, "change")]  # unknown methods need the most
        return [_model_perm(model, action)]

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        required = self.required(request, view)
        if user_has_perms(user, required):
            return True
        # change_own_<model>: allowed here, narrowed to owned records in has_object_permission.
        return bool(required) and all(self._own_variant(user, perm) for perm in required)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS or _explicit(view) is not None:
            return True
        user = request.user
        required = self.required(request, view)
        if user_has_perms(user, required):
            return True
        return all(self._own_variant(user, perm) for perm in required) and obj.is_owned_by(user)

    @staticmethod
    def _own_variant(user, perm: str) -> bool:
        app_label, codename = perm.split(".", 1)
        if not codename.startswith("change_"):
            return False
        return user_has_perms(user, [f"{app_label}.change_own_{codename.removeprefix('change_')}"])
