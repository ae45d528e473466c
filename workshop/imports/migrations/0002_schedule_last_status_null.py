from django.db import migrations, models


def blank_to_null(apps, schema_editor):
    """A schedule that has not run yet said `""`; it says null now (the API's "not yet")."""
    apps.get_model("imports", "ImportSchedule").objects.filter(last_status="").update(last_status=None)


def null_to_blank(apps, schema_editor):
    apps.get_model("imports", "ImportSchedule").objects.filter(last_status__isnull=True).update(last_status="")


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importschedule",
            name="last_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("pending", "Pending"),
                    ("processing", "Processing"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                ],
                default=None,
                max_length=20,
                null=True,
            ),
        ),
        migrations.RunPython(blank_to_null, null_to_blank),
    ]
