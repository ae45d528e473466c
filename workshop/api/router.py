"""The API router: every app's `urls.register(router)` adds its resources.

Trailing slash optional: `/api/v1/workorders` and `/api/v1/workorders/` are the same.
"""

from importlib import import_module

from rest_framework.routers import DefaultRouter

RESOURCE_APPS = ("staff", "machines", "workorders", "equipment", "inspections", "inventory")


class Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


def build_router() -> Router:
    router = Router()
    for app in RESOURCE_APPS:
        import_module(f"{app}.urls").register(router)
    return router


router = build_router()
