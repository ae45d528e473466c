"""Reads: the event names an endpoint may subscribe to, endpoints for an event, deliveries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from workshop.webhooks.models import Attempt, Endpoint, Message

# Events of §5 that are not `<resource>.created|updated|deleted`.
OTHER_EVENTS = (
    "import.finished",
    "job.progress",
    "job.finished",
    "alert.low_stock",
    "dashboard.changed",
)
PING_EVENT = "webhook.ping"
ALL_EVENTS = "*"


def known_events() -> list[str]:
    """Every event name an endpoint may subscribe to, sorted: each routed resource's
    created/updated/deleted (from the API router, as the live events are) and the others."""
    from workshop.events.resources import resources

    names = {
        f"{r.singular}.{verb}" for r in resources().values() for verb in ("created", "updated", "deleted")
    }
    return sorted(names | set(OTHER_EVENTS))


def endpoints_for(events: set[str]) -> list[tuple[int, list[str]]]:
    """`(id, events)` of the active endpoints that want any of these events (one query)."""
    rows = Endpoint.objects.filter(active=True).values_list("pk", "events")
    return [
        (pk, subscribed) for pk, subscribed in rows if ALL_EVENTS in subscribed or events & set(subscribed)
    ]


def endpoint_deliveries(endpoint: Endpoint) -> QuerySet[Message]:
    """An endpoint's deliveries, newest first, with their attempts (one more query per page)."""
    return (
        Message.objects.filter(endpoint=endpoint)
        .defer("body")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("number")))
        .order_by("-id")
    )
