"""Writes of the machines app that do more than save one row."""

from __future__ import annotations

import structlog
from django.core.files.storage import Storage
from django.db import transaction

from machines.models import ExcelImport

log = structlog.get_logger(__name__)


def _delete_stored_file(*, storage: Storage, name: str, import_id: int) -> None:
    try:
        storage.delete(name)
    except Exception:  # storage outage: the row is gone; cleanup_uploads removes the orphan later
        log.warning("import.file_delete_failed", import_id=import_id, file=name, exc_info=True)
    else:
        log.info("import.file_deleted", import_id=import_id, file=name)


@transaction.atomic
def excel_import_delete(*, excel_import: ExcelImport) -> None:
    """Delete an import, the WorkshopEntries it created (CASCADE) and, once the delete is
    committed, its stored file. Records made by resource imports are not linked and stay."""
    import_id = excel_import.pk
    name = excel_import.file.name if excel_import.file else ""
    storage = excel_import.file.storage
    excel_import.delete()
    if name:
        transaction.on_commit(lambda: _delete_stored_file(storage=storage, name=name, import_id=import_id))
    log.info("import.deleted", import_id=import_id)
