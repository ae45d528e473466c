"""Import targets: records a file is imported *through*, rather than into a resource's rows.

A machine's log is uploaded through its template: the template's `mapping` turns each row
into a workshop entry. The app that owns such a record (machines) registers it in its
`imports.py` as `TARGETS = (ImportTarget(...),)`; the core finds it there (discovery, as for
resource specs) and keeps only the record's id — an ExcelImport's or an ImportSchedule's
`template_id` — so the core never imports that app.

The owning app keeps the promise a foreign key kept: it refuses to delete a record that the
core's records still name (`records_naming()`: 409 CONFLICT), and whoever records a new
reference first takes the record with `get(pk, lock=True)`, so a concurrent delete waits for
it and then sees the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

if TYPE_CHECKING:
    from workshop.imports.engine import ImportOutcome
    from workshop.imports.reader import Sheet

# The target the import records have a column for (`template_id`), and the API a field.
TEMPLATE = "template"


def _always_active(record) -> bool:
    return True


@dataclass(frozen=True)
class ImportTarget:
    """A kind of record files are imported through, as its app registers it
    (`<app>/imports.py`: `TARGETS = (ImportTarget(...),)`)."""

    name: str  # the slot it fills: "template"
    model: type[models.Model]  # the record's model; `template_id` holds its primary keys
    # Runs a sheet's rows through the record: `run(record, sheet=, user=, dry_run=)`. Raises
    # engine.ImportRejected for a file it cannot take; may leave writes that need the
    # ExcelImport record to `ImportOutcome.on_saved`.
    run: Callable[..., ImportOutcome]
    # Whether the record takes files now (an inactive template refuses them: 422).
    is_active: Callable[[Any], bool] = _always_active
    label_field: str = "name"  # what the admin shows and searches

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    def get(self, pk, *, lock: bool = False):
        """The record with this id, or None. With `lock` (inside a transaction) the row is
        held until the caller commits: a delete of it waits, then sees the new reference."""
        if pk is None or isinstance(pk, bool):
            return None
        rows = self.model._default_manager.filter(pk=pk)
        if lock:
            rows = rows.select_for_update(no_key=True)
        return rows.first()

    def label(self, outer_ref: str = "template_id") -> models.Subquery:
        """The record's `label_field`, as a subquery on an import record's queryset
        (`.annotate(template_label=target.label())`): lists show names without a query per row."""
        return models.Subquery(
            self.model._default_manager.filter(pk=models.OuterRef(outer_ref)).values(self.label_field)[:1]
        )

    def run_sheet(self, record, *, sheet: Sheet, user=None, dry_run: bool = False) -> ImportOutcome:
        """The rows through the record; an inactive record refuses the file (422)."""
        from workshop.imports.engine import ImportRejected, error

        if not self.is_active(record):
            raise ImportRejected([error(sheet.header_row, "", f"This {self.name} is not active.")])
        return self.run(record, sheet=sheet, user=user, dry_run=dry_run)


@cache
def targets() -> dict[str, ImportTarget]:
    """Every registered import target, by the slot it fills."""
    from workshop.discovery import app_attributes

    found: dict[str, ImportTarget] = {}
    for group in app_attributes("imports", "TARGETS"):
        for target in group:
            if target.name in found:
                raise ImproperlyConfigured(f"Two apps register the import target {target.name!r}.")
            found[target.name] = target
    return found


def records_naming(target: str, pk) -> list[models.Model]:
    """The core's records that name the `target` record `pk` by id — import records (dry runs
    aside) and schedules name a template — which its app must not delete while there are any."""
    if target != TEMPLATE:
        return []
    from workshop.imports.models import ExcelImport, ImportSchedule

    return [
        *ExcelImport.objects.filter(template_id=pk, dry_run=False).order_by("pk"),
        *ImportSchedule.objects.filter(template_id=pk).order_by("pk"),
    ]


def trials_naming(target: str, pk) -> list[models.Model]:
    """The dry runs made against the `target` record `pk`: they wrote nothing, so they do not
    keep it (its app deletes them along with it: `excel_import_delete`, files included)."""
    if target != TEMPLATE:
        return []
    from workshop.imports.models import ExcelImport

    return list(ExcelImport.objects.filter(template_id=pk, dry_run=True).order_by("pk"))


def template_target() -> ImportTarget | None:
    """The registered `template` target (machines' ImportTemplate), if an app registers one."""
    return targets().get(TEMPLATE)
