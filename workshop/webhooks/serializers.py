from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workshop.api.fields import BooleanField, TextField
from workshop.api.serializers import ModelSerializer
from workshop.webhooks.models import Attempt, DisabledReason, Endpoint, Message, MessageStatus
from workshop.webhooks.selectors import ALL_EVENTS, known_events

EVENTS_HELP = (
    "Event names as the live events (SPEC §5) name them — `workorder.created`, `item.updated`, "
    '`import.finished`, `alert.low_stock`, … — or `["*"]` for every event. An unknown name is a 422 '
    "listing the known ones."
)


class EventNameField(TextField):
    """An event name; the schema lists the known ones (they follow the router) and `*`."""


class EventNameFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EventNameField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": [*known_events(), ALL_EVENTS]}


class EndpointSerializer(ModelSerializer):
    """A webhook endpoint. Its `secret` is shown only in the answers of create and
    rotate-secret, never here."""

    schema_example = {
        "id": 3,
        "url": "https://erp.example.com/hooks/weldshop",
        "events": ["workorder.created", "workorder.updated"],
        "active": True,
        "description": "ERP: work orders",
        "disabled_reason": None,
        "failing_since": None,
        "created_by": 1,
        "created_at": "2026-12-07T09:30:00Z",
        "updated_at": "2026-12-07T09:30:00Z",
    }

    url = TextField(
        max_length=2000,
        help_text="Where events are POSTed: an http(s) URL (https only in production). A host that is or "
        "resolves to a loopback, private, link-local or metadata address is a 422 unless "
        "WEBHOOK_ALLOW_PRIVATE=true.",
    )
    events = serializers.ListField(
        child=EventNameField(), allow_empty=False, max_length=500, help_text=EVENTS_HELP
    )
    active = BooleanField(required=False, default=True, help_text="Inactive endpoints are sent nothing.")
    description = TextField(max_length=500, required=False, allow_blank=True, default="")
    disabled_reason = serializers.SerializerMethodField(
        help_text="Why the endpoint was disabled: `gone` (it answered 410), `failing` (3 days of failures); "
        "null when it was not."
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "description",
            "disabled_reason",
            "failing_since",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["failing_since"]

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[c for c in DisabledReason.values if c], allow_null=True, read_only=True
        )
    )
    def get_disabled_reason(self, endpoint: Endpoint) -> str | None:
        return endpoint.disabled_reason or None


class EndpointWithSecretSerializer(EndpointSerializer):
    """The endpoint with its signing secret: shown only in this answer."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`, Standard Webhooks). Shown only now: store it.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]

    schema_example = {**EndpointSerializer.schema_example, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = [
            "number",
            "started_at",
            "finished_at",
            "response_status",
            "duration_ms",
            "response_body",
            "error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "response_status": {
                "help_text": "The HTTP status answered; null when none came (timeout, refused)."
            },
            "duration_ms": {"help_text": "How long the attempt took, in milliseconds."},
            "response_body": {"help_text": "The first 1 KB of the answer."},
            "error": {"help_text": "Why no HTTP answer came (timeout, connection refused, refused address)."},
            "finished_at": {"help_text": "Null while under way (or when its worker was lost)."},
        }


class DeliverySerializer(serializers.ModelSerializer):
    """One event sent to one endpoint, with every attempt."""

    schema_example = {
        "id": 41,
        "webhook_id": "msg_5c1f0e2d9a7b4c6e8f00112233445566",
        "event": "workorder.updated",
        "status": "succeeded",
        "created_at": "2026-12-07T09:30:00Z",
        "next_attempt_at": None,
        "finished_at": "2026-12-07T09:30:06Z",
        "redelivery_of": None,
        "attempts": [
            {
                "number": 1,
                "started_at": "2026-12-07T09:30:00Z",
                "finished_at": "2026-12-07T09:30:01Z",
                "response_status": 503,
                "duration_ms": 212,
                "response_body": "Service Unavailable",
                "error": "",
            },
            {
                "number": 2,
                "started_at": "2026-12-07T09:30:06Z",
                "finished_at": "2026-12-07T09:30:06Z",
                "response_status": 200,
                "duration_ms": 48,
                "response_body": "ok",
                "error": "",
            },
        ],
    }

    webhook_id = serializers.CharField(
        source="msg_id", read_only=True, help_text="The `webhook-id` header: the same on every attempt."
    )
    status = serializers.ChoiceField(choices=MessageStatus.choices, read_only=True)
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "webhook_id",
            "event",
            "status",
            "created_at",
            "next_attempt_at",
            "finished_at",
            "redelivery_of",
            "attempts",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "next_attempt_at": {"help_text": "When the next attempt is due (null once finished)."},
            "redelivery_of": {"help_text": "The delivery this one re-sends, or null."},
        }
