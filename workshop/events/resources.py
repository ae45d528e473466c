"""The resources that send live events, discovered from the API router.

Every ViewSet on `workshop.api.router.router` with a `queryset` and a `serializer_class` is a
resource: its URL name is its topic (`workorders`), its model's saves and deletes are its
events (`workorder.created`), its serializer gives the events' `data` (the API's detail
representation), and its model's `view_*` permission decides who receives them. A resource
added to the router later gets events without any list kept by hand.

A ViewSet may say more:
- `live_events = False`: no events for it (a resource that publishes its own);
- `live_events_name = "…"`: the event prefix, when the URL name's singular is not right;
- `live_events_owner_field = "created_by_id"`: only that user and managers/admins receive
  its events (records that users see only their own of).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

# Topics that are not resources: background jobs, the dashboard's figures, alerts.
EXTRA_TOPICS = ("jobs", "dashboard", "alerts")


@dataclass(frozen=True)
class Resource:
    name: str  # the URL name, which is also the topic: "workorders", "stock-movements"
    singular: str  # the event prefix: "workorder", "stock-movement"
    model: type
    queryset: Any  # the ViewSet's queryset (select_related/prefetch for its serializer)
    serializer_class: type
    perm: str  # who receives its events: "workorders.view_workorder"
    owner_field: str | None = None

    def load(self, pks) -> dict[Any, tuple[dict, Any]]:
        """`{pk: (the API's detail representation, owner id)}` of the stored rows with these
        primary keys: one query (plus the queryset's prefetches); rows that are gone are left
        out. Links come out as paths: an event answers no one request's host."""
        if not pks:
            return {}
        rows = self.queryset.filter(pk__in=list(pks))
        context = {"request": None}
        return {
            obj.pk: (self.serializer_class(obj, context=context).data, self.owner_of(obj)) for obj in rows
        }

    def owner_of(self, instance) -> Any:
        """The user whose record this is (with `owner_field`), else None: everyone's."""
        return getattr(instance, self.owner_field, None) if self.owner_field else None


def singular(name: str) -> str:
    """`workorders` → `workorder`, `entries` → `entry`, `equipment` → `equipment`."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


@cache
def resources() -> dict[str, Resource]:
    """Every routed resource, by URL name."""
    from workshop.api.router import router

    found: dict[str, Resource] = {}
    for prefix, viewset, _basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        serializer_class = getattr(viewset, "serializer_class", None)
        if queryset is None or serializer_class is None or not getattr(viewset, "live_events", True):
            continue
        meta = queryset.model._meta
        found[prefix] = Resource(
            name=prefix,
            singular=getattr(viewset, "live_events_name", None) or singular(prefix),
            model=queryset.model,
            queryset=queryset,
            serializer_class=serializer_class,
            perm=f"{meta.app_label}.view_{meta.model_name}",
            owner_field=getattr(viewset, "live_events_owner_field", None),
        )
    return found


def resources_of(model) -> list[Resource]:
    """The resources a model's rows belong to (usually one)."""
    return _by_model().get(model, [])


@cache
def _by_model() -> dict[type, list[Resource]]:
    by_model: dict[type, list[Resource]] = {}
    for resource in resources().values():
        by_model.setdefault(resource.model, []).append(resource)
    return by_model


def topics() -> frozenset[str]:
    """Every topic a socket may subscribe to: the routed resources' URL names, `jobs`,
    `dashboard` and `alerts`."""
    return frozenset(resources()) | frozenset(EXTRA_TOPICS)
