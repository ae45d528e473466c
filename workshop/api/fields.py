"""Tolerant input fields, shared by the API serializers and the Excel import engine.

- Choices accept the value or its human label in any case and spacing
  (`"In Progress"`, `"in-progress"` → `in_progress`), plus per-field aliases
  (`"Maintenance Required"` → `maintenance`), and always return the value.
- Dates accept `YYYY-MM-DD` or an ISO datetime (`2025-11-25T00:00:00.000`) and return
  `YYYY-MM-DD`.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from workshop.models import json_without_nul

NULL_WORDS = {"", "none", "null", "n/a", "-"}


def normalise_label(text: str) -> str:
    """`" In-Progress "` → `in_progress`: lower case, runs of spaces/dashes as one `_`."""
    return re.sub(r"[\s\-_]+", "_", str(text).strip().lower())


class LenientChoiceField(serializers.ChoiceField):
    """A choice field that also takes labels and aliases; `null_words` map to null when
    the field allows null (so `"None"` is no defect)."""

    def __init__(self, *args, aliases: dict[str, str] | None = None, **kwargs):
        self.aliases = {normalise_label(k): v for k, v in (aliases or {}).items()}
        super().__init__(*args, **kwargs)

    def _set_choices(self, choices):
        super()._set_choices(choices)
        self._lookup = {}
        for value, label in self.choices.items():
            self._lookup[normalise_label(str(value))] = value
            self._lookup[normalise_label(str(label))] = value

    choices = property(serializers.ChoiceField._get_choices, _set_choices)

    def validate_empty_values(self, data):
        if self.allow_null and isinstance(data, str) and data.strip().lower() in NULL_WORDS:
            return (True, None)
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:  # "none set", as the field answers it
            return ""
        if isinstance(data, str):
            key = normalise_label(data)
            if key in self.aliases:
                return self.aliases[key]
            if key in self._lookup:
                return self._lookup[key]
        self.fail("invalid_choice", input=data)


def parse_lenient_date(value) -> dt.date | None:
    """A date from `YYYY-MM-DD`, an ISO datetime, or a date/datetime object; None if not."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parsed = parse_date(text)
        if parsed:
            return parsed
        moment = parse_datetime(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_aware(moment):
        try:
            moment = timezone.localtime(moment)
        except OverflowError:  # 9999-12-31T23:00-05:00 is past the last day Python has
            return None
    return moment.date()


class LenientDateField(serializers.DateField):
    """`YYYY-MM-DD` or an ISO datetime in; `YYYY-MM-DD` out."""

    default_error_messages = {
        "invalid": "Date has wrong format. Use YYYY-MM-DD (an ISO datetime is accepted too)."
    }

    def to_internal_value(self, value):
        parsed = parse_lenient_date(value)
        if parsed is None:
            self.fail("invalid")
        return parsed


class TextField(serializers.CharField):
    """Text only, from an API request: DRF's CharField turns `12` or `12.5` into `"12"`, so a
    JSON number where the schema says string would slip through. Without a request — the Excel
    import checks each cell with these fields — a number stays welcome (a cell holding 1001 is
    the text "1001")."""

    def to_internal_value(self, data):
        if not isinstance(data, str) and self.context.get("request") is not None:
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """`true` or `false`, from an API request: DRF's BooleanField also takes `0`, `1`, `"yes"`,
    `"off"`…, which the schema does not offer. Without a request (the Excel import) those
    spreadsheet spellings stay welcome."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and self.context.get("request") is not None:
            self.fail("invalid")
        return super().to_internal_value(data)


class SlugRelatedField(serializers.SlugRelatedField):
    """A record by its business key, as text. From an API request, DRF's leniencies are refused
    as the schema says: an empty string is not null (send null for "none") and a number is not
    the key `"0"`. The Excel import (no request) keeps reading numeric cells as keys."""

    def run_validation(self, data=empty):
        if self.context.get("request") is not None and data is not empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if data == "":
                self.fail("does_not_exist", slug_name=self.slug_field, value="")
        if isinstance(data, str):
            if "\x00" in data:  # no key holds one, and PostgreSQL cannot even compare it
                raise serializers.ValidationError(
                    "Null characters are not allowed.", code="null_characters_not_allowed"
                )
            data = data.strip()  # business keys are stored trimmed; so are references to them
        return super().run_validation(data)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A record by its id: a whole number (or its digits as text), nothing else. DRF's own
    would take `1.5` or `true` as record 1."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.strip().isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ChoiceListField(serializers.ListField):
    """A JSON array of choices (`product_forms`, `positions`), each taken as a
    `LenientChoiceField` takes it (values, labels, aliases); a spreadsheet cell's
    comma-separated text (`"P, T"`, as exports write it) is read as the list. Repeats are
    dropped, the order kept. `allow_empty=False` refuses `[]` and a blank cell."""

    def __init__(self, *, choices, aliases: dict[str, str] | None = None, **kwargs):
        kwargs.setdefault("child", LenientChoiceField(choices=choices, aliases=aliases))
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        # Not a form's repeated keys: a multipart/form body gives the field's one value.
        return (
            dictionary.get(self.field_name, empty)
            if hasattr(dictionary, "getlist")
            else super().get_value(dictionary)
        )

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part for part in re.split(r"[,;]", data) if part.strip()]
        values = super().to_internal_value(data)
        return list(dict.fromkeys(values))


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    """Free-form JSON that must be an object (`{}` allowed): a list, a string or a number is a
    422, as is null unless `allow_null`. The schema says `object`, not "anything"."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(json_without_nul)  # PostgreSQL's jsonb cannot hold one

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1})
class StringMapField(JSONObjectField):
    """A non-empty JSON object of strings (an import template's header → field `mapping`; the
    model's `clean()` checks the strings are not blank)."""
