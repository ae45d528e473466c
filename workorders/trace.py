"""A weld traced end to end (WELDING.md §4 `GET welds/{id}/trace`, issue 13): its work order,
WPS, every weld-log entry with the welder, the qualification and its status that day, the
consumable lot and its heat, the machine and its calibration state that day, the stored check
and override, and every inspection with its findings.

One selector for the API and the admin's trace page. It reads in a fixed number of queries
whatever the weld's history (entries, welders, lots, machines, inspections, findings): each
kind of record is loaded once for the whole weld (`__in` queries, a prefetch), and the states
"that day" are worked out in memory by the rules' own functions — R1 through the bridge
`staff.qualifications`, the machine's through `equipment.calibrations` and
`equipment.calibration_rules`, a lot's expiry by `ConsumableLot.expired_on`, the repair cycle by
`inspections.services.repair_cycle_expression`, R10 by `workorders.selectors.weld_status`.

Consumable lots belong to `inventory` (which builds on workorders): they are reached through the
entries' foreign key, never through an import of inventory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q

from equipment import calibration_rules as cal
from equipment.calibrations import calibrations_of
from inspections.models import Inspection, WeldFinding
from inspections.services import repair_cycle_expression
from staff import qualifications
from staff import welding_rules as rules
from staff.models import WelderQualification
from workorders.models import Weld, WeldActivity


def trace_queryset():
    """The welds as the trace reads them (the weld, its work order and WPS in one query)."""
    return Weld.objects.select_related("order", "wps")


def _entries(weld: Weld) -> list[WeldActivity]:
    return list(
        WeldActivity.objects.filter(weld=weld)
        .select_related("welder", "consumable_lot", "equipment")
        .order_by("welded_on", "id")
    )


def _inspections(weld: Weld) -> list[Inspection]:
    return list(
        Inspection.objects.filter(weld=weld)
        .annotate(repair_cycle=repair_cycle_expression())
        .prefetch_related(Prefetch("findings", queryset=WeldFinding.objects.order_by("id")))
        .order_by("inspected_at", "id")
    )


def _check_named(entry: WeldActivity) -> str | None:
    return (entry.check_result or {}).get("qualification") or None


def _qualifications(entries: list[WeldActivity]) -> dict[int, WelderQualification]:
    """The qualification each entry names: the one its check matched (`qualification`), else
    the closest candidate its check named (a failed check that was overridden), by entry id.
    One query."""
    ids = {e.qualification_id for e in entries if e.qualification_id is not None}
    names = {_check_named(e) for e in entries if e.qualification_id is None} - {None}
    if not ids and not names:
        return {}
    quals = list(WelderQualification.objects.filter(Q(pk__in=ids) | Q(qualification_id__in=names)))
    by_pk = {q.pk: q for q in quals}
    by_name = {q.qualification_id: q for q in quals}
    picked = {}
    for e in entries:
        q = by_pk.get(e.qualification_id) if e.qualification_id is not None else by_name.get(_check_named(e))
        if q is not None:
            picked[e.pk] = q
    return picked


class _Standings:
    """R1 for (qualification, day) pairs, in bulk: every event of the qualifications (one
    query) and, for the ASME/AWS ones, every weld-log day that can keep their chain alive up to
    the last day asked (one query); each standing then in memory, as of its day."""

    def __init__(self, asked: list[tuple[WelderQualification, dt.date]]):
        quals = {q.pk: q for q, _day in asked}
        self.events = qualifications.events_of(quals)
        chains = {(q.employee_id, q.process) for q in quals.values() if q.standard != rules.ISO_9606_1}
        last = max((day for _q, day in asked), default=None)
        self.days = qualifications.continuity_entries(chains, on=last) if chains else {}
        self.found: dict[tuple[int, dt.date], rules.Standing | None] = {}

    def of(self, q: WelderQualification, day: dt.date) -> rules.Standing | None:
        key = (q.pk, day)
        if key not in self.found:
            days = [e.welded_on for e in self.days.get((q.employee_id, q.process), ()) if e.welded_on <= day]
            runs = rules.runs_of(days, q.process) if days else []
            self.found[key] = qualifications.standing_of(q, self.events[q.pk], runs, on=day)
        return self.found[key]


def _qualification(entry: WeldActivity, q: WelderQualification | None, standings: _Standings) -> dict | None:
    if q is None:
        return None
    standing = standings.of(q, entry.welded_on)
    return {
        "qualification_id": q.qualification_id,
        "standard": q.standard,
        "designation": q.designation,
        "process": q.process,
        "matched": entry.qualification_id is not None,
        "status": standing.status if standing is not None else None,
        "effective_until": standing.effective_until if standing is not None else None,
    }


def _lot(entry: WeldActivity) -> dict | None:
    lot = entry.consumable_lot
    if lot is None:
        return None
    return {
        "lot_id": lot.lot_id,
        "designation": lot.designation,
        "filler_group": lot.filler_group,
        "heat_number": lot.heat_number,
        "certificate_type": lot.certificate_type,
        "certificate_no": lot.certificate_no,
        "expires_on": lot.expires_on,
        "expired_that_day": lot.expired_on(entry.welded_on),
    }


def _equipment(entry: WeldActivity, records: dict[int, list[cal.Calibration]]) -> dict | None:
    machine = entry.equipment
    if machine is None:
        return None
    found = records.get(machine.pk, [])
    interval, day = machine.calibration_interval_days, entry.welded_on
    return {
        "equipment_id": machine.equipment_id,
        "name": machine.name,
        "calibration_status": cal.calibration_status(interval, found, day),
        "calibration_due": cal.calibration_due(interval, found, day),
        "validated": cal.validated_on(found, day, interval_days=interval),
    }


def weld_trace(weld: Weld) -> dict[str, Any]:
    """Everything an auditor asks about `weld` (read with `trace_queryset()`): a plain dict
    the API's `WeldTraceSerializer` and the admin's trace page render.

    - `weld`: the Weld, with its entries and inspections attached for its representation
      (R10 status, welders, repair count) so that it reads nothing more;
    - `work_order`, `wps` (None without one): the records;
    - `entries`: chronological (`welded_on`, then id), each with its welder, qualification
      (status as of the entry's day), lot (expired that day?), machine (calibration state that
      day), stored check and override;
    - `inspections`: by `inspected_at`, then id, with `repair_cycle` and their findings.

    Seven queries at most (entries, qualifications, events, weld-log days, calibrations,
    inspections, findings), whatever the history."""
    entries = _entries(weld)
    inspections = _inspections(weld)
    picked = _qualifications(entries)
    standings = _Standings([(q, e.welded_on) for e in entries if (q := picked.get(e.pk)) is not None])
    records = calibrations_of({e.equipment_id for e in entries if e.equipment_id is not None})
    weld.listed_activities = entries  # the weld's representation reads these (no query)
    weld.listed_tests = inspections
    return {
        "weld": weld,
        "work_order": weld.order,
        "wps": weld.wps,
        "entries": [
            {
                "id": entry.pk,
                "layer": entry.layer,
                "process": entry.process,
                "welded_on": entry.welded_on,
                "arc_seconds": entry.arc_seconds,
                "welder": {
                    "employee_id": entry.welder.employee_id,
                    "name": entry.welder.name,
                    "stamp": entry.welder.stamp,
                },
                "qualification": _qualification(entry, picked.get(entry.pk), standings),
                "consumable_lot": _lot(entry),
                "equipment": _equipment(entry, records),
                "check": entry.check_result or None,
                "override": entry.override,
            }
            for entry in entries
        ],
        "inspections": inspections,
    }
