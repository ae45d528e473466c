"""The core takes over the import records' models. Their tables already exist, with their
rows: an app's migrations (run before this one, see their `run_before`) created them under
its own name and renamed them to `imports_excelimport` and `imports_importschedule`. So this
only changes the migration state; the database is left as it is.

`template_id` was the column of a foreign key to the templates' table; it is a plain indexed
integer from here on (its constraint was dropped before the rename)."""

import django.core.validators
import django.db.models.deletion
import workshop.imports.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExcelImport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "template_id",
                            models.BigIntegerField(
                                blank=True,
                                db_index=True,
                                help_text="The id of the template the file was imported through.",
                                null=True,
                                verbose_name="template",
                            ),
                        ),
                        ("resource", models.CharField(blank=True, db_index=True, default="", max_length=32)),
                        ("filename", models.CharField(max_length=255)),
                        (
                            "file",
                            models.FileField(
                                blank=True, max_length=500, upload_to=workshop.imports.models.upload_path
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("processing", "Processing"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                ],
                                db_index=True,
                                default="pending",
                                max_length=20,
                            ),
                        ),
                        ("rows_total", models.PositiveIntegerField(default=0)),
                        ("rows_created", models.PositiveIntegerField(default=0)),
                        ("rows_updated", models.PositiveIntegerField(default=0)),
                        ("rows_rejected", models.PositiveIntegerField(default=0)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("dry_run", models.BooleanField(default=False)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "idempotency_key",
                            models.CharField(blank=True, editable=False, max_length=128, null=True),
                        ),
                        (
                            "content_hash",
                            models.CharField(
                                blank=True, db_index=True, default="", editable=False, max_length=64
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "Excel import",
                        "ordering": ["id"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("idempotency_key__isnull", False)),
                                fields=("created_by", "idempotency_key"),
                                name="excelimport_unique_idempotency_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ImportSchedule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "template_id",
                            models.BigIntegerField(
                                db_index=True,
                                help_text="The id of the template the file was imported through.",
                                verbose_name="template",
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                help_text="A file name inside the drop folder or S3 prefix (never a path).",
                                max_length=255,
                            ),
                        ),
                        (
                            "hour",
                            models.PositiveSmallIntegerField(
                                default=0, validators=[django.core.validators.MaxValueValidator(23)]
                            ),
                        ),
                        (
                            "minute",
                            models.PositiveSmallIntegerField(
                                default=0, validators=[django.core.validators.MaxValueValidator(59)]
                            ),
                        ),
                        ("active", models.BooleanField(db_index=True, default=True)),
                        ("last_run_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "last_status",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("pending", "Pending"),
                                    ("processing", "Processing"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                ],
                                default="",
                                max_length=20,
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "import schedule",
                        "ordering": ["id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("hour__lte", 23)), name="importschedule_hour_range"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("minute__lte", 59)), name="importschedule_minute_range"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
