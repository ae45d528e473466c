"""imports 0002: a schedule that has not run yet said `last_status: ""`; it says null now, and
the migration moves existing rows both ways."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from workshop.imports.models import ImportSchedule

BEFORE = ("imports", "0001_initial")
AFTER = ("imports", "0002_schedule_last_status_null")


def migrate_to(target):
    MigrationExecutor(connection).migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_blank_last_status_becomes_null_and_back():
    try:
        old = migrate_to(BEFORE).get_model("imports", "ImportSchedule")
        never = old.objects.create(template_id=1, source="never.xlsx", last_status="").pk
        ran = old.objects.create(template_id=1, source="ran.xlsx", last_status="failed").pk
        migrate_to(AFTER)
        assert dict(ImportSchedule.objects.values_list("pk", "last_status")) == {never: None, ran: "failed"}
        old = migrate_to(BEFORE).get_model("imports", "ImportSchedule")
        assert dict(old.objects.values_list("pk", "last_status")) == {never: "", ran: "failed"}
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        ImportSchedule.objects.all().delete()
