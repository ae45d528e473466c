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
