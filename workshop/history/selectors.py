"""Reading history: versions with their diffs, computed at read time from neighbouring
versions in a constant number of queries per page (the page's rows with each one's previous
version id from a subquery, then those previous versions in one query per table)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value

from workshop.history.records import KINDS, history_model

# Bookkeeping every write changes: not shown as a change.
NOT_DIFFED = frozenset({"updated_at"})
FEED_COLUMNS = (
    "history_id",
    "history_date",
    "history_type",
    "history_user_id",
    "history_source",
    "history_request_id",
)


@dataclass(frozen=True)
class Table:
    """One resource's history table."""

    resource: str
    model: Any
    historical: Any

    @property
    def diff_fields(self) -> list[tuple[str, str]]:
        """(name in the answer, attribute) of each field a diff compares."""
        fields = [
            (f.name, f.attname)
            for f in self.historical.tracked_fields
            if f.name not in NOT_DIFFED and not f.primary_key
        ]
        if any(f.name == "role" for f in self.historical._meta.fields):  # users: their role
            fields.append(("role", "role"))
        return fields


def table_for(resource: str, model) -> Table | None:
    historical = history_model(model)
    return Table(resource, model, historical) if historical is not None else None


def previous_id(historical) -> Subquery:
    """Each version's previous version of the same record (by insertion order)."""
    pk_name = historical._meta.get_field("id").attname
    return Subquery(
        historical.objects.filter(**{pk_name: OuterRef(pk_name), "history_id__lt": OuterRef("history_id")})
        .order_by("-history_id")
        .values("history_id")[:1]
    )


def versions_of(table: Table, object_id) -> QuerySet:
    """A record's versions, newest first (for a page: `entries(table, rows)`)."""
    return table.historical.objects.filter(id=object_id).order_by("-history_id")


def _value(row, attname: str):
    return getattr(row, attname, None) if row is not None else None


def changes(table: Table, row, previous) -> list[dict]:
    """Created: every field, old null. Updated: the fields that differ from the previous
    version (every field, old null, if there is none: pruned). Deleted: none."""
    kind = row.history_type
    if kind == "-":
        return []
    result = []
    for name, attname in table.diff_fields:
        new = _value(row, attname)
        old = _value(previous, attname) if kind == "~" else None
        if kind == "+" or previous is None or old != new:
            result.append({"field": name, "old": old, "new": new})
    return result


def entry(table: Table, row, previous) -> dict:
    return {
        "id": row.history_id,
        "resource": table.resource,
        "object_id": row.id,
        "kind": KINDS[row.history_type],
        "at": row.history_date,
        "actor": row.history_user_id,
        "source": row.history_source,
        "request_id": row.history_request_id,
        "changes": changes(table, row, previous),
    }


def entries(table: Table, rows: Iterable) -> list[dict]:
    """Entries of a page of versions of one table (rows annotated with `previous_id`, or
    a queryset slice, annotated here): one query for the page, one for the previous versions."""
    if isinstance(rows, QuerySet):
        rows = rows.annotate(previous_id=previous_id(table.historical))
    rows = list(rows)
    wanted = {row.previous_id for row in rows if row.previous_id is not None}
    previous = table.historical.objects.in_bulk(wanted, field_name="history_id") if wanted else {}
    return [entry(table, row, previous.get(row.previous_id)) for row in rows]


# ---------------------------------------------------------------------------- the global feed
@dataclass(frozen=True)
class FeedFilters:
    resources: tuple[str, ...] | None = None
    actor: int | None = None
    sources: tuple[str, ...] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None  # exclusive


def _filtered(table: Table, filters: FeedFilters) -> QuerySet:
    rows = table.historical.objects.all()
    if filters.actor is not None:
        rows = rows.filter(history_user_id=filters.actor)
    if filters.sources:
        rows = rows.filter(history_source__in=filters.sources)
    if filters.start is not None:
        rows = rows.filter(history_date__gte=filters.start)
    if filters.end is not None:
        rows = rows.filter(history_date__lt=filters.end)
    return rows


def feed(tables: list[Table], filters: FeedFilters) -> QuerySet | None:
    """Every table's versions as one `UNION ALL` of `.values(...)` (each `.order_by()` cleared,
    as a union needs), newest first; None when no table is wanted."""
    parts = []
    for table in tables:
        if filters.resources is not None and table.resource not in filters.resources:
            continue
        parts.append(
            _filtered(table, filters)
            .order_by()
            .annotate(
                history_resource=Value(table.resource, output_field=CharField()), history_object_id=F("id")
            )
            .values(*FEED_COLUMNS, "history_object_id", "history_resource")
        )
    if not parts:
        return None
    first, *rest = parts
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-history_date", "-history_id")


def feed_entries(tables: list[Table], rows: list[dict]) -> list[dict]:
    """The page of the feed (`.values()` rows) as entries: per table, its rows with their
    previous ids (one query) and those previous versions (one query)."""
    by_resource: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_resource[row["history_resource"]].append(row["history_id"])
    known = {table.resource: table for table in tables}
    built: dict[tuple[str, int], dict] = {}
    for resource, ids in by_resource.items():
        table = known[resource]
        page = table.historical.objects.filter(history_id__in=ids)
        for item in entries(table, page):
            built[(resource, item["id"])] = item
    return [built[(row["history_resource"], row["history_id"])] for row in rows]
