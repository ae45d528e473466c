"""Shared model bases."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length

INT_MAX = 2_147_483_647  # PostgreSQL's integer; SQLite would store more, so it is checked here
# Validators for an `integer` column (the API, the admin and the import all check them).
WHOLE_NUMBER = [MinValueValidator(0), MaxValueValidator(INT_MAX)]


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def json_without_nul(value) -> None:
    """JSON without NUL characters anywhere (keys or values): PostgreSQL's jsonb cannot hold
    them, so every database refuses them, as text fields do."""
    if _has_nul(value):
        raise ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")


class TimeStampedModel(models.Model):
    """Every record has `created_at`, `updated_at` and `created_by` (read only in the API)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True

    def is_owned_by(self, user) -> bool:
        """Whether `user` may change this record with a `change_own_*` permission (an
        operator): by default, records they created."""
        return user is not None and user.pk is not None and self.created_by_id == user.pk


def excel_permissions(model_name: str, plural: str) -> list[tuple[str, str]]:
    """The extra permissions of a resource the Excel import/export serves."""
    return [
        (f"import_{model_name}", f"Can import {plural} from Excel"),
        (f"export_{model_name}", f"Can export {plural} to Excel"),
    ]


def business_key_field(verbose_name: str) -> models.CharField:
    """A unique, trimmed business key of 1–32 characters (`order_id`, `item_id`, …)."""
    return models.CharField(verbose_name, max_length=32, unique=True)


def non_blank_constraint(field: str, model: str) -> models.CheckConstraint:
    """A database check that a key is not empty (trimming happens on the way in)."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__length__gte": 1}), name=f"{model}_{field}_not_blank"
    )


models.CharField.register_lookup(Length)


class AccessTokenVersion(models.Model):
    """A user's access-token version: every access token carries the version it was issued
    under (`ver`), and the request's user query reads the current one (a subquery, no extra
    query), so logging out or changing a password (which bump it) ends the access tokens
    already issued at once, not when they expire. No row: version 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="access_token_version",
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "access-token version"

    def __str__(self) -> str:
        return f"user {self.user_id}: access tokens of version {self.version}"
