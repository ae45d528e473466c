"""The admin's History page of each record (SPEC §7): simple-history's, on every ModelAdmin
built on `workshop.admin.TimeStampedAdmin` and on the users' admin."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from workshop.history.records import history_model


class HistoryAdmin(SimpleHistoryAdmin):
    """A record's versions, newest first, with who changed what (simple-history's page).
    Read only: reverting to a version is not offered (writes go through the services and
    forms, which check what a revert would skip). Models without history keep Django's page."""

    def history_view(self, request, object_id, extra_context=None):
        if history_model(self.model) is None:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise PermissionDenied
