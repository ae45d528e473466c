"""History retention: `HISTORY_RETENTION_DAYS` (unset: keep everything)."""

from __future__ import annotations

import datetime as dt

import structlog
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

log = structlog.get_logger(__name__)


def history_models() -> list:
    """Every historical model (simple-history's), users' included."""
    return sorted(
        (m for m in apps.get_models() if hasattr(m, "instance_type") and hasattr(m, "history_source")),
        key=lambda m: m._meta.label,
    )


def _prunable(historical, cutoff: dt.datetime):
    """Versions older than the cutoff, except each record's latest one (its base for the next
    diff) — unless that latest one says the record was deleted before the cutoff."""
    newer = historical.objects.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id"))
    return historical.objects.filter(history_date__lt=cutoff).filter(Q(Exists(newer)) | Q(history_type="-"))


@transaction.atomic
def history_prune(*, days: int | None = None, dry_run: bool = False) -> dict[str, int]:
    """Deletes versions older than `days` (default `HISTORY_RETENTION_DAYS`; none: keeps
    everything). Returns how many per historical model (`app.Model`), counted only on a dry run."""
    days = settings.HISTORY_RETENTION_DAYS if days is None else days
    if days is None:
        return {}
    if days < 1:
        raise ValueError("The history is kept at least one day.")
    cutoff = timezone.now() - dt.timedelta(days=days)
    counts = {}
    for historical in history_models():
        rows = _prunable(historical, cutoff)
        if dry_run:
            counts[historical._meta.label] = rows.count()
        else:
            # By id, in chunks: a DELETE whose subquery reads its own table is refused by some
            # databases.
            ids = list(rows.values_list("history_id", flat=True))
            deleted = 0
            for start in range(0, len(ids), 5000):
                deleted += historical.objects.filter(history_id__in=ids[start : start + 5000]).delete()[0]
            counts[historical._meta.label] = deleted
    log.info("history.pruned", days=days, dry_run=dry_run, versions=sum(counts.values()))
    return counts


def history_base_versions() -> None:
    """A base version (`+`) for every row of a model keeping history that has none: rows a
    bulk loader wrote without versions (the demo's year of history)."""
    from workshop.history.migration import base_versions

    for historical in history_models():
        model = historical.instance_type
        if model._meta.app_label == historical._meta.app_label:
            forward, _backward = base_versions(model._meta.app_label, [model.__name__])
            forward(apps, None)
