"""Live events over WebSocket (SPEC §5): `/ws/v1/events`. The protocol is in docs/events.md.

Public API for the rest of the code:

- `publish(event, *, topic, data, ...)`: send an event (after the commit by default), e.g.
  `publish("job.progress", topic="jobs", resource="jobs", object_id=job.pk,
  data={...}, owner_id=job.created_by_id, on_commit=False)`.
- `touched(model, pk)`: a row changed by a queryset UPDATE (no signal): its `updated` event.
- `acting(user_id=…, request_id=…)`: the actor and request id of events published inside
  (a job acting for the user who queued it).

Resource events (`<resource>.created|updated|deleted`, `import.finished`) need no call: every
routed resource's saves and deletes send them (`workshop.events.capture`).

This package is the core: it imports no domain app. Resources come from the API router.
"""

from workshop.events.context import acting
from workshop.events.publish import publish


def touched(model, pk, *, using=None) -> None:
    from workshop.events.capture import touched as _touched

    _touched(model, pk, using=using)


__all__ = ["acting", "publish", "touched"]
