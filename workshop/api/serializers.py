"""The base serializer every resource uses.

It translates, it does not decide: tolerant choices and dates on the way in, the model's
own `clean()` for rules across fields, read-only bookkeeping fields, and `?fields=`
selection on the way out.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from workshop.api.exceptions import UnprocessableEntity
from workshop.api.fields import (
    BooleanField,
    LenientChoiceField,
    LenientDateField,
    PrimaryKeyRelatedField,
    TextField,
)

READ_ONLY_BOOKKEEPING = ("id", "created_at", "updated_at", "created_by")


def requested_fields(request) -> list[str] | None:
    """The `fields=` query parameter as a list, or None when absent (GET only)."""
    if request is None or request.method not in ("GET", "HEAD"):
        return None
    return fields_param(request.query_params)


def fields_param(params) -> list[str] | None:
    """A `fields` parameter (comma list) as a list of names, or None when absent."""
    raw = params.get("fields")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise UnprocessableEntity({"fields": ["Name at least one field."]})
    return names


def selected_fields(request, allowed: list[str]) -> list[str] | None:
    """The `fields=` selection checked against the representation's fields (422 for an
    unknown name), or None for all."""
    wanted = requested_fields(request)
    if wanted is None:
        return None
    unknown = [name for name in wanted if name not in allowed]
    if unknown:
        raise UnprocessableEntity(
            {"fields": [f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(allowed)}."]}
        )
    return wanted


class RejectUnknownFields:
    """A body naming a field the serializer does not have is a 422 naming it ("Unknown
    field."), nothing written — a typo (`assigned_welder_id`) is never silently dropped.
    Read-only fields are known: a client may send back the record it read. The schema says so
    with `additionalProperties: false` on every request body of such a serializer
    (workshop.api.schema.AutoSchema).

    From an API request, a text field (any CharField: a note, a reason, a password) takes
    JSON strings only, as the schema says — DRF's CharField would turn `0` into `"0"`."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                allowed = ", ".join(sorted(n for n, f in self.fields.items() if not f.read_only))
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Allowed: {allowed}."] for name in unknown}
                )
            if self.context.get("request") is not None:
                not_text = sorted(
                    name
                    for name, value in data.items()
                    if value is not None
                    and not isinstance(value, str)
                    and isinstance(self.fields[name], serializers.CharField)
                    and not self.fields[name].read_only
                )
                if not_text:
                    raise serializers.ValidationError(
                        {name: [serializers.CharField.default_error_messages["invalid"]] for name in not_text}
                    )
        return super().to_internal_value(data)


class Serializer(RejectUnknownFields, serializers.Serializer):
    """The base of a request body that is not a record (an action's, a login's)."""


class ModelSerializer(RejectUnknownFields, serializers.ModelSerializer):
    serializer_choice_field = LenientChoiceField
    serializer_related_field = PrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: LenientDateField,
        models.BooleanField: BooleanField,
        models.CharField: TextField,
        models.TextField: TextField,
    }

    def get_fields(self):
        fields = super().get_fields()
        for name in READ_ONLY_BOOKKEEPING:
            if name in fields:
                fields[name].read_only = True
        # The answer's records, not records nested in them (an inspection's findings).
        top_level = self.parent is None or (
            isinstance(self.parent, serializers.ListSerializer) and self.parent.parent is None
        )
        # `all_fields`: the record's ETag is of every field (workshop/api/conditional.py).
        if top_level and not self.context.get("all_fields"):
            readable = [name for name, field in fields.items() if not field.write_only]
            wanted = selected_fields(self.context.get("request"), readable)
            if wanted is not None:
                fields = {name: fields[name] for name in wanted}
        return fields

    def validate(self, attrs):
        """Run the model's `clean()` (rules across fields) on the record as it would be."""
        attrs = super().validate(attrs)
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise serializers.ValidationError(
                    {k: get_error_detail(DjangoValidationError(v)) for k, v in exc.error_dict.items()}
                ) from exc
            raise serializers.ValidationError({"non_field_errors": get_error_detail(exc)}) from exc
        return attrs


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The error body of every error response."""

    detail = serializers.CharField()
    error_code = serializers.CharField()
    timestamp = serializers.DateTimeField()
    request_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
