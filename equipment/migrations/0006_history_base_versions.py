"""Existing rows get a base version (`+`), so their first change has something to diff."""

from django.db import migrations

from workshop.history.migration import base_versions


class Migration(migrations.Migration):
    dependencies = [
        ("equipment", "0005_history"),
    ]

    operations = [
        migrations.RunPython(*base_versions("equipment", ['Equipment', 'EquipmentCalibration'])),
    ]
