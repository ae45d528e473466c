"""Base versions for rows that existed before their model kept history (populate_history
--auto, as a reversible data migration): `migrations.RunPython(*base_versions("app", [...]))`.

Each row with no version yet gets one `+` version of its current values, source `command`,
marked by its change reason; reversing deletes exactly those."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils import timezone

BASE_REASON = "base version"
BATCH = 2000


def _pairs(apps, app_label: str, model_names: Iterable[str], historical_app: str | None):
    for name in model_names:
        model = apps.get_model(app_label, name)
        historical = apps.get_model(historical_app or app_label, f"Historical{name}")
        yield model, historical


def base_versions(
    app_label: str, model_names: Iterable[str], *, historical_app: str | None = None
) -> tuple[Callable, Callable]:
    """The forward and backward functions of a data migration giving every existing row of
    these models (of `app_label`; their historical models in `historical_app`) a base version."""
    model_names = tuple(model_names)

    def forward(apps, schema_editor) -> None:
        now = timezone.now()
        for model, historical in _pairs(apps, app_label, model_names, historical_app):
            historical_names = {f.attname for f in historical._meta.concrete_fields}
            names = [f.attname for f in model._meta.concrete_fields if f.attname in historical_names]
            pk_name = model._meta.pk.attname
            versioned = historical.objects.values(pk_name)
            batch = []
            for values in (
                model._default_manager.exclude(pk__in=versioned).values(*names).iterator(chunk_size=BATCH)
            ):
                batch.append(
                    historical(
                        **values,
                        history_date=now,
                        history_type="+",
                        history_change_reason=BASE_REASON,
                        history_user_id=None,
                        history_source="command",
                        history_request_id=None,
                    )
                )
                if len(batch) >= BATCH:
                    historical.objects.bulk_create(batch)
                    batch = []
            historical.objects.bulk_create(batch)

    def backward(apps, schema_editor) -> None:
        for _model, historical in _pairs(apps, app_label, model_names, historical_app):
            historical.objects.filter(history_change_reason=BASE_REASON).delete()

    return forward, backward
