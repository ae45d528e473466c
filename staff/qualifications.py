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
from typing import NamedTuple

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
        welder_id__in={w for w, _ in pairs}, process__in={p for _, p in pairs}, override_reason=""
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


# The runs of weld-log days (`rules.runs_of`) worked out by PostgreSQL: a new run where a day
# is more than 6 months after the one before it (date + interval adds calendar months and
# clamps to the month's end, as `rules.add_months` does); one row per run. The partial index
# `weldlog_continuity` hands the days over in order.
RUNS_SQL = """
SELECT welder_id, process, min(welded_on), max(welded_on)
FROM (
    SELECT welder_id, process, welded_on,
           count(*) FILTER (WHERE welded_on > (previous + interval '6 months')::date)
               OVER (PARTITION BY welder_id, process ORDER BY welded_on) AS run
    FROM (
        SELECT welder_id, process, welded_on,
               lag(welded_on) OVER (PARTITION BY welder_id, process ORDER BY welded_on) AS previous
        FROM (
            SELECT DISTINCT welder_id, process, welded_on
            FROM workorders_weldactivity
            WHERE welder_id = ANY(%(welders)s) AND process = ANY(%(processes)s)
              AND override_reason = '' AND welded_on <= %(on)s
        ) AS days
    ) AS neighbours
) AS numbered
GROUP BY welder_id, process, run
"""


def continuity_runs(
    welder_processes: Iterable[tuple[int, str]], *, on: dt.date
) -> dict[tuple[int, str], list[rules.Run]]:
    """The runs (`rules.runs_of`) of weld-log days that can keep an ASME/AWS chain alive, per
    (employee id, process), as of `on`: one query whose answer grows with the runs, not the
    entries — on PostgreSQL the database finds them (`RUNS_SQL`); elsewhere from the days."""
    from django.db import connection

    pairs = set(welder_processes)
    if not pairs:
        return {}
    if connection.vendor != "postgresql":
        return {
            key: rules.runs_of((e.welded_on for e in entries), key[1])
            for key, entries in continuity_entries(pairs, on=on).items()
        }
    found: dict[tuple[int, str], list[rules.Run]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            RUNS_SQL.replace("workorders_weldactivity", connection.ops.quote_name(weld_log()._meta.db_table)),
            {"welders": sorted({w for w, _ in pairs}), "processes": sorted({p for _, p in pairs}), "on": on},
        )
        for welder_id, process, first, last in cursor.fetchall():
            if (welder_id, process) in pairs:
                found[(welder_id, process)].append(rules.Run(process, first, last))
    return found


class Row(NamedTuple):
    """What a standing needs of a qualification, without the model instance (a `?status=`
    filter works out every qualification's)."""

    pk: int
    employee_id: int
    process: str
    standard: str
    test_date: dt.date
    revalidation_method: str

    def as_rule(self) -> rules.Qualification:
        return rules.Qualification(
            self.standard, self.process, self.test_date, self.revalidation_method or None
        )


ROW_FIELDS = ("pk", "employee_id", "process", "standard", "test_date", "revalidation_method")


def rows_of(queryset) -> list[Row]:
    """The queryset's qualifications as `Row`s: one query, no model instances."""
    return [
        Row(*values) for values in queryset.order_by().values_list(*ROW_FIELDS).iterator(chunk_size=10_000)
    ]


def standing_of(
    q: WelderQualification | Row, events: tuple[rules.Event, ...], runs: list[rules.Run], *, on: dt.date
) -> rules.Standing | None:
    """R1–R3 for one qualification; None when its standing cannot be worked out under today's
    settings (route 9.3c after `WELDSHOP_ISO3834_PART` was set to none or 4): such a
    qualification counts as not valid."""
    try:
        return rules.standing(q.as_rule(), events, on=on, iso3834_part=iso3834_part(), runs=runs)
    except rules.RuleError:
        return None


def standings(
    qualifications: Iterable[WelderQualification | Row], *, on: dt.date
) -> dict[int, rules.Standing | None]:
    """Each qualification's standing on `on` (R1–R3), by id: two queries (events; the runs of
    the weld log for the ASME/AWS ones). Model instances or `rows_of(queryset)`."""
    quals = list(qualifications)
    events = events_of((q.pk for q in quals), on=on)
    runs = continuity_runs(
        ((q.employee_id, q.process) for q in quals if q.standard != rules.ISO_9606_1), on=on
    )
    return {
        q.pk: standing_of(q, events[q.pk], runs.get((q.employee_id, q.process), []), on=on) for q in quals
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
        continuity_runs({(q.employee_id, q.process)}, on=on).get((q.employee_id, q.process), []),
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
