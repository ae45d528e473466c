"""Qualifications as the rules see them, loaded in bulk: the one bridge between the ORM and
`staff.welding_rules` (pure). Every read that shows a qualification's standing (the list, an
employee's status, the welder check, the dashboard) loads through here, in a fixed number of
queries whatever the number of qualifications or weld-log entries.

The weld log belongs to `workorders` (which builds on staff); it is read here through
`apps.get_model` so that staff's modules do not import the app above them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings

from staff import welding_rules as rules
from staff.models import QualificationEvent, WelderQualification


def iso3834_part() -> str:
    return settings.WELDSHOP_ISO3834_PART


def weld_log():
    return apps.get_model("workorders", "WeldActivity")


def events_of(
    qualification_ids: Iterable[int], *, on: dt.date | None = None
) -> dict[int, tuple[rules.Event, ...]]:
    """Each qualification's events known on `on` (all when None), in date order: one query."""
    ids = list(qualification_ids)
    found: dict[int, list[rules.Event]] = defaultdict(list)
    if ids:
        rows = QualificationEvent.objects.filter(qualification_id__in=ids)
        if on is not None:
            rows = rows.filter(on_date__lte=on)
        for qid, kind, day in rows.order_by("on_date", "id").values_list(
            "qualification_id", "kind", "on_date"
        ):
            found[qid].append(rules.Event(kind=kind, on_date=day))
    return {qid: tuple(found.get(qid, ())) for qid in ids}


def continuity_entries(
    welder_processes: Iterable[tuple[int, str]], *, on: dt.date | None = None
) -> dict[tuple[int, str], list[rules.Entry]]:
    """The weld-log days that can keep a chain alive (R3, ASME/AWS) for each (employee id,
    process): entries not overridden, on or before `on`, one per day: one query."""
    pairs = set(welder_processes)
    found: dict[tuple[int, str], list[rules.Entry]] = defaultdict(list)
    if not pairs:
        return found
    rows = weld_log().objects.filter(
        welder_id__in={w for w, _ in pairs}, process__in={p for _, p in pairs}, overridden=False
    )
    if on is not None:
        rows = rows.filter(welded_on__lte=on)
    for welder_id, process, day in (
        rows.order_by()
        .values_list("welder_id", "process", "welded_on")
        .distinct()
        .iterator(chunk_size=10_000)
    ):
        if (welder_id, process) in pairs:
            found[(welder_id, process)].append(rules.Entry(welded_on=day, process=process))
    return found


def standing_of(
    q: WelderQualification, events: tuple[rules.Event, ...], entries: list[rules.Entry], *, on: dt.date
) -> rules.Standing | None:
    """R1–R3 for one qualification; None when its standing cannot be worked out under today's
    settings (route 9.3c after `WELDSHOP_ISO3834_PART` was set to none or 4): such a
    qualification counts as not valid."""
    try:
        return rules.standing(q.as_rule(), events, entries, on=on, iso3834_part=iso3834_part())
    except rules.RuleError:
        return None


def standings(
    qualifications: Iterable[WelderQualification], *, on: dt.date
) -> dict[int, rules.Standing | None]:
    """Each qualification's standing on `on` (R1–R3), by id: two queries (events; the weld log
    of the ASME/AWS ones)."""
    quals = list(qualifications)
    events = events_of((q.pk for q in quals), on=on)
    entries = continuity_entries(
        ((q.employee_id, q.process) for q in quals if q.standard != rules.ISO_9606_1), on=on
    )
    return {
        q.pk: standing_of(q, events[q.pk], entries.get((q.employee_id, q.process), []), on=on) for q in quals
    }


def attach_standings(
    qualifications: Iterable[WelderQualification], *, on: dt.date
) -> list[WelderQualification]:
    """The qualifications with `.standing` (a Standing, or None) set for serializers."""
    quals = list(qualifications)
    found = standings(quals, on=on)
    for q in quals:
        q.standing = found[q.pk]
    return quals


def candidates_of(
    employee_ids: Iterable[int], *, on: dt.date | None = None
) -> dict[int, list[tuple[WelderQualification, rules.Candidate]]]:
    """Each employee's qualifications (any process) as R7's candidates, with the events known
    on `on`: two queries."""
    quals = list(WelderQualification.objects.filter(employee_id__in=set(employee_ids)).order_by("id"))
    events = events_of((q.pk for q in quals), on=on)
    found: dict[int, list[tuple[WelderQualification, rules.Candidate]]] = defaultdict(list)
    for q in quals:
        found[q.employee_id].append(
            (
                q,
                rules.Candidate(
                    qualification_id=q.qualification_id,
                    qualification=q.as_rule(),
                    covers=q.covers(),
                    events=events[q.pk],
                ),
            )
        )
    return found


def inspection_model():
    return apps.get_model("inspections", "Inspection")


NDT_EVIDENCE_METHODS = ("RT", "UT")


def evidence_entries(employee_id: int, process: str, *, on: dt.date | None = None) -> list[rules.Entry]:
    """The welder's weld-log entries in `process` (overridden ones included: the rules leave
    them out) with their ids, welds and whether the weld has a passing RT or UT inspection
    (R4's and R5's evidence): one query."""
    from django.db.models import Exists, OuterRef

    passed = inspection_model().objects.filter(
        weld_id=OuterRef("weld_id"), result="pass", method__in=NDT_EVIDENCE_METHODS
    )
    rows = weld_log().objects.filter(welder_id=employee_id, process=process)
    if on is not None:
        rows = rows.filter(welded_on__lte=on)
    return [
        rules.Entry(
            welded_on=day,
            process=process,
            overridden=overridden,
            id=pk,
            weld=str(weld_id),
            ndt_passed=ndt,
        )
        for pk, day, weld_id, overridden, ndt in rows.annotate(ndt_passed=Exists(passed))
        .order_by("welded_on", "id")
        .values_list("id", "welded_on", "weld_id", "overridden", "ndt_passed")
    ]


def statuses_by_employee(employee_ids: Iterable[int], *, on: dt.date) -> dict[int, list[WelderQualification]]:
    """Each employee's qualifications with `.standing` attached: three queries. `employee_ids`
    may be a queryset of ids (`.values("id")`), used as a subquery."""
    ids = employee_ids if hasattr(employee_ids, "query") else set(employee_ids)
    quals = attach_standings(WelderQualification.objects.filter(employee_id__in=ids).order_by("id"), on=on)
    found: dict[int, list[WelderQualification]] = defaultdict(list)
    for q in quals:
        found[q.employee_id].append(q)
    return found


def status_of(q: WelderQualification) -> str | None:
    """The status `attach_standings` worked out (None: cannot be worked out)."""
    standing = getattr(q, "standing", None)
    return standing.status if standing is not None else None


def entry_rows(ids: Iterable[int]) -> dict[int, dict]:
    """Weld-log entries as the API shows them in evidence: one query."""
    ids = set(ids)
    if not ids:
        return {}
    return {
        pk: {"id": pk, "welded_on": day, "weld": weld, "process": process}
        for pk, day, weld, process in weld_log()
        .objects.filter(pk__in=ids)
        .values_list("id", "welded_on", "weld__weld_id", "process")
    }


def continuity_of(q: WelderQualification, *, on: dt.date) -> dict:
    """R3 spelled out as of `on`: the anchor, the due date and what they rest on. ISO 9606-1:
    the confirmations and revalidations with the entries each rests on; ASME/AWS: the chain of
    weld-log entries since the latest test or renewal (one per day)."""
    rule = q.as_rule()
    events = events_of([q.pk], on=on)[q.pk]
    standing = standing_of(
        q,
        events,
        continuity_entries({(q.employee_id, q.process)}, on=on).get((q.employee_id, q.process), []),
        on=on,
    )
    if q.standard == rules.ISO_9606_1:
        anchor = rules.iso_anchor(rule, events)
        rows = list(
            QualificationEvent.objects.filter(
                qualification=q, kind__in=(rules.CONFIRMATION, rules.REVALIDATION), on_date__lte=on
            ).order_by("on_date", "id")
        )
        found = entry_rows(pk for e in rows for pk in e.evidence)
        evidence = [
            {
                "kind": e.kind,
                "on_date": e.on_date,
                "override_reason": e.override_reason,
                "entries": [found[pk] for pk in e.evidence if pk in found],
            }
            for e in rows
        ]
    else:
        start = max([q.test_date, *(e.on_date for e in events if e.kind == rules.RENEWAL)])
        due = rules.add_months(start, rules.CONTINUITY_MONTHS)
        anchor, chain = start, []
        for entry in evidence_entries(q.employee_id, q.process, on=on):
            if entry.overridden or entry.welded_on < start:
                continue
            if entry.welded_on > due:
                break
            chain.append(entry.id)
            anchor, due = entry.welded_on, rules.add_months(entry.welded_on, rules.CONTINUITY_MONTHS)
        found = entry_rows(chain)
        evidence = [found[pk] for pk in chain]
    return {
        "qualification": q.qualification_id,
        "as_of": on,
        "anchor": anchor,
        "continuity_due": rules.add_months(anchor, rules.CONTINUITY_MONTHS),
        "status": standing.status if standing is not None else None,
        "evidence": evidence,
    }
