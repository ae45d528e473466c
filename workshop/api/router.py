"""The API router: every app's `urls.register(router)` adds its resources (found by
workshop/discovery.py, so the core lists no app).

Trailing slash optional: `/api/v1/workorders` and `/api/v1/workorders/` are the same.
"""

from rest_framework.routers import DefaultRouter

from workshop.discovery import app_attributes


class Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


def build_router() -> Router:
    router = Router()
    for register in app_attributes("urls", "register"):
        register(router)
    return router


router = build_router()


def viewset_for(prefix: str):
    """The ViewSet routed at `/api/v1/<prefix>/` (a job re-runs its list's filters)."""
    for registered, viewset, _basename in router.registry:
        if registered == prefix:
            return viewset
    raise LookupError(f"No resource is routed at {prefix!r}")
