"""The admin: endpoints (without their secret) and their deliveries, read only."""

from django import forms
from django.contrib import admin

from workshop.errors import ValidationFailed
from workshop.webhooks import services
from workshop.webhooks.models import Attempt, Endpoint, Message


class EndpointForm(forms.ModelForm):
    """The API's rules: the SSRF guard on `url`, known event names in `events`."""

    class Meta:
        model = Endpoint
        fields = ["url", "events", "active", "description"]

    def _checked(self, check, name):
        try:
            return check(self.cleaned_data.get(name))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors[name]) from None

    def clean_url(self):
        return self._checked(services.check_url, "url")

    def clean_events(self):
        return self._checked(services.check_events, "events")


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "active", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["active", "disabled_reason"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "active", "description", "disabled_reason", "failing_since"]
    readonly_fields = ["disabled_reason", "failing_since"]
    # Creating one here would make a secret no one is shown: endpoints are made through the API.

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, as the API: re-activating clears why it was disabled."""
        stored = Endpoint.objects.get(pk=obj.pk)
        services.endpoint_update(
            endpoint=stored, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
        obj.refresh_from_db()


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
