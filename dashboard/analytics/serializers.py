"""Fields and shapes every analytics answer shares (the endpoint modules add their figures)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from dashboard.analytics import query as q


def rate(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(1),
        allow_null=True,
        coerce_to_string=False,
        help_text=f"{help_text} 4 decimals; null when the denominator is 0.",
    )


def days(help_text: str, *, allow_null: bool = True) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=allow_null, coerce_to_string=False, help_text=help_text
    )


class BucketSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the bucket, inclusive (cut to `from`).")
    end = serializers.DateField(help_text="Last day of the bucket, inclusive (cut to `to`).")
    label = serializers.CharField(help_text="`2026-12-06`, `2026-W49` (ISO week) or `2026-12`.")


def range_fields() -> dict[str, serializers.Field]:
    """`from`, `to` and `interval`, for a serializer built with `type()` (`from` is a keyword)."""
    return {
        "from": serializers.DateField(help_text="First day of the range."),
        "to": serializers.DateField(help_text="Last day of the range."),
        "interval": serializers.ChoiceField(choices=q.INTERVALS),
    }
