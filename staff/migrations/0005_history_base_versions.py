"""Existing rows get a base version (`+`), so their first change has something to diff."""

from django.db import migrations

from workshop.history.migration import base_versions


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_history"),
    ]

    operations = [
        migrations.RunPython(*base_versions("staff", ['Employee', 'WelderQualification', 'QualificationEvent'])),
    ]
