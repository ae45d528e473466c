from machines.models import ImportTemplate, Machine, WorkshopEntry
from workshop.api.fields import JSONObjectField, StringMapField
from workshop.api.serializers import ModelSerializer


class MachineSerializer(ModelSerializer):
    metadata = JSONObjectField(required=False, help_text="Free-form facts about the machine (a JSON object).")

    schema_example = {
        "id": 1,
        "name": "Robot cell 1",
        "code": "RC-1",
        "type": "robot",
        "metadata": {"vendor": "Fanuc", "bay": 2},
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Machine
        fields = ["id", "name", "code", "type", "metadata", "created_at", "updated_at", "created_by"]


class ImportTemplateSerializer(ModelSerializer):
    """`mapping`: Excel column header → field name in the entry's data (the model's
    `clean()` checks it is a non-empty object of non-empty strings)."""

    mapping = StringMapField(help_text="Excel column header → field name in the entry's data.")

    schema_example = {
        "id": 1,
        "name": "Robot cell daily log",
        "description": "The robot controller's daily export",
        "machine": 1,
        "mapping": {"Date": "date", "Wire (kg)": "wire_kg", "Arc hours": "arc_hours"},
        "active": True,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = ImportTemplate
        fields = [
            "id",
            "name",
            "description",
            "machine",
            "mapping",
            "active",
            "created_at",
            "updated_at",
            "created_by",
        ]


class WorkshopEntrySerializer(ModelSerializer):
    """Only `data` is writable: an entry stays tied to the template, machine and import
    that produced it, so deleting the import still undoes exactly what it created and the
    machine always matches the template's."""

    data = JSONObjectField(help_text="The entry's values by field name (a JSON object).")

    schema_example = {
        "id": 1,
        "template": 1,
        "machine": 1,
        "excel_import": 4,
        "imported_at": "2025-11-25T06:30:02Z",
        "data": {"date": "2025-11-24", "wire_kg": 1.5, "arc_hours": 6.25},
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WorkshopEntry
        fields = [
            "id",
            "template",
            "machine",
            "excel_import",
            "imported_at",
            "data",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = ["template", "machine", "excel_import", "imported_at"]
