"""The import records (ExcelImport, ImportSchedule) move to the core's `imports` app
(workshop/imports), with their rows. Here, in the database: the foreign keys to the templates
lose their constraints (the columns, their values and their indexes stay: the core names a
template by id), and the tables take the new app's names. imports 0001 then takes the models
over in the migration state (no database change), and machines 0005 lets go of them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("machines", "0003_validators_for_admin_and_api"),
    ]
    # The core's migration takes over tables this one renames; the dependency is kept here,
    # so the core's migrations name no domain app.
    run_before = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="excelimport",
            name="template",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="imports",
                to="machines.importtemplate",
            ),
        ),
        migrations.AlterField(
            model_name="importschedule",
            name="template",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="schedules",
                to="machines.importtemplate",
            ),
        ),
        migrations.AlterModelTable(name="excelimport", table="imports_excelimport"),
        migrations.AlterModelTable(name="importschedule", table="imports_importschedule"),
    ]
