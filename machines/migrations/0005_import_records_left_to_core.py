"""The import records now belong to the core's `imports` app (see 0004): entries link to
its ExcelImport, and this app's migration state lets go of the two models (their tables are
the core's now; nothing is dropped)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("machines", "0004_import_records_to_core"),
        ("imports", "0001_initial"),
    ]

    operations = [
        # State only. The entries' foreign key already points at the renamed table (PostgreSQL
        # keeps constraints by table, SQLite rewrites references on a rename), so the largest
        # table is not rewritten; the moved models' tables are the core's now.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="workshopentry",
                    name="excel_import",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="imports.excelimport",
                    ),
                ),
                migrations.DeleteModel(name="ExcelImport"),
                migrations.DeleteModel(name="ImportSchedule"),
            ],
        ),
    ]
