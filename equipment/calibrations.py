"""THE bridge ORM → `equipment.calibration_rules`, in bulk: a constant number of queries
whatever the number of machines (one for the calibrations, one more when the machines'
intervals have to be read)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from equipment import calibration_rules as cal
from equipment.models import Equipment, EquipmentCalibration

RULE_FIELDS = ("equipment_id", "performed_on", "result", "valid_until", "kind", "id")


def calibrations_of(
    equipment_ids: Iterable[int] | QuerySet | None = None,
) -> dict[int, list[cal.Calibration]]:
    """Every calibration record of these machines (all machines when None) as rule records, by
    machine id: one query."""
    rows = EquipmentCalibration.objects.order_by()
    if equipment_ids is not None:
        if not isinstance(equipment_ids, QuerySet):
            equipment_ids = set(equipment_ids)
            if not equipment_ids:
                return {}
        rows = rows.filter(equipment_id__in=equipment_ids)
    found: dict[int, list[cal.Calibration]] = {}
    for equipment_id, performed_on, result, valid_until, kind, pk in rows.values_list(*RULE_FIELDS):
        found.setdefault(equipment_id, []).append(
            cal.Calibration(
                performed_on=performed_on, result=result, valid_until=valid_until, kind=kind, seq=pk
            )
        )
    return found


def attach_calibration_states(equipment: Iterable[Equipment], *, on: dt.date) -> None:
    """Sets `.calibration_state` = (status, due) as of `on` on each machine: one query."""
    machines = [e for e in equipment]
    found = calibrations_of(e.pk for e in machines if e.calibration_interval_days is not None)
    for machine in machines:
        records = found.get(machine.pk, [])
        interval = machine.calibration_interval_days
        machine.calibration_state = (
            cal.calibration_status(interval, records, on),
            cal.calibration_due(interval, records, on),
        )


def statuses_of(queryset: QuerySet, *, on: dt.date) -> dict[int, str]:
    """The calibration status as of `on` of every machine of `queryset`: two queries."""
    intervals = dict(queryset.order_by().values_list("pk", "calibration_interval_days"))
    required = queryset.order_by().filter(calibration_interval_days__isnull=False).values("pk")
    found = calibrations_of(required) if any(v is not None for v in intervals.values()) else {}
    return {pk: cal.calibration_status(interval, found.get(pk, []), on) for pk, interval in intervals.items()}


def equipment_validated(equipment: Equipment | None, day: dt.date, records=None) -> bool | None:
    """R7's machine check for a weld-log entry on `day` (None: no machine named, or nothing to
    judge). `records`: the machine's rule records when the caller loaded them in bulk (else
    one query)."""
    if equipment is None:
        return None
    if records is None:
        records = calibrations_of([equipment.pk]).get(equipment.pk, [])
    return cal.validated_on(records, day, interval_days=equipment.calibration_interval_days)


def status_counts(*, on: dt.date, queryset: QuerySet | None = None) -> dict[str, int]:
    """How many machines are in each calibration status as of `on` (every status present,
    zeros included): two queries, e.g. for the welding dashboard's `calibration`."""
    counts = dict.fromkeys(cal.STATUSES, 0)
    for status in statuses_of(queryset if queryset is not None else Equipment.objects.all(), on=on).values():
        counts[status] += 1
    return counts
