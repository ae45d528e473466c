"""The import records' move from `machines` to the core's `imports` app (machines 0004–0006,
imports 0001), run on a populated database as it stood before the move: every row, every link
and every id that permissions, role groups and the admin's log hold survives, and the move
migrates back as well. Runs on PostgreSQL and SQLite (scripts/test runs both)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.utils import timezone

from machines.models import ImportTemplate, WorkshopEntry
from machines.services import template_delete
from workshop.imports.models import ExcelImport, ImportSchedule

BEFORE_MOVE = ("machines", "0003_validators_for_admin_and_api")
MOVED = ("excelimport", "importschedule")
ACTIONS = ("add", "change", "delete", "view")
RECORD_FIELDS = (
    "id",
    "resource",
    "filename",
    "file",
    "status",
    "rows_total",
    "rows_created",
    "rows_updated",
    "rows_rejected",
    "errors",
    "dry_run",
    "finished_at",
    "idempotency_key",
    "content_hash",
    "created_at",
    "created_by_id",
)
SCHEDULE_FIELDS = ("id", "source", "hour", "minute", "active", "last_run_at", "last_status", "created_by_id")


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)  # a fresh one: it reads what is applied now


def to_the_end() -> None:
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def historical_apps():
    """The models as they were just before the move (machines still owns the records)."""
    graph = MigrationExecutor(connection).loader.graph
    nodes = [BEFORE_MOVE, *(n for n in graph.leaf_nodes() if n[0] in ("admin", "auth", "contenttypes"))]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def rows(model, fields, **filters) -> list[tuple]:
    return list(model.objects.filter(**filters).order_by("pk").values_list(*fields))


def populate(apps) -> dict:
    """A shop's import history, written through the models as they were before the move."""
    User = apps.get_model("auth", "User")
    Machine = apps.get_model("machines", "Machine")
    Template = apps.get_model("machines", "ImportTemplate")
    Import = apps.get_model("machines", "ExcelImport")
    Schedule = apps.get_model("machines", "ImportSchedule")
    Entry = apps.get_model("machines", "WorkshopEntry")
    HistoricalContentType = apps.get_model("contenttypes", "ContentType")
    HistoricalLogEntry = apps.get_model("admin", "LogEntry")

    ana = User.objects.create(username="ana-migration")
    machine = Machine.objects.create(name="Robot cell", code="RC-MIG")
    used = Template.objects.create(name="Daily log", machine=machine, mapping={"Date": "date"})
    unused = Template.objects.create(name="Old log", machine=machine, mapping={"Date": "date"})
    finished = timezone.now() - dt.timedelta(days=2)
    upload = Import.objects.create(
        template=used,
        filename="robot log.xlsx",
        file="imports/2025/11/0f3a-robot_log.xlsx",
        status="succeeded",
        rows_total=2,
        rows_created=2,
        finished_at=finished,
        created_by=ana,
        idempotency_key="key-1",
        content_hash="ab" * 32,
    )
    failed = Import.objects.create(
        template=used,
        filename="robot log.xlsx",
        status="failed",
        errors=[{"row": 0, "column": "", "message": "No file 'robot log.xlsx' in the drop folder."}],
        rows_rejected=1,
        finished_at=finished,
    )
    resource = Import.objects.create(
        resource="workorders",
        filename="orders.xlsx",
        file="imports/2025/11/9c1d-orders.xlsx",
        status="succeeded",
        rows_total=5,
        rows_created=3,
        rows_updated=2,
        dry_run=True,
        finished_at=finished,
        created_by=ana,
    )
    schedule = Schedule.objects.create(
        template=used, source="robot log.xlsx", hour=6, minute=30, last_run_at=finished, last_status="failed"
    )
    made = [
        Entry.objects.create(template=used, machine=machine, excel_import=upload, data={"date": day})
        for day in ("2025-11-24", "2025-11-25")
    ]
    by_hand = Entry.objects.create(template=used, machine=machine, data={"date": "2025-11-26"})

    types = {m: HistoricalContentType.objects.get(app_label="machines", model=m) for m in MOVED}
    log = HistoricalLogEntry.objects.create(
        user_id=ana.pk,
        content_type_id=types["excelimport"].pk,
        object_id=str(upload.pk),
        object_repr=str(upload.filename),
        action_flag=3,
    )
    return {
        "template": used.pk,
        "unused": unused.pk,
        "imports": rows(Import, RECORD_FIELDS),
        "import_templates": dict(Import.objects.values_list("pk", "template_id")),
        "schedules": rows(Schedule, SCHEDULE_FIELDS),
        "schedule_templates": dict(Schedule.objects.values_list("pk", "template_id")),
        "entries": rows(Entry, ("id", "excel_import_id", "template_id", "data")),
        "upload": upload.pk,
        "failed": failed.pk,
        "resource": resource.pk,
        "schedule": schedule.pk,
        "made": [e.pk for e in made],
        "by_hand": by_hand.pk,
        "types": {m: t.pk for m, t in types.items()},
        "log": log.pk,
    }


def permission_ids(app_label: str) -> dict[str, int]:
    return dict(
        Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=MOVED)
        .order_by("codename")
        .values_list("codename", "pk")
    )


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_link_and_id_forwards_and_backwards():
    migrate([BEFORE_MOVE])
    try:
        apps = historical_apps()
        before = populate(apps)
        # The permissions (and the role groups holding them) as the database has them.
        perms = permission_ids("machines")
        assert set(perms) == {f"{a}_{m}" for a in ACTIONS for m in MOVED}
        operator_holds = set(Group.objects.get(name="operator").permissions.values_list("pk", flat=True))
        assert perms["add_excelimport"] in operator_holds

        to_the_end()

        # Every record, field by field, with its template and its entries.
        assert rows(ExcelImport, RECORD_FIELDS) == before["imports"]
        assert dict(ExcelImport.objects.values_list("pk", "template_id")) == before["import_templates"]
        assert rows(ImportSchedule, SCHEDULE_FIELDS) == before["schedules"]
        assert dict(ImportSchedule.objects.values_list("pk", "template_id")) == before["schedule_templates"]
        assert rows(WorkshopEntry, ("id", "excel_import_id", "template_id", "data")) == before["entries"]
        upload = ExcelImport.objects.get(pk=before["upload"])
        assert upload.template == ImportTemplate.objects.get(pk=before["template"])
        assert sorted(upload.entries.values_list("pk", flat=True)) == before["made"]
        assert ExcelImport.objects.get(pk=before["resource"]).template is None
        assert ImportSchedule.objects.get(pk=before["schedule"]).template.pk == before["template"]

        # The same content types, permissions, role grants and admin log, now under `imports`.
        assert not ContentType.objects.filter(app_label="machines", model__in=MOVED).exists()
        for model in MOVED:
            assert ContentType.objects.get(app_label="imports", model=model).pk == before["types"][model]
        assert permission_ids("imports") == perms
        assert (
            set(Group.objects.get(name="operator").permissions.values_list("pk", flat=True)) == operator_holds
        )
        log = LogEntry.objects.get(pk=before["log"])
        assert log.get_edited_object() == upload

        # The tables go on as the core's: new ids after the old ones, entries still tied to
        # their import (the database refuses an entry naming no import), templates by id.
        newest = ExcelImport.objects.create(filename="new.xlsx", template_id=before["template"])
        assert newest.pk > max(r[0] for r in before["imports"])
        assert (
            ImportSchedule.objects.create(template_id=before["template"], source="x.xlsx").pk
            > before["schedule"]
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            WorkshopEntry.objects.create(
                template_id=before["template"], machine=upload.template.machine, excel_import_id=10**9
            )
        with pytest.raises(ProtectedError):
            template_delete(template=ImportTemplate.objects.get(pk=before["template"]))
        template_delete(template=ImportTemplate.objects.get(pk=before["unused"]))
        newest.delete()
        ImportSchedule.objects.exclude(pk=before["schedule"]).delete()

        # Backwards: the records are the machines app's again, with the same ids everywhere.
        migrate([BEFORE_MOVE])
        apps = historical_apps()
        Import = apps.get_model("machines", "ExcelImport")
        Schedule = apps.get_model("machines", "ImportSchedule")
        Entry = apps.get_model("machines", "WorkshopEntry")
        assert rows(Import, RECORD_FIELDS) == before["imports"]
        assert dict(Import.objects.values_list("pk", "template_id")) == before["import_templates"]
        assert rows(Schedule, SCHEDULE_FIELDS) == before["schedules"]
        assert rows(Entry, ("id", "excel_import_id", "template_id", "data")) == before["entries"]
        assert permission_ids("machines") == perms
        assert not ContentType.objects.filter(app_label="imports", model__in=MOVED).exists()
        # … and the template's foreign key is back: the database guards it again.
        with pytest.raises(IntegrityError), transaction.atomic():
            Import.objects.create(filename="x.xlsx", template_id=10**9)
    finally:
        to_the_end()
