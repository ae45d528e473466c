"""The recall scope of a consumable lot (WELDING.md §4, `GET consumable-lots/{id}/welds`):
every weld with a weld-log entry that used the lot, its work order and client, its R10 status,
and who used the lot on it when.

One weld per row, sorted by work order then weld (business keys). Everything per weld is
worked out in SQL, in the one query that reads the rows: the R10 status
(`workorders.selectors.with_weld_status`) and, over the weld's entries with this lot only, the
first and last day, the number of entries and the welders (a JSON array of distinct
`employee_id`s). So a page is one query (plus its count), and an export of any size is one
query read in chunks.

Inventory builds on workorders (a weld-log entry names its lot by a foreign key to
`inventory.ConsumableLot`, a string reference), so this module imports workorders, never the
reverse.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Aggregate, Count, Exists, JSONField, Max, Min, OuterRef, QuerySet, Subquery

from inventory.models import ConsumableLot
from workorders.models import Weld, WeldActivity
from workorders.selectors import with_weld_status

# The row, as `values_list()` reads it: (API field, database path), in the file's column order.
ROW_FIELDS = (
    ("weld_id", "weld_id"),
    ("order_id", "order__order_id"),
    ("client", "order__client"),
    ("order_status", "order__status"),
    ("wps", "wps__wps_id"),
    ("status", "weld_status"),
    ("first_welded_on", "lot_first_welded_on"),
    ("last_welded_on", "lot_last_welded_on"),
    ("welders", "lot_welders"),
    ("entries", "lot_entries"),
)
FIELD_NAMES = tuple(name for name, _ in ROW_FIELDS)
PATHS = tuple(path for _, path in ROW_FIELDS)
WELDERS_AT = FIELD_NAMES.index("welders")


class DistinctTexts(Aggregate):
    """The distinct values of a text column as a JSON array: sorted on PostgreSQL; in no
    particular order on SQLite (the rows are sorted in Python, `recall_rows`)."""

    function = "JSON_GROUP_ARRAY"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="JSONB_AGG",
            template="%(function)s(DISTINCT %(expressions)s ORDER BY %(expressions)s)",
            **extra_context,
        )


def _per_weld(entries: QuerySet, aggregate) -> Subquery:
    """One figure of a weld's entries (correlated on the weld), as a subquery."""
    return Subquery(entries.order_by().values("weld_id").annotate(figure=aggregate).values("figure"))


def recall_welds(lot: ConsumableLot) -> QuerySet[Weld]:
    """The welds with at least one weld-log entry using `lot`, annotated with `weld_status`
    (R10) and the `lot_*` figures of their entries with this lot; sorted by work order, weld."""
    entries = WeldActivity.objects.filter(weld_id=OuterRef("pk"), consumable_lot_id=lot.pk)
    welds = Weld.objects.filter(Exists(entries)).annotate(
        lot_first_welded_on=_per_weld(entries, Min("welded_on")),
        lot_last_welded_on=_per_weld(entries, Max("welded_on")),
        lot_entries=_per_weld(entries, Count("pk")),
        lot_welders=_per_weld(entries, DistinctTexts("welder__employee_id")),
    )
    return with_weld_status(welds).order_by("order__order_id", "weld_id", "pk")


@contextmanager
def recall_reading() -> Iterator[None]:
    """Reads of the recall in one transaction, with PostgreSQL's JIT compiler off for it.

    R10's status is a few dozen correlated subqueries, so the planner's cost estimate
    crosses `jit_above_cost` whatever the size: compiling the plan took 5 s for a
    2,000-weld recall that runs in 0.2 s (tests/perf/bench_recall.py). Off for these
    statements only (`SET LOCAL`: until the transaction ends)."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def recall_rows(welds: QuerySet[Weld], *, chunk_size: int | None = None) -> Iterator[tuple]:
    """The rows (tuples in `FIELD_NAMES` order) of a `recall_welds` queryset (or a page of
    it): one query; read in chunks when `chunk_size` is given (exports)."""
    rows = welds.values_list(*PATHS)
    if chunk_size is not None:
        rows = rows.iterator(chunk_size=chunk_size)
    at = WELDERS_AT
    for row in rows:
        welders = row[at]
        if welders is not None and len(welders) > 1:
            row = (*row[:at], sorted(welders), *row[at + 1 :])
        yield row


def recall_dicts(welds: QuerySet[Weld]) -> list[dict]:
    return [dict(zip(FIELD_NAMES, row, strict=True)) for row in recall_rows(welds)]


@dataclass(frozen=True)
class RecallSummary:
    """The whole recall scope of a lot, whatever the filters: how many welds, work orders
    and clients used it."""

    lot_id: str
    item: str
    designation: str
    heat_number: str
    welds: int
    work_orders: int
    clients: int


def recall_summary(lot: ConsumableLot) -> RecallSummary:
    """One query (the lot's item is read with the lot: `select_related("item")`)."""
    counts = WeldActivity.objects.filter(consumable_lot_id=lot.pk).aggregate(
        welds=Count("weld_id", distinct=True),
        work_orders=Count("weld__order_id", distinct=True),
        clients=Count("weld__order__client", distinct=True),
    )
    return RecallSummary(
        lot_id=lot.lot_id,
        item=lot.item.item_id,
        designation=lot.designation,
        heat_number=lot.heat_number,
        **counts,
    )


_DONE = object()


def read_ahead(rows: Iterable, *, chunk_size: int, depth: int = 2) -> Iterator:
    """`rows`, read by a second thread `chunk_size` at a time, `depth` chunks ahead of the
    caller: while the caller writes one chunk of the file (Python, one core), the database
    works out the next (R10's subqueries, in PostgreSQL's process, the other core).
    tests/perf/bench_recall.py measures what it saves.

    The thread reads through this thread's connection — the same transaction (and `SET
    LOCAL`), as Django's live-server thread shares an in-memory database — and is the only
    one to use it until the iteration ends or is closed: the caller must not query meanwhile."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    shared = connections[DEFAULT_DB_ALIAS]

    def produce() -> None:
        connections[DEFAULT_DB_ALIAS] = shared
        source = iter(rows)
        try:
            chunk: list = []
            for row in source:
                chunk.append(row)
                if len(chunk) >= chunk_size:
                    chunks.put(chunk)
                    chunk = []
                    if stop.is_set():
                        return
            chunks.put(chunk)
            chunks.put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            chunks.put(exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    shared.inc_thread_sharing()
    worker = threading.Thread(target=produce, name="recall-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        while worker.is_alive():  # let it finish the chunk it is on
            try:
                chunks.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
        shared.dec_thread_sharing()
