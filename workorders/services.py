"""Writes of the weld map and the weld log that do more than save one row: the welder check
(WELDING.md R7) and its refusal or override (R8), the WPS's approval, a weld's entries
re-checked after the weld changed.

The check itself is `staff.welding_rules` (pure); the records it needs are loaded in bulk by
`staff.qualifications`. Consumable lots belong to `inventory` (which builds on workorders):
they reach this module as records, never through an import of inventory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from equipment.calibrations import calibrations_of, equipment_validated
from staff import qualifications
from staff import welding_rules as rules
from staff.models import Employee, WelderQualification
from workorders.models import Weld, WeldActivity, WorkOrder, Wps, WpsStatus
from workshop import errors
from workshop.history.records import UPDATED, record_rows

NOT_QUALIFIED = "WELDER_NOT_QUALIFIED"
OVERRIDE_MIN, OVERRIDE_MAX = 10, 500
LOCKED_WPS = (WpsStatus.APPROVED, WpsStatus.SUPERSEDED)


# ------------------------------------------------------------------------------ the check
def wps_ranges(wps: Wps | None) -> rules.WpsRanges | None:
    if wps is None:
        return None
    return rules.WpsRanges(
        wps_id=wps.wps_id,
        status=wps.status,
        process=wps.process,
        positions=frozenset(wps.positions or ()),
        root_process=wps.root_process or None,
        filler_group=wps.filler_group or None,
        thickness_min=wps.thickness_min_mm,
        thickness_max=wps.thickness_max_mm,
        diameter_min=wps.diameter_min_mm,
        diameter_max=wps.diameter_max_mm,
    )


def entry_target(
    weld: Weld, *, process: str, day: dt.date, lot=None, equipment=None, calibrations=None
) -> rules.EntryTarget:
    """What R7 checks an entry against: the weld (and its WPS), the lot's filler group and
    expiry, the machine's validation that day (`calibrations`: the machine's records when the
    caller loaded them in bulk, else one query)."""
    return rules.EntryTarget(
        day=day,
        process=process,
        product_form=weld.product_form,
        weld_type=weld.joint_type,
        thickness_mm=weld.thickness_mm,
        position=weld.position,
        diameter_mm=weld.diameter_mm,
        wps=wps_ranges(weld.wps),
        lot_filler_group=(lot.filler_group or None) if lot is not None else None,
        lot_expires_on=lot.expires_on if lot is not None else None,
        equipment_validated=equipment_validated(equipment, day, calibrations),
    )


def check_as_dict(check: rules.Check) -> dict[str, Any]:
    """The `check` object of the API: `{ok, qualification, failures, warnings}`."""
    return {
        "ok": check.ok,
        "qualification": check.qualification,
        "failures": [{"code": f.code, "message": f.message} for f in check.failures],
        "warnings": [{"code": f.code, "message": f.message} for f in check.warnings],
    }


def check_welders(
    welder_ids: Iterable[int], target: rules.EntryTarget
) -> dict[int, tuple[rules.Check, WelderQualification | None]]:
    """R7 for each welder against one target, with the matched qualification record: three
    queries whatever the number of welders (qualifications, events, weld log)."""
    ids = set(welder_ids)
    candidates = qualifications.candidates_of(ids, on=target.day)
    entries = qualifications.continuity_entries({(w, target.process) for w in ids}, on=target.day)
    part = qualifications.iso3834_part()
    found = {}
    for welder_id in ids:
        found[welder_id] = _checked(
            candidates.get(welder_id, []), entries.get((welder_id, target.process), []), target, part
        )
    return found


def _checked(
    pairs: list, entries: list[rules.Entry], target: rules.EntryTarget, part: str
) -> tuple[rules.Check, WelderQualification | None]:
    """R7 over one welder's (record, rules view) qualification pairs, and the matched record.
    A 9.3c qualification the current `WELDSHOP_ISO3834_PART` no longer allows has no standing:
    it is left out (never matched) rather than failing the check."""
    try:
        check = rules.check_entry([c for _q, c in pairs], entries, target, iso3834_part=part)
    except rules.RuleError:
        allowed = [c for q, c in pairs if q.revalidation_method != "9.3c"]
        check = rules.check_entry(allowed, entries, target, iso3834_part=part)
    matched = next((q for q, _c in pairs if q.qualification_id == check.qualification), None)
    return check, matched if check.ok else None


class EntryChecker:
    """R7 for many weld-log entries at once (an import): every welder's qualifications, their
    events and weld log, and the welds' WPS are loaded once — six queries for the whole file,
    not three a row — and each entry is checked in memory as of its own day (the rules leave
    out what was not yet known that day). An entry the file adds counts for the entries after
    it (ASME/AWS continuity), as it would entered one by one."""

    def __init__(self, welders: Iterable[Employee], welds: Iterable[Weld] = (), equipment: Iterable = ()):
        self.welder_ids = {w.pk for w in welders}
        self.equipment_ids = {e.pk for e in equipment}
        welds = [w for w in welds if w.wps_id is not None]
        wps = Wps.objects.in_bulk({w.wps_id for w in welds})
        for weld in welds:
            weld.wps = wps[weld.wps_id]  # the relation's cache: no query per weld
        self.candidates = qualifications.candidates_of(self.welder_ids)
        processes = {q.process for pairs in self.candidates.values() for q, _c in pairs}
        self.entries: dict[tuple[int, str], list[rules.Entry]] = qualifications.continuity_entries(
            {(w, p) for w in self.welder_ids for p in processes}
        )
        self.part = qualifications.iso3834_part()
        self.calibrations = None  # the file's machines', loaded at the first row that names one

    def calibrations_for(self, equipment) -> list | None:
        """The machine's calibration records: those of every machine the file names, loaded
        once (one query for the file, whatever the number of machines)."""
        if equipment is None:
            return None
        if self.calibrations is None:
            self.calibrations = calibrations_of(self.equipment_ids | {equipment.pk})
        if equipment.pk not in self.equipment_ids | set(self.calibrations):
            self.calibrations.update(calibrations_of({equipment.pk}))  # not among the file's
            self.equipment_ids.add(equipment.pk)
        return self.calibrations.get(equipment.pk, [])

    def check(
        self, welder: Employee, target: rules.EntryTarget
    ) -> tuple[rules.Check, WelderQualification | None]:
        if welder.pk not in self.welder_ids:  # not in the file's list: load it (one welder)
            return check_welder(welder, target)
        pairs = self.candidates.get(welder.pk, [])
        return _checked(pairs, self.entries.get((welder.pk, target.process), []), target, self.part)

    def record(self, welder: Employee, process: str, day: dt.date, *, overridden: bool) -> None:
        """An entry the file adds (its check passed, or was overridden)."""
        if not overridden and welder.pk in self.welder_ids:
            self.entries.setdefault((welder.pk, process), []).append(
                rules.Entry(welded_on=day, process=process)
            )


def check_welder(
    welder: Employee, target: rules.EntryTarget
) -> tuple[rules.Check, WelderQualification | None]:
    return check_welders([welder.pk], target)[welder.pk]


def refuse(check: rules.Check, welder: Employee, target_name: str) -> errors.Refused:
    detail = rules.refusal_detail(check, welder.employee_id, target_name)
    return errors.Refused(
        422, NOT_QUALIFIED, detail, errors={"welder": [detail]}, extra={"check": check_as_dict(check)}
    )


def override_problem(reason: str) -> str | None:
    """What is wrong with an override reason, or None."""
    length = len((reason or "").strip())
    if not OVERRIDE_MIN <= length <= OVERRIDE_MAX:
        return f"An override needs a reason of {OVERRIDE_MIN} to {OVERRIDE_MAX} characters."
    return None


# ------------------------------------------------------------------------------ the weld log
def weld_activity_checked(
    *,
    weld: Weld,
    welder: Employee,
    process: str,
    welded_on: dt.date,
    lot=None,
    equipment=None,
    override_reason: str = "",
    user=None,
    checker: EntryChecker | None = None,
) -> dict[str, Any]:
    """The check's fields of a weld-log entry about to be saved (`qualification`,
    `check_result` and the override's), or the refusal (R8: 422 WELDER_NOT_QUALIFIED with the
    check). With an `override_reason` (the caller has made sure the user may override) a
    failed check is saved with its failures and the override's reason, author and time; a
    passing check needs no override and stores none."""
    calibrations = checker.calibrations_for(equipment) if checker is not None else None
    target = entry_target(
        weld, process=process, day=welded_on, lot=lot, equipment=equipment, calibrations=calibrations
    )
    check, matched = (checker.check if checker is not None else check_welder)(welder, target)
    values: dict[str, Any] = {
        "qualification": matched,
        "check_result": check_as_dict(check),
        "override_reason": "",
        "override_by": None,
        "override_at": None,
    }
    if not check.ok:
        if not override_reason:
            raise refuse(check, welder, weld.weld_id)
        values.update(
            override_reason=override_reason.strip(),
            override_by=user if user is not None and user.is_authenticated else None,
            override_at=timezone.now(),
        )
    if checker is not None:
        checker.record(welder, process, welded_on, overridden=not check.ok)
    return values


@transaction.atomic
def weld_recheck_entries(*, weld: Weld) -> int:
    """A weld changed (thickness, position, WPS …): each of its entries' checks runs again
    and its snapshot (`check`, matched `qualification`) is stored. The edit is not refused:
    the weld log records what was welded; an entry that no longer passes shows `ok: false`
    (an override stays as it was given). Returns the number of entries re-checked."""
    entries = list(weld.activities.select_related("welder", "consumable_lot", "equipment").order_by("id"))
    calibrations = calibrations_of({e.equipment_id for e in entries if e.equipment_id is not None})
    for entry in entries:
        target = entry_target(
            weld,
            process=entry.process,
            day=entry.welded_on,
            lot=entry.consumable_lot,
            equipment=entry.equipment,
            calibrations=calibrations.get(entry.equipment_id, []),
        )
        check, matched = check_welder(entry.welder, target)
        entry.check_result = check_as_dict(check)
        entry.qualification = matched
    WeldActivity.objects.bulk_update(entries, ["check_result", "qualification", "updated_at"])
    record_rows(WeldActivity, entries, UPDATED)
    return len(entries)


# ------------------------------------------------------------------------------ the WPS
def wps_change_allowed(wps: Wps, changes: dict[str, Any]) -> None:
    """An approved WPS is immutable except for superseding it (status → superseded, nothing
    else changed); a superseded one is immutable. Else 409 CONFLICT."""
    if wps.status not in LOCKED_WPS:
        return
    changed = {name for name, value in changes.items() if getattr(wps, name) != value}
    if (
        wps.status == WpsStatus.APPROVED
        and changed <= {"status"}
        and changes.get("status")
        in (
            None,
            WpsStatus.SUPERSEDED,
            WpsStatus.APPROVED,
        )
    ):
        return
    raise errors.Conflict(
        f"{wps.wps_id} is {wps.status}: an approved WPS changes only by being superseded "
        "(status superseded). Make a new revision for other changes."
    )


@transaction.atomic
def wps_approve(*, wps: Wps) -> Wps:
    if wps.status != WpsStatus.DRAFT:
        raise errors.Conflict(f"{wps.wps_id} is {wps.status}: only a draft is approved.")
    wps.status = WpsStatus.APPROVED
    wps.save(update_fields=["status", "updated_at"])
    return wps


# ------------------------------------------------------------------------------ work orders
def workorder_target(wps: Wps, *, day: dt.date) -> rules.WorkOrderTarget:
    return rules.WorkOrderTarget(
        day=day,
        wps=wps_ranges(wps),
        product_forms=frozenset(wps.product_forms or ()),
        weld_types=frozenset(wps.weld_types or ()),
    )


def workorder_assignment_checked(
    *,
    order: WorkOrder | None,
    wps: Wps | None,
    welder: Employee | None,
    override_reason: str = "",
    user=None,
    today: dt.date | None = None,
) -> dict[str, Any] | None:
    """The assignment check's fields of a work order about to be saved, when its WPS or its
    welder is set or changed (None: nothing to check or store — no WPS is the legacy case, no
    check). Refused (R8) unless overridden."""
    if wps is None or welder is None:
        if order is not None and (wps is None or welder is None) and order.assignment_check is not None:
            return {
                "assignment_check": None,
                "assignment_override_reason": "",
                "assignment_override_by": None,
                "assignment_override_at": None,
            }
        return None
    if order is not None and order.wps_id == wps.pk and order.assigned_welder_id == welder.pk:
        return None  # neither changed: the stored check stands
    day = today or timezone.localdate()
    candidates = qualifications.candidates_of([welder.pk], on=day).get(welder.pk, [])
    entries = qualifications.continuity_entries(
        {(welder.pk, p) for p in (wps.process, wps.root_process) if p}, on=day
    )
    check = rules.check_work_order(
        [c for _q, c in candidates],
        [e for found in entries.values() for e in found],
        workorder_target(wps, day=day),
        iso3834_part=qualifications.iso3834_part(),
    )
    values = {
        "assignment_check": check_as_dict(check),
        "assignment_override_reason": "",
        "assignment_override_by": None,
        "assignment_override_at": None,
    }
    if not check.ok:
        if not override_reason:
            raise refuse(check, welder, order.order_id if order is not None else "the work order")
        values.update(
            assignment_override_reason=override_reason.strip(),
            assignment_override_by=user if user is not None and user.is_authenticated else None,
            assignment_override_at=timezone.now(),
        )
    return values


def eligible_welders(weld: Weld, *, on: dt.date) -> list[tuple[Employee, WelderQualification, rules.Check]]:
    """Employees with a qualification in the weld's WPS process passing every check of the
    weld on `on` (R7 as for an entry in that process): a constant number of queries."""
    process = weld.wps.process if weld.wps is not None else None
    holders = WelderQualification.objects.filter(test_date__lte=on)
    if process:
        holders = holders.filter(process=process)
    employee_ids = set(holders.values_list("employee_id", flat=True))
    if not employee_ids:
        return []
    processes = (
        {process}
        if process
        else set(
            WelderQualification.objects.filter(employee_id__in=employee_ids).values_list("process", flat=True)
        )
    )
    found = []
    employees = Employee.objects.in_bulk(employee_ids)
    for proc in sorted(processes):
        target = entry_target(weld, process=proc, day=on)
        for welder_id, (check, matched) in check_welders(employee_ids, target).items():
            if check.ok and matched is not None:
                found.append((employees[welder_id], matched, check))
    found.sort(key=lambda row: (row[0].employee_id, row[1].qualification_id))
    return found
