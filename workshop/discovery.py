"""What the apps plug into the core, found by module name — as the admin's autodiscover finds
every app's `admin.py` — so the core keeps no list of apps and imports none of them.

- `<app>/urls.py`: `register(router)` adds the app's resources to the API router;
  `api_urlpatterns` are mounted under `/api/v1/`, `admin_urlpatterns` under `/admin/` (before
  the admin site's own URLs).
- `<app>/imports.py`: `SPEC` (a resource's columns for the Excel engine; `SPECS`, a tuple, for
  an app with several resources) and `TARGETS`
  (records files are imported through, e.g. a machine's log template).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

# The project's root URLconf: it includes the apps' URLs, so it is never one of them (also under
# settings that serve another root, e.g. a test's, which includes it).
PROJECT_URLCONF = "workshop.urls"


def app_modules(name: str) -> list[ModuleType]:
    """Every installed app's `<app>.<name>` module that exists, in INSTALLED_APPS order (the
    root URLconf excepted: it is what includes the others)."""
    from django.apps import apps
    from django.conf import settings
    from django.utils.module_loading import module_has_submodule

    found = []
    for config in apps.get_app_configs():
        dotted = f"{config.name}.{name}"
        if dotted in (settings.ROOT_URLCONF, PROJECT_URLCONF) or not module_has_submodule(
            config.module, name
        ):
            continue
        found.append(import_module(dotted))
    return found


def app_attributes(module_name: str, attribute: str) -> list:
    """`attribute` of every app's `<app>.<module_name>` that defines it."""
    return [getattr(module, attribute) for module in app_modules(module_name) if hasattr(module, attribute)]
