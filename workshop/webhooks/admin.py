"""The admin: endpoints (without their secret) and their deliveries, read only."""

from django.contrib import admin

from workshop.webhooks.models import Attempt, Endpoint, Message


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "active", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["active", "disabled_reason"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "active", "description", "disabled_reason", "failing_since"]
    readonly_fields = ["disabled_reason", "failing_since"]
    # Creating one here would make a secret no one is shown: endpoints are made through the API.

    def has_add_permission(self, request):
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "number",
        "started_at",
        "finished_at",
        "response_status",
        "duration_ms",
        "response_body",
        "error",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["msg_id", "event", "endpoint", "status", "attempt_count", "next_attempt_at", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["msg_id", "event"]
    list_select_related = ["endpoint"]
    fields = readonly_fields = [
        "msg_id",
        "endpoint",
        "event",
        "status",
        "attempt_count",
        "next_attempt_at",
        "lease_until",
        "created_at",
        "finished_at",
        "redelivery_of",
    ]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
