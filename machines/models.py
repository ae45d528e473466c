from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from workshop.history.records import record_history
from workshop.models import TimeStampedModel, business_key_field, json_without_nul, non_blank_constraint


class Machine(TimeStampedModel):
    name = models.CharField(max_length=200, db_index=True)
    code = business_key_field("code")
    type = models.CharField(
        max_length=50, blank=True, default="", db_index=True, help_text="e.g. MIG, TIG, robot"
    )
    metadata = models.JSONField(default=dict, blank=True, validators=[json_without_nul])

    history = record_history()

    class Meta:
        ordering = ["id"]
        constraints = [non_blank_constraint("code", "machine"), non_blank_constraint("name", "machine")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if not isinstance(self.metadata, dict):
            raise ValidationError({"metadata": "Must be a JSON object."})


class ImportTemplate(TimeStampedModel):
    """How a machine's Excel log maps onto workshop entries. Files are uploaded through it:
    it is the Excel engine's `template` import target (machines/imports.py), which the core's
    import records and schedules name by id (`template_id`)."""

    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True, default="")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="templates")
    mapping = models.JSONField(
        help_text="Excel column header → field name in the entry's data.", validators=[json_without_nul]
    )
    active = models.BooleanField(default=True, db_index=True)

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "import template"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        mapping = self.mapping
        if not isinstance(mapping, dict) or not mapping:
            raise ValidationError({"mapping": "Must be a non-empty JSON object."})
        for header, field in mapping.items():
            if not isinstance(field, str) or not header.strip() or not field.strip():
                raise ValidationError({"mapping": "Headers and field names must be non-empty strings."})


class WorkshopEntry(TimeStampedModel):
    """One row of a machine's log, mapped through its template."""

    template = models.ForeignKey(ImportTemplate, on_delete=models.PROTECT, related_name="entries")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="entries")
    # The import that made it (the core's record): deleting the import deletes its entries.
    excel_import = models.ForeignKey(
        "imports.ExcelImport", on_delete=models.CASCADE, null=True, blank=True, related_name="entries"
    )
    imported_at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, validators=[json_without_nul])

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "workshop entry"
        verbose_name_plural = "workshop entries"

    def __str__(self) -> str:
        return f"Entry {self.pk} of {self.machine_id}"

    def clean(self) -> None:
        if not isinstance(self.data, dict):
            raise ValidationError({"data": "Must be a JSON object."})
