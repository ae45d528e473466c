"""Every failed inspection recorded before findings existed gets the one rejected finding a
legacy `{fail, defect_type}` makes now (R9): the first ISO 6520-1 code of its defect type."""

from django.db import migrations

# WELDING.md §1, frozen here (the first code of each defect type's list).
LEGACY_CODES = {
    "crack": "100",
    "porosity": "2011",
    "slag_inclusion": "301",
    "lack_of_fusion": "401",
    "incomplete_penetration": "402",
    "undercut": "5011",
    "spatter": "602",
    "distortion": "508",
    "other": "303",
}


def forwards(apps, schema_editor):
    Inspection = apps.get_model("inspections", "Inspection")
    WeldFinding = apps.get_model("inspections", "WeldFinding")
    failed = Inspection.objects.filter(result="fail", findings__isnull=True).values_list(
        "pk", "defect_type", "created_by_id"
    )
    batch = []
    for pk, defect_type, created_by_id in failed.iterator(chunk_size=2000):
        batch.append(
            WeldFinding(
                inspection_id=pk,
                code=LEGACY_CODES.get(defect_type, "other"),
                verdict="reject",
                created_by_id=created_by_id,
            )
        )
        if len(batch) >= 2000:
            WeldFinding.objects.bulk_create(batch)
            batch = []
    WeldFinding.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0004_findings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
