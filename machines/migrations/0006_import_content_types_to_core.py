"""Data: the content types of the moved import records follow them to the `imports` app, so
their permissions (and the role groups holding them), admin log entries and anything else
that points at a content type keep their ids. Reversible."""

from django.db import migrations

MODELS = ("excelimport", "importschedule")


def _move(apps, schema_editor, source: str, destination: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        old = rows.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a database created after the move: post_migrate makes the new one
        # One made for the destination in the meantime (nothing points at it yet but its own
        # permissions) gives way to the one that has the history.
        rows.filter(app_label=destination, model=model).delete()
        old.app_label = destination
        old.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def to_core(apps, schema_editor):
    _move(apps, schema_editor, "machines", "imports")


def back_to_machines(apps, schema_editor):
    _move(apps, schema_editor, "imports", "machines")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("machines", "0005_import_records_left_to_core"),
    ]

    operations = [migrations.RunPython(to_core, back_to_machines)]
