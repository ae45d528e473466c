"""Resource events from row writes: `<resource>.created|updated|deleted`, `import.finished`,
and the nudge that makes a user's sockets re-check their user.

Receivers for `post_save` and `pre_delete` of every routed resource's model are connected
from the router's registry (`connect()`, at start-up), so every write path that saves rows one
at a time sends events: the API, the admin, services, management commands, shells. Bulk
writes (`bulk_create`, `bulk_update`, `QuerySet.update`) send no signals and so no per-row
events; a service that changes a row with a queryset UPDATE calls `touched()`.

Within a transaction, writes are only noted. Once it commits, each (resource, id) written in
it gives one event — created then updated is `created`, updated then deleted is `deleted`,
created then deleted is nothing — with the representation read once, after the commit
(deleted: the representation read just before the delete). A transaction that rolls back, or
a savepoint that does, sends nothing for its writes.

Rows deleted by a cascade (an import's entries, an item's stock movements) send no events of
their own: the deletion asked for names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from workshop.events import context
from workshop.events.publish import CONTROL_TOPIC, USER_CHANGED, Message, send
from workshop.events.resources import Resource, resources, resources_of

log = structlog.get_logger(__name__)

IMPORTS = "imports"  # the router's resource whose records are Excel imports
FINISHED_STATUSES = frozenset({"succeeded", "failed"})
CREATED, UPDATED, DELETED = "created", "updated", "deleted"
# A save of only these fields is bookkeeping, not a change of the record (a login).
BOOKKEEPING_ONLY = frozenset({"last_login"})


@dataclass
class Write:
    resource: Resource
    pk: Any
    kind: str
    actor: int | None
    request_id: str | None
    data: Any = None  # deleted: the representation before the delete
    owner_id: Any = None
    finished: bool = False  # an import that has just finished
    survived: bool = False  # set by its on-commit marker: its savepoint was not rolled back

    def mark(self) -> None:
        self.survived = True

    mark.live_events = True  # tells tests that list on-commit callbacks which ones are ours


@dataclass
class Batch:
    """The writes of one transaction on one connection, flushed once it has committed."""

    connection: Any
    writes: list[Write] = field(default_factory=list)
    users: set = field(default_factory=set)  # users whose sockets re-check their user
    flushes: int = 0
    last_hook: tuple | None = None

    def alive(self) -> bool:
        """Whether this transaction is still open: its latest flush is still waiting for the
        commit (a rollback clears the list of on-commit hooks)."""
        return self.last_hook is not None and any(
            hook is self.last_hook for hook in reversed(self.connection.run_on_commit)
        )

    def schedule_flush(self) -> None:
        """Append a flush after everything registered so far. Only the latest one flushes, so
        the flush runs after every write's marker. It is registered outside any savepoint
        (empty savepoint set), so rolling a savepoint back never drops it — only the markers
        of the writes made in that savepoint."""
        self.flushes += 1
        number = self.flushes

        def flush() -> None:
            if number == self.flushes:
                self.flush()

        flush.live_events = True

        self.last_hook = (set(), flush, True)  # (savepoint ids, callback, robust): Django's format
        self.connection.run_on_commit.append(self.last_hook)

    def flush(self) -> None:
        if getattr(self.connection, "_weldshop_events", None) is self:
            self.connection._weldshop_events = None
        publish_writes([w for w in self.writes if w.survived])
        notify_users(self.users)


def _batch(using: str | None) -> Batch | None:
    """The open transaction's batch (made on first use), or None outside a transaction."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return None
    batch = getattr(connection, "_weldshop_events", None)
    if batch is None or not batch.alive():
        batch = connection._weldshop_events = Batch(connection)
    return batch


def record(write: Write, using: str | None) -> None:
    batch = _batch(using)
    if batch is None:  # autocommit: the row is already committed
        write.survived = True
        publish_writes([write])
        return
    batch.writes.append(write)
    transaction.on_commit(write.mark, using=using)
    batch.schedule_flush()


def _write(resource: Resource, pk, kind: str, **extra) -> Write:
    actor, request_id = context.current()
    return Write(resource, pk, kind, actor, request_id, **extra)


# ---------------------------------------------------------------------------- merging, sending
MERGED = {
    # (earlier, later) → the one event they amount to; None: nothing to tell.
    (CREATED, UPDATED): CREATED,
    (CREATED, DELETED): None,
    (UPDATED, UPDATED): UPDATED,
    (UPDATED, DELETED): DELETED,
    (DELETED, CREATED): UPDATED,  # the same id back (a restore): it changed
    (None, CREATED): CREATED,
    (None, UPDATED): CREATED,
}


def publish_writes(writes: list[Write]) -> None:
    """The events of committed writes: one per (resource, id), representations read once."""
    if not writes:
        return
    try:
        merged: dict[tuple[str, Any], Write] = {}
        for write in writes:
            key = (write.resource.name, write.pk)
            earlier = merged.get(key)
            if earlier is None:
                merged[key] = write
                continue
            kind = MERGED.get((earlier.kind, write.kind), write.kind)
            merged[key] = Write(
                **{**write.__dict__, "kind": kind, "finished": earlier.finished or write.finished}
            )
        loaded: dict[str, dict] = {}
        for name in {w.resource.name for w in merged.values() if w.kind in (CREATED, UPDATED)}:
            resource = resources()[name]
            pks = [w.pk for w in merged.values() if w.resource.name == name and w.kind in (CREATED, UPDATED)]
            loaded[name] = resource.load(pks)
        messages = []
        for write in merged.values():
            if write.kind is None:
                continue
            if write.kind == DELETED:
                data, owner = write.data, write.owner_id
            else:
                found = loaded[write.resource.name].get(write.pk)
                if found is None:  # deleted meanwhile by another transaction: its event follows
                    continue
                data, owner = found
            messages.append(message(write, write.kind, data, owner))
            if write.finished and write.kind != DELETED:
                messages.append(message(write, "finished", data, owner))
        send(messages)
    except Exception:
        # Events are never worth a failed request: the write is committed already.
        log.exception("events.capture_failed", writes=len(writes))


def message(write: Write, verb: str, data, owner) -> Message:
    resource = write.resource
    return Message(
        event=f"{resource.singular}.{verb}",
        topic=resource.name,
        data=data,
        resource=resource.name,
        object_id=write.pk,
        actor=write.actor,
        request_id=write.request_id,
        perm=resource.perm,
        owner_id=owner,
    )


# ---------------------------------------------------------------------------------- receivers
def saved(sender, instance, created=False, raw=False, using=None, update_fields=None, **kwargs) -> None:
    if raw or (update_fields and frozenset(update_fields) <= BOOKKEEPING_ONLY):
        return
    for resource in resources_of(sender):
        finished = resource.name == IMPORTS and _has_just_finished(instance, created)
        record(_write(resource, instance.pk, CREATED if created else UPDATED, finished=finished), using)


def deleting(sender, instance, using=None, origin=None, **kwargs) -> None:
    if not _asked_for(sender, instance, origin):
        return
    for resource in resources_of(sender):
        found = resource.load([instance.pk]).get(instance.pk)
        if found is None:
            continue
        data, owner = found
        record(_write(resource, instance.pk, DELETED, data=data, owner_id=owner), using)


def _asked_for(sender, instance, origin) -> bool:
    """Whether this row is one the deletion was asked for, not one a cascade takes along."""
    if origin is None or origin is instance:
        return True
    if isinstance(origin, QuerySet):
        return origin.model is sender
    return type(origin) is sender and origin.pk == instance.pk


def touched(model, pk, *, using: str | None = None) -> None:
    """A row of `model` changed without a save (a queryset UPDATE): its `updated` event, as
    if it had been saved (coalesced with the transaction's other writes)."""
    for resource in resources_of(model):
        record(_write(resource, pk, UPDATED), using)


# ------------------------------------------------------------------------------ import.finished
def import_status_before(sender, instance, raw=False, **kwargs) -> None:
    """pre_save of an import record: remember its stored status, to tell when it finishes."""
    if raw or instance._state.adding or instance.pk is None:
        instance._events_status_before = None
        return
    instance._events_status_before = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
    )


def _has_just_finished(instance, created: bool) -> bool:
    """An import saved as succeeded/failed that was not already (created finished, or
    coming from pending/processing): `import.finished` goes out once per import."""
    if getattr(instance, "status", None) not in FINISHED_STATUSES:
        return False
    return created or getattr(instance, "_events_status_before", None) not in FINISHED_STATUSES


# ------------------------------------------------------------------------------- users' sockets
def user_changed(sender, instance, raw=False, using=None, update_fields=None, **kwargs) -> None:
    """A user saved or deleted: their open sockets re-check them (deactivated or deleted →
    closed; a new role → what they receive follows it)."""
    if raw or (update_fields and frozenset(update_fields) <= BOOKKEEPING_ONLY):
        return
    _users_changed({instance.pk}, using)


def user_groups_changed(sender, instance, action, reverse, pk_set, using=None, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _users_changed({instance.pk}, using)
    elif pk_set:
        _users_changed(set(pk_set), using)


def _users_changed(pks: set, using: str | None) -> None:
    batch = _batch(using)
    if batch is None:
        notify_users(pks)
        return
    batch.users |= pks
    batch.schedule_flush()


def notify_users(pks) -> None:
    """Tell every socket of these users, on every host, to re-check them: a control entry in
    the stream, which every host's hub reads (after this transaction's events)."""
    if pks:
        send([Message(event=USER_CHANGED, topic=CONTROL_TOPIC, data=None, owner_id=pk) for pk in sorted(pks)])


# --------------------------------------------------------------------------------- wiring
def connect() -> None:
    """Connect the receivers for every routed resource (AppConfig.ready)."""
    from django.contrib.auth import get_user_model

    for resource in resources().values():
        model = resource.model
        uid = f"events.{model._meta.label_lower}"
        post_save.connect(saved, sender=model, dispatch_uid=f"{uid}.save")
        pre_delete.connect(deleting, sender=model, dispatch_uid=f"{uid}.delete")
        if resource.name == IMPORTS:
            pre_save.connect(import_status_before, sender=model, dispatch_uid=f"{uid}.status")
    user_model = get_user_model()
    post_save.connect(user_changed, sender=user_model, dispatch_uid="events.user.save")
    post_delete.connect(user_changed, sender=user_model, dispatch_uid="events.user.delete")
    m2m_changed.connect(
        user_groups_changed, sender=user_model.groups.through, dispatch_uid="events.user.groups"
    )
