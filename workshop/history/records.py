"""The one way a model keeps its history: `history = record_history()`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from simple_history.models import HistoricalRecords

from workshop.events import context

CREATED, UPDATED, DELETED = "+", "~", "-"
KINDS = {CREATED: "created", UPDATED: "updated", DELETED: "deleted"}
# Never kept in any history table, whatever the model.
SECRET_FIELDS = ("password", "last_login", "secret", "token")
BATCH = 2000
_FROM_ROW = object()  # record_rows: a column whose value is the written row's


def current_actor() -> int | None:
    """The user writing now (a request's, a job's), or None: a version's `history_user_id`."""
    return context.current()[0]


def current_request_id() -> str | None:
    return context.current()[1]


def current_source() -> str:
    return context.current_source()


class HistoryBase(models.Model):
    """What every version keeps besides the record's fields and simple-history's own."""

    # `history_` names: a model may have a `source` of its own (ImportSchedule).
    history_source = models.CharField(max_length=16, default=current_source)
    history_request_id = models.CharField(max_length=128, null=True, blank=True, default=current_request_id)  # noqa: DJ001 (null: none)

    class Meta:
        abstract = True


class WorkshopHistoricalRecords(HistoricalRecords):
    """simple-history's, without the database's generated columns (`next_service_due`:
    derived from the fields kept, and reading one back after a save would cost a query on
    every write) and without secrets (SECRET_FIELDS), whatever the model."""

    def copy_fields(self, model):
        """The record's fields, indexed only by the record's id: a version is looked up by its
        record, its date and its actor (simple-history's and our indexes), never by a field's
        value, and each copied index would cost every write."""
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields

    def fields_included(self, model):
        return [
            f
            for f in super().fields_included(model)
            if not getattr(f, "generated", False) and f.name not in SECRET_FIELDS
        ]


def enabled() -> bool:
    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True)


def record_history(*, excluded_fields: Iterable[str] = (), bases: Iterable[type] = ()) -> HistoricalRecords:
    """The `HistoricalRecords` of a domain model: the actor as a plain integer user id (so
    versions survive the user's deletion), the source and request id, secrets left out."""
    return WorkshopHistoricalRecords(
        bases=[*bases, HistoryBase],
        history_user_id_field=models.IntegerField(
            null=True, blank=True, db_index=True, default=current_actor
        ),
        excluded_fields=[*excluded_fields],
        # History of a record outlives it ("works for deleted records too").
        cascade_delete_history=False,
    )


def history_model(model):
    """The historical model of `model` (None if it keeps no history)."""
    name = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, name).model if name else None


def record_rows(model, objs: Iterable[Any], kind: str, *, batch_size: int = BATCH) -> int:
    """Versions of rows written without a save (bulk writes, queryset UPDATEs), in the
    caller's transaction. Rows that are still there (created, updated) are copied by the
    database from the table itself — `INSERT … SELECT … WHERE pk IN (…)`, one statement per
    batch, their values as stored now and no Python work per row (an import writes a version
    per row); deleted rows (and rows without a primary key) from `objs`' values. Returns how many."""
    if not enabled():
        return 0
    historical = history_model(model)
    if historical is None:
        return 0
    objs = list(objs)
    actor, request_id = context.current()
    given = {
        "history_id": None,
        "history_date": timezone.now(),
        "history_type": kind,
        "history_user_id": actor,
        "history_source": context.current_source(),
        "history_request_id": request_id,
        "history_change_reason": None,
    }
    pks = [obj.pk for obj in objs]
    if kind != DELETED and all(pk is not None for pk in pks):
        _copy_rows(model, historical, pks, given, batch_size)
        return len(pks)
    # Positional values in the table's column order: Model.__init__'s fast path.
    columns = [(f.attname, given.get(f.attname, _FROM_ROW)) for f in historical._meta.concrete_fields]
    rows = [
        historical(*[getattr(obj, name) if value is _FROM_ROW else value for name, value in columns])
        for obj in objs
    ]
    historical.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def _copy_rows(model, historical, pks: list, given: dict, batch_size: int) -> None:
    """One `INSERT INTO <history> (…) SELECT <the row's columns>, <the version's values> FROM
    <table> WHERE <pk> IN (…)` per batch: the history table's copied columns have the names of
    the table's own (simple-history copies the fields with their columns)."""
    db = router.db_for_write(historical)
    connection = connections[db]
    quote = connection.ops.quote_name
    copied, extra = [], []
    for field in historical._meta.concrete_fields:
        if field.attname == "history_id":
            continue
        (extra if field.attname in given else copied).append(field)
    columns = ", ".join(quote(f.column) for f in copied + extra)
    values = ", ".join([quote(f.column) for f in copied] + ["%s"] * len(extra))
    params = [f.get_db_prep_save(given[f.attname], connection) for f in extra]
    source, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            batch = pks[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {quote(historical._meta.db_table)} ({columns}) "  # noqa: S608 (names quoted)
                f"SELECT {values} FROM {source} WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))})",
                [*params, *[model._meta.pk.get_db_prep_value(pk, connection) for pk in batch]],
            )


def record_pks(model, pks: Iterable[Any], kind: str = UPDATED) -> int:
    """Versions of rows a queryset UPDATE changed (an `F()` adjustment): `record_rows` copies
    their values as stored now, in the database."""
    pks = list(pks)
    if not pks or not enabled() or history_model(model) is None:
        return 0
    if kind == DELETED:  # gone from the table by now? their values as they are, if still there
        return record_rows(model, model._default_manager.filter(pk__in=pks), kind)
    return record_rows(model, [model(pk=pk) for pk in pks], kind)  # copied by the database
