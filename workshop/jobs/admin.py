from django.contrib import admin

from workshop.admin import TimeStampedAdmin
from workshop.jobs.models import Job


@admin.register(Job)
class JobAdmin(TimeStampedAdmin):
    """Jobs are made by the API and the scheduler: read only here."""

    list_display = ["id", "kind", "status", "progress_done", "progress_total", "created_by", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
