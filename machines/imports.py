"""The machines app's part in the Excel engine: a machine's log is imported *through* its
template (the `template` import target, workshop/imports/targets.py), its rows becoming
workshop entries."""

from machines.models import ImportTemplate
from machines.services import template_import
from workshop.imports.targets import TEMPLATE, ImportTarget

TARGETS = (
    ImportTarget(
        name=TEMPLATE,
        model=ImportTemplate,
        run=template_import,
        is_active=lambda template: template.active,
        label_field="name",
    ),
)
