"""How a resource meets a spreadsheet: its columns, its business key, and how related
records are found. Each app's `imports.py` defines one `ResourceSpec` as `SPEC`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import models


def normalise_header(text: Any) -> str:
    """Header matching ignores case, spaces, underscores and dashes: `Due Date`,
    `due_date` and `DueDate` are the same column."""
    return re.sub(r"[\s_\-]+", "", str(text or "")).lower()


@dataclass(frozen=True)
class Column:
    field: str  # the API field, e.g. "assigned_welder"
    header: str  # the shop's own header, which exports write, e.g. "AssignedWelder"
    aliases: tuple[str, ...] = ()  # other headers accepted on import
    source: str | None = None  # the `values()` path exports read (default: `field`)
    # No model field behind it (`ResourceSpec.virtual`): e.g. a qualification's LastConfirmed,
    # which an import turns into an event and an export reads from an annotation.
    virtual: bool = False

    @property
    def export_path(self) -> str:
        return self.source or self.field

    def matches(self) -> set[str]:
        return {normalise_header(h) for h in (self.field, self.header, *self.aliases)}


@dataclass(frozen=True)
class Related:
    """A column that names another record: matched in bulk by any of `keys` (in order,
    case-insensitively), e.g. an employee by `employee_id`, else by `name`."""

    model: type[models.Model]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class ResourceSpec:
    resource: str  # the URL name, e.g. "workorders"
    model: type[models.Model]
    serializer_class: type  # the API serializer: its fields check every cell
    key: str  # the business key, e.g. "order_id"
    columns: tuple[Column, ...]
    related: dict[str, Related] = field(default_factory=dict)
    # An app service `(*, created: list, updated: list[(obj, changed_fields, old_values)], user)`
    # run in the import's transaction after the rows are written (e.g. the stock ledger).
    after_write: Any = None
    # An app rule `(attrs, current, *, may_record_history, now) -> None` run on each valid row before
    # its record is built: `attrs` holds the row's values by model field name (only the columns
    # the file has), `current` is the stored record (None for a new row). It may add derived
    # values to `attrs` (a work order's `completed_at`, from its status) and refuses with a Django
    # ValidationError keyed by field name, reported under that column. `now`: one per import.
    prepare_row: Any = None
    # `prepare_row` also takes `user=` (the importing user, None for the system), for rules
    # that depend on who imports (a weld-log row's override of the welder check), `related=`
    # (the records the file's related columns name, by column: {text: record}) and `cache=`
    # (a dict that lives for the import: what a rule loads once for every row).
    prepare_row_context: bool = False
    # A resource without a business key (a log): `key` is "id", the record's id, which exports
    # write; an import row with an id updates that record, a row without one adds a record.
    key_is_id: bool = False

    # Virtual columns (`Column(virtual=True)`): each one's serializer field (how a cell is read)
    # and export expression (an annotation `values()` reads), by column field.
    virtual_fields: dict[str, Any] = field(default_factory=dict)
    virtual_exports: dict[str, Any] = field(default_factory=dict)
    # An app service `(*, rows: list[(obj, values)], user, write: bool) -> set[int]` run for every
    # valid row with virtual values (after the batch's records are written, so `obj.pk` is set):
    # it records them (when `write`) and answers the positions in `rows` whose values change
    # something — a row whose model fields did not change counts as updated when it is one.
    write_virtual: Any = None

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# Every resource's records have `created_at`. It is not a column of any spec (exports do not
# write it), but an import may carry it for the records it creates (engine.CREATED_AT).
CREATED_AT = Column("created_at", "CreatedAt")


@cache
def registry() -> dict[str, ResourceSpec]:
    """Every resource's spec by its URL name: the `SPEC` of each app's `imports.py`, and the
    `SPECS` (a tuple) of an app with several resources (workshop/discovery.py), in
    INSTALLED_APPS order."""
    from workshop.discovery import app_attributes

    specs = [*app_attributes("imports", "SPEC")]
    for more in app_attributes("imports", "SPECS"):
        specs.extend(more)
    return {spec.resource: spec for spec in specs}
