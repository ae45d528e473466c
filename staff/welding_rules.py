"""The welder-qualification rules of WELDING.md §3 as pure functions: dates and plain records
in, results out, no ORM (so every rule is unit-tested on its own, and `as_of` audits a past
day by passing that day).

So far: R1 (status on a day), R2 (`valid_until`) and R3 (`continuity_due`, per standard), with
`add_months` (calendar months, clamped to the month's end); R4–R6's checks of an action
(`confirmation`, `revalidation`, `renewal`, `revocation`: what the event may be, or a
`RuleError` with the API's status and code); and R7's check of a weld-log entry
(`check_entry`). The models, the endpoints, the work-order check and R8's override build on
these (issue 12).

- **R2** `valid_until`: ISO 9606-1 route 9.3a, the test date + 36 months; route 9.3b, + 24
  months, and 24 more per revalidation; route 9.3c, ASME IX and AWS D1.1: none (continuity
  alone). Route 9.3c needs an ISO 3834 part 2 or 3 (`WELDSHOP_ISO3834_PART`), else it is
  refused.
- **R3** `continuity_due` = the anchor + 6 months. ISO: the anchor is the latest of the test
  date, the confirmations and the revalidations. ASME/AWS: a chain starts at the latest of the
  test date and the last renewal; each weld-log entry in the qualification's process, not
  overridden, dated on or before the current due date, moves the anchor to its date; an entry
  after a lapse (or in another process, or overridden) counts for nothing.
- **R1** status on day D, first match wins: `revoked` (revoked on or before D), `pending` (D
  before the test), `expired` (D after `valid_until`), `lapsed` (D after `continuity_due`),
  `expiring` (`effective_until` − D ≤ 30 days), else `valid`; `effective_until` = the earlier
  of `valid_until` and `continuity_due`. The due day itself is still valid (WELDING.md §8).

- **R7** `check_entry`, as of the entry's day: the welder's qualifications in the entry's
  process are the candidates; one that is valid or expiring and covers the product form, weld
  type, thickness, pipe diameter, position and filler group (the lot's, else the WPS's)
  matches (the latest `effective_until` if several); the WPS must be approved, of the entry's
  process (or root process), with the thickness, diameter and position inside its ranges,
  and the lot's filler group its own. Without a match, the failures are the closest
  candidate's (fewest failures, then the latest `effective_until`), or
  `NO_QUALIFICATION_FOR_PROCESS`. Warnings never block.
- **R7** `check_work_order`, as of today: a qualification in the WPS's process, valid or
  expiring, whose product forms and weld types meet the WPS's and whose filler groups hold
  its filler group; a `root_process` needs a qualification of its own; the WPS approved.

Everything is "as of" a day: events and entries dated after it are not yet known.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from workshop.errors import FieldRefusal

ISO_9606_1 = "iso_9606_1"
ASME_IX = "asme_ix"
AWS_D1_1 = "aws_d1_1"
STANDARDS = (ISO_9606_1, ASME_IX, AWS_D1_1)
ROUTES = ("9.3a", "9.3b", "9.3c")

CONFIRMATION = "confirmation"
REVALIDATION = "revalidation"
RENEWAL = "renewal"
REVOCATION = "revocation"
EVENT_KINDS = (CONFIRMATION, REVALIDATION, RENEWAL, REVOCATION)

REVOKED, PENDING, EXPIRED, LAPSED, EXPIRING, VALID = (
    "revoked",
    "pending",
    "expired",
    "lapsed",
    "expiring",
    "valid",
)

CONTINUITY_MONTHS = 6
EXPIRING_DAYS = 30
ROUTE_MONTHS = {"9.3a": 36, "9.3b": 24}
REVALIDATION_MONTHS = 24
ISO3834_PARTS_FOR_9_3C = ("2", "3")


class RuleError(FieldRefusal, ValueError):
    """What the rules refuse: the API answers `status` with `error_code` and the message
    under `field` (a 422 VALIDATION_ERROR unless the rule names another). A domain error
    (workshop.errors.FieldRefusal): the API's exception handler maps it, nothing else does."""

    def __init__(self, field: str, message: str, code: str = "VALIDATION_ERROR", status: int = 422):
        super().__init__(field, message, code, status)
        self.code = code


@dataclass(frozen=True)
class Event:
    """A QualificationEvent as the rules see it."""

    kind: str
    on_date: dt.date


@dataclass(frozen=True)
class Entry:
    """A weld-log entry as the rules see it: when, in which process, overridden or not."""

    welded_on: dt.date
    process: str
    overridden: bool = False
    id: int | None = None  # the weld-log entry (evidence names it)
    weld: str | None = None  # the weld it was on
    ndt_passed: bool = False  # the weld has a passing RT or UT inspection (R5's evidence)


@dataclass(frozen=True)
class Qualification:
    """What the rules need of a WelderQualification."""

    standard: str
    process: str
    test_date: dt.date
    revalidation_method: str | None = None  # ISO 9606-1 only: 9.3a, 9.3b or 9.3c


@dataclass(frozen=True)
class Standing:
    """A qualification on a day: R1–R3's figures."""

    valid_until: dt.date | None
    continuity_due: dt.date
    effective_until: dt.date
    status: str
    days_left: int


@functools.lru_cache(maxsize=8192)
def add_months(day: dt.date, months: int) -> dt.date:
    """`day` + `months` calendar months, clamped to the month's end (2026-08-31 + 6 →
    2027-02-28; 2027-08-31 + 6 → 2028-02-29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _known(events: Iterable[Event], as_of: dt.date | None) -> list[Event]:
    return [e for e in events if as_of is None or e.on_date <= as_of]


def valid_until(
    q: Qualification,
    events: Iterable[Event] = (),
    *,
    iso3834_part: str = "none",
    as_of: dt.date | None = None,
) -> dt.date | None:
    """R2. Raises RuleError for an ISO qualification without a route, with an unknown route,
    or on route 9.3c without ISO 3834 part 2 or 3; and for an unknown standard."""
    if q.standard not in STANDARDS:
        raise RuleError("standard", f"Must be one of: {', '.join(STANDARDS)}.")
    if q.standard != ISO_9606_1:
        return None
    route = q.revalidation_method
    if route not in ROUTES:
        raise RuleError(
            "revalidation_method", f"An ISO 9606-1 qualification needs one of: {', '.join(ROUTES)}."
        )
    if route == "9.3c":
        if str(iso3834_part) not in ISO3834_PARTS_FOR_9_3C:
            raise RuleError(
                "revalidation_method",
                "Route 9.3c needs a quality system to ISO 3834-2 or -3 (WELDSHOP_ISO3834_PART is "
                f"{iso3834_part!r}).",
            )
        return None
    months = ROUTE_MONTHS[route]
    if route == "9.3b":
        months += REVALIDATION_MONTHS * sum(1 for e in _known(events, as_of) if e.kind == REVALIDATION)
    return add_months(q.test_date, months)


def continuity_due(
    q: Qualification,
    events: Iterable[Event] = (),
    entries: Iterable[Entry] = (),
    *,
    as_of: dt.date | None = None,
) -> dt.date:
    """R3. `entries` may hold any process and overridden entries: the rule picks its own."""
    known = _known(events, as_of)
    if q.standard == ISO_9606_1:
        anchor = max([q.test_date, *(e.on_date for e in known if e.kind in (CONFIRMATION, REVALIDATION))])
        return add_months(anchor, CONTINUITY_MONTHS)
    start = max([q.test_date, *(e.on_date for e in known if e.kind == RENEWAL)])
    due = add_months(start, CONTINUITY_MONTHS)
    dates = sorted(
        e.welded_on
        for e in entries
        if e.process == q.process
        and not e.overridden
        and e.welded_on >= start
        and (as_of is None or e.welded_on <= as_of)
    )
    for day in dates:
        if day > due:  # lapsed before this entry: it and every later one count for nothing
            break
        due = add_months(day, CONTINUITY_MONTHS)
    return due


@dataclass(frozen=True)
class Run:
    """A run of weld-log days in one process with no gap over 6 months between neighbours
    (first and last day): the chain of R3 in a form that does not grow with the entries."""

    process: str
    first: dt.date
    last: dt.date


def runs_of(days: Iterable[dt.date], process: str) -> list[Run]:
    """The runs of `days` (one welder, one process): a new run starts at a day more than 6
    months after the day before it."""
    runs: list[Run] = []
    first = last = None
    for day in sorted(set(days)):
        if last is not None and day > add_months(last, CONTINUITY_MONTHS):
            runs.append(Run(process, first, last))
            first = None
        if first is None:
            first = day
        last = day
    if first is not None:
        runs.append(Run(process, first, last))
    return runs


def chain_due(start: dt.date, runs: Iterable[Run]) -> dt.date:
    """R3's ASME/AWS due date from the runs of the qualification's process (entries not
    overridden, as of the day asked), equal to `continuity_due` over the entries themselves:
    the first run reaching `start` carries the chain to its last day when it has a day within
    6 months of `start` — it does when it began before `start` (its days before `start` are
    each within 6 months of the next) or within the 6 months; the next run starts after a gap
    over 6 months, so the chain ends there."""
    due = add_months(start, CONTINUITY_MONTHS)
    for run in sorted(runs, key=lambda r: r.first):
        if run.last < start:
            continue
        if run.first < start or run.first <= due:
            return add_months(run.last, CONTINUITY_MONTHS)
        break
    return due


def standing(
    q: Qualification,
    events: Iterable[Event] = (),
    entries: Iterable[Entry] = (),
    *,
    on: dt.date,
    iso3834_part: str = "none",
    runs: Iterable[Run] | None = None,
) -> Standing:
    """R1 on day `on`, from R2 and R3 as of that day. An ASME/AWS chain comes from `entries`,
    or from `runs` (`runs_of` the entries known on `on`) when given."""
    events = _known(events, on)
    until = valid_until(q, events, iso3834_part=iso3834_part, as_of=on)
    if runs is not None and q.standard != ISO_9606_1:
        start = max([q.test_date, *(e.on_date for e in events if e.kind == RENEWAL)])
        due = chain_due(start, (r for r in runs if r.process == q.process))
    else:
        due = continuity_due(q, events, entries, as_of=on)
    effective = due if until is None else min(until, due)
    if any(e.kind == REVOCATION for e in events):
        status = REVOKED
    elif on < q.test_date:
        status = PENDING
    elif until is not None and on > until:
        status = EXPIRED
    elif on > due:
        status = LAPSED
    elif (effective - on).days <= EXPIRING_DAYS:
        status = EXPIRING
    else:
        status = VALID
    return Standing(
        valid_until=until,
        continuity_due=due,
        effective_until=effective,
        status=status,
        days_left=(effective - on).days,
    )


# ------------------------------------------------------------------------------ R4–R6: actions
LAPSED_CODE = "QUALIFICATION_LAPSED"


def iso_anchor(q: Qualification, events: Iterable[Event], *, as_of: dt.date | None = None) -> dt.date:
    """The latest of the test date, the confirmations and the revalidations (R3, ISO)."""
    known = _known(events, as_of)
    return max([q.test_date, *(e.on_date for e in known if e.kind in (CONFIRMATION, REVALIDATION))])


def _not_revoked(events: Iterable[Event]) -> None:
    if any(e.kind == REVOCATION for e in events):
        raise RuleError("qualification", "The qualification is revoked.", "QUALIFICATION_REVOKED", 409)


def confirmation(
    q: Qualification,
    events: Sequence[Event],
    entries: Iterable[Entry],
    *,
    confirmed_on: dt.date,
    overridden: bool = False,
) -> list[Entry]:
    """R4: the evidence of a confirmation on `confirmed_on` (the entries in the process, not
    overridden, dated after the anchor and on or before that day), or a RuleError: not ISO
    (422), revoked (409), a day outside (anchor, due] (409 QUALIFICATION_LAPSED), no evidence
    and no override (422 CONTINUITY_EVIDENCE_MISSING)."""
    if q.standard != ISO_9606_1:
        raise RuleError(
            "qualification",
            "Only ISO 9606-1 qualifications are confirmed; ASME and AWS keep "
            "continuity through the weld log.",
        )
    _not_revoked(events)
    anchor = iso_anchor(q, events)
    due = add_months(anchor, CONTINUITY_MONTHS)
    if not anchor < confirmed_on <= due:
        raise RuleError(
            "confirmed_on",
            f"Must be after {anchor} and on or before the due date {due}.",
            LAPSED_CODE if confirmed_on > due else "VALIDATION_ERROR",
            409 if confirmed_on > due else 422,
        )
    evidence = [
        e
        for e in entries
        if e.process == q.process and not e.overridden and anchor < e.welded_on <= confirmed_on
    ]
    if not evidence and not overridden:
        raise RuleError(
            "confirmed_on",
            f"No weld-log entry in process {q.process} from {anchor + dt.timedelta(days=1)} to {confirmed_on}.",
            "CONTINUITY_EVIDENCE_MISSING",
        )
    return sorted(evidence, key=lambda e: (e.welded_on, e.id or 0))


def revalidation(
    q: Qualification,
    events: Sequence[Event],
    entries: Iterable[Entry],
    *,
    revalidated_on: dt.date,
    iso3834_part: str = "none",
) -> list[Entry]:
    """R5: the evidence of a revalidation on `revalidated_on` (one entry on each of two or more
    welds with a passing RT/UT inspection, in the process, from valid_until − 6 months to that
    day), or a RuleError: not route 9.3b (422), not valid or expiring that day, or after
    valid_until (409 QUALIFICATION_LAPSED), before valid_until − 6 months (422), fewer than
    two welds (422 REVALIDATION_EVIDENCE_MISSING)."""
    if q.standard != ISO_9606_1 or q.revalidation_method != "9.3b":
        raise RuleError("qualification", "Only ISO 9606-1 qualifications on route 9.3b are revalidated.")
    _not_revoked(events)
    until = valid_until(q, events, iso3834_part=iso3834_part)
    opens = add_months(until, -CONTINUITY_MONTHS)
    status = standing(q, events, [], on=revalidated_on, iso3834_part=iso3834_part).status
    if revalidated_on > until or status not in (VALID, EXPIRING):
        raise RuleError(
            "revalidated_on", f"The qualification is {status} on {revalidated_on}.", LAPSED_CODE, 409
        )
    if revalidated_on < opens:
        raise RuleError("revalidated_on", f"Revalidation opens on {opens} (6 months before {until}).")
    firsts: dict[str, Entry] = {}
    for e in sorted(entries, key=lambda e: (e.welded_on, e.id or 0)):
        if (
            e.weld
            and e.ndt_passed
            and e.process == q.process
            and not e.overridden
            and opens <= e.welded_on <= revalidated_on
        ):
            firsts.setdefault(e.weld, e)
    if len(firsts) < 2:
        raise RuleError(
            "revalidated_on",
            f"Needs two welds in process {q.process} with a passing RT or UT inspection from {opens} to "
            f"{revalidated_on}; found {len(firsts)}.",
            "REVALIDATION_EVIDENCE_MISSING",
        )
    return list(firsts.values())


def renewal(q: Qualification, events: Sequence[Event], *, test_date: dt.date) -> None:
    """R6: an ASME/AWS qualification renewed by a new test, on or after its test date."""
    if q.standard == ISO_9606_1:
        raise RuleError(
            "qualification", "ISO 9606-1 qualifications are revalidated or confirmed, not renewed."
        )
    _not_revoked(events)
    if test_date < q.test_date:
        raise RuleError("test_date", f"Must be on or after the qualification's test date {q.test_date}.")


def revocation(events: Sequence[Event], *, reason: str) -> None:
    """R6: a revocation needs a reason and happens once (irreversible)."""
    if not (reason or "").strip():
        raise RuleError("reason", "A revocation needs a reason.")
    _not_revoked(events)


# ------------------------------------------------------------------------------ R7: the check
APPROVED = "approved"
PIPE = "T"


@dataclass(frozen=True)
class Covers:
    """The ranges a qualification covers, as printed on its certificate (None: unlimited)."""

    product_forms: frozenset[str]
    weld_types: frozenset[str]
    positions: frozenset[str]
    filler_groups: frozenset[str] = frozenset()  # empty: not stated, not checked
    thickness_min: Decimal | None = None
    thickness_max: Decimal | None = None
    diameter_min: Decimal | None = None
    diameter_max: Decimal | None = None


@dataclass(frozen=True)
class Candidate:
    """One of the welder's qualifications, with its events."""

    qualification_id: str
    qualification: Qualification
    covers: Covers
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class WpsRanges:
    """What the check needs of a WPS."""

    wps_id: str
    status: str
    process: str
    positions: frozenset[str]
    root_process: str | None = None
    filler_group: str | None = None
    thickness_min: Decimal | None = None
    thickness_max: Decimal | None = None
    diameter_min: Decimal | None = None
    diameter_max: Decimal | None = None


@dataclass(frozen=True)
class EntryTarget:
    """A weld-log entry to check: the weld's figures, the entry's process and day, the lot
    and the machine as they stood that day."""

    day: dt.date
    process: str
    product_form: str
    weld_type: str
    thickness_mm: Decimal
    position: str
    diameter_mm: Decimal | None = None
    wps: WpsRanges | None = None
    lot_filler_group: str | None = None
    lot_expires_on: dt.date | None = None
    equipment_validated: bool | None = None  # None: no machine named, or none to validate


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


@dataclass(frozen=True)
class Check:
    ok: bool
    qualification: str | None  # the match, else the closest candidate
    failures: tuple[Failure, ...] = ()
    warnings: tuple[Failure, ...] = ()
    standing: Standing | None = field(default=None, compare=False)


def _mm(value) -> str:
    return f"{Decimal(value):.1f}"


def _range_text(low, high) -> str:
    if high is None:
        return f"{_mm(low or 0)} mm or more"
    return f"{_mm(low or 0)}–{_mm(high)} mm"


def _outside(value, low, high) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def _qualification_failures(
    c: Candidate, target: EntryTarget, s: Standing, filler: str | None
) -> list[Failure]:
    failures = []
    if s.status not in (VALID, EXPIRING):
        failures.append(
            Failure(
                f"QUALIFICATION_{s.status.upper()}", f"{c.qualification_id} is {s.status} on {target.day}"
            )
        )
    covers = c.covers
    if target.product_form not in covers.product_forms:
        failures.append(
            Failure("PRODUCT_FORM", f"{target.product_form} not in {', '.join(sorted(covers.product_forms))}")
        )
    if target.weld_type not in covers.weld_types:
        failures.append(
            Failure("WELD_TYPE", f"{target.weld_type} not in {', '.join(sorted(covers.weld_types))}")
        )
    if _outside(target.thickness_mm, covers.thickness_min, covers.thickness_max):
        failures.append(
            Failure(
                "THICKNESS_RANGE",
                f"{_mm(target.thickness_mm)} mm outside {_range_text(covers.thickness_min, covers.thickness_max)}",
            )
        )
    if (
        target.product_form == PIPE
        and target.diameter_mm is not None
        and _outside(target.diameter_mm, covers.diameter_min, covers.diameter_max)
    ):
        failures.append(
            Failure(
                "DIAMETER_RANGE",
                f"D {_mm(target.diameter_mm)} mm outside {_range_text(covers.diameter_min, covers.diameter_max)}",
            )
        )
    if target.position not in covers.positions:
        failures.append(
            Failure("POSITION", f"{target.position} not in {', '.join(sorted(covers.positions))}")
        )
    if filler and covers.filler_groups and filler not in covers.filler_groups:
        failures.append(Failure("FILLER_GROUP", f"{filler} not in {', '.join(sorted(covers.filler_groups))}"))
    return failures


def _wps_failures(target: EntryTarget) -> list[Failure]:
    wps = target.wps
    if wps is None:
        return []
    failures = []
    if wps.status != APPROVED:
        failures.append(Failure("WPS_NOT_APPROVED", f"{wps.wps_id} is {wps.status}"))
    if target.process not in {wps.process, wps.root_process}:
        failures.append(
            Failure("WPS_PROCESS", f"process {target.process} is not {wps.wps_id}'s {wps.process}")
        )
    if _outside(target.thickness_mm, wps.thickness_min, wps.thickness_max):
        failures.append(
            Failure(
                "WPS_RANGE",
                f"{_mm(target.thickness_mm)} mm outside {wps.wps_id}'s "
                f"{_range_text(wps.thickness_min, wps.thickness_max)}",
            )
        )
    if (
        target.product_form == PIPE
        and target.diameter_mm is not None
        and _outside(target.diameter_mm, wps.diameter_min, wps.diameter_max)
    ):
        failures.append(
            Failure(
                "WPS_RANGE",
                f"D {_mm(target.diameter_mm)} mm outside {wps.wps_id}'s "
                f"{_range_text(wps.diameter_min, wps.diameter_max)}",
            )
        )
    if wps.positions and target.position not in wps.positions:
        failures.append(Failure("WPS_RANGE", f"{target.position} not among {wps.wps_id}'s positions"))
    if target.lot_filler_group and wps.filler_group and target.lot_filler_group != wps.filler_group:
        failures.append(
            Failure("FILLER_NOT_PER_WPS", f"lot {target.lot_filler_group}, {wps.wps_id} {wps.filler_group}")
        )
    return failures


def _warnings(target: EntryTarget, matched: Standing | None) -> list[Failure]:
    warnings = []
    if matched is not None and matched.status == EXPIRING:
        warnings.append(Failure("QUALIFICATION_EXPIRING", f"{matched.days_left} days left"))
    if target.wps is None:
        warnings.append(Failure("NO_WPS", "the weld has no WPS"))
    if target.equipment_validated is False:
        warnings.append(
            Failure("EQUIPMENT_VALIDATION", f"the machine's validation was not current on {target.day}")
        )
    if target.lot_expires_on is not None and target.lot_expires_on < target.day:
        warnings.append(Failure("LOT_EXPIRED", f"the lot expired on {target.lot_expires_on}"))
    return warnings


def check_entry(
    candidates: Sequence[Candidate],
    entries: Iterable[Entry],
    target: EntryTarget,
    *,
    iso3834_part: str = "none",
) -> Check:
    """R7 for a weld-log entry. `candidates` are the welder's qualifications (any process),
    `entries` the welder's weld log (continuity of ASME/AWS qualifications)."""
    entries = list(entries)
    filler = target.lot_filler_group or (target.wps.filler_group if target.wps else None)
    wps_failures = _wps_failures(target)
    assessed = []
    for c in candidates:
        if c.qualification.process != target.process:
            continue
        s = standing(c.qualification, c.events, entries, on=target.day, iso3834_part=iso3834_part)
        assessed.append((c, s, _qualification_failures(c, target, s, filler)))
    if not assessed:
        failure = Failure("NO_QUALIFICATION_FOR_PROCESS", f"no qualification in process {target.process}")
        return Check(False, None, (failure, *wps_failures), tuple(_warnings(target, None)))
    passing = [(c, s) for c, s, f in assessed if not f]
    if passing:
        c, s = max(passing, key=lambda cs: (cs[1].effective_until, cs[0].qualification_id))
        return Check(
            not wps_failures, c.qualification_id, tuple(wps_failures), tuple(_warnings(target, s)), s
        )
    c, s, failures = min(assessed, key=lambda csf: (len(csf[2]), -csf[1].effective_until.toordinal()))
    return Check(False, c.qualification_id, (*failures, *wps_failures), tuple(_warnings(target, None)), s)


def refusal_detail(check: Check, welder: str, target_name: str) -> str:
    """R8's sentence: "EMP-01 is not qualified for W1: THICKNESS_RANGE 25.0 mm outside
    3.0–20.0 mm (ISO-135-01)"."""
    reasons = "; ".join(f"{f.code} {f.message}" for f in check.failures)
    suffix = f" ({check.qualification})" if check.qualification else ""
    return f"{welder} is not qualified for {target_name}: {reasons}{suffix}"


# ------------------------------------------------------------------ R7: a work order's welder
@dataclass(frozen=True)
class WorkOrderTarget:
    """A work order's WPS, as the assignment check sees it, and the day of the check."""

    day: dt.date
    wps: WpsRanges
    product_forms: frozenset[str]
    weld_types: frozenset[str]


def _assignment_failures(c: Candidate, target: WorkOrderTarget, s: Standing) -> list[Failure]:
    failures = []
    if s.status not in (VALID, EXPIRING):
        failures.append(
            Failure(
                f"QUALIFICATION_{s.status.upper()}", f"{c.qualification_id} is {s.status} on {target.day}"
            )
        )
    covers = c.covers
    if not covers.product_forms & target.product_forms:
        failures.append(
            Failure(
                "PRODUCT_FORM",
                f"{', '.join(sorted(covers.product_forms))} and {target.wps.wps_id}'s "
                f"{', '.join(sorted(target.product_forms))} have none in common",
            )
        )
    if not covers.weld_types & target.weld_types:
        failures.append(
            Failure(
                "WELD_TYPE",
                f"{', '.join(sorted(covers.weld_types))} and {target.wps.wps_id}'s "
                f"{', '.join(sorted(target.weld_types))} have none in common",
            )
        )
    filler = target.wps.filler_group
    if filler and covers.filler_groups and filler not in covers.filler_groups:
        failures.append(Failure("FILLER_GROUP", f"{filler} not in {', '.join(sorted(covers.filler_groups))}"))
    return failures


def _best_in_process(
    candidates: Sequence[Candidate],
    entries: list[Entry],
    target: WorkOrderTarget,
    process: str,
    iso3834_part: str,
) -> tuple[Candidate | None, Standing | None, list[Failure]]:
    """The match in `process` (no failures, latest effective_until), else the closest
    candidate with its failures, else (None, None, [NO_QUALIFICATION_FOR_PROCESS])."""
    assessed = []
    for c in candidates:
        if c.qualification.process != process:
            continue
        s = standing(c.qualification, c.events, entries, on=target.day, iso3834_part=iso3834_part)
        assessed.append((c, s, _assignment_failures(c, target, s)))
    if not assessed:
        return None, None, [Failure("NO_QUALIFICATION_FOR_PROCESS", f"no qualification in process {process}")]
    passing = [(c, s) for c, s, f in assessed if not f]
    if passing:
        c, s = max(passing, key=lambda cs: (cs[1].effective_until, cs[0].qualification_id))
        return c, s, []
    return min(assessed, key=lambda csf: (len(csf[2]), -csf[1].effective_until.toordinal()))


def check_work_order(
    candidates: Sequence[Candidate],
    entries: Iterable[Entry],
    target: WorkOrderTarget,
    *,
    iso3834_part: str = "none",
) -> Check:
    """R7 for a work order with a WPS and an assigned welder, as of `target.day` (today): a
    qualification in the WPS's process, valid or expiring, whose product forms and weld types
    meet the WPS's and whose filler groups hold the WPS's; a `root_process` needs a
    qualification of its own passing the same tests; the WPS must be approved. Warnings:
    `QUALIFICATION_EXPIRING` (of the match)."""
    entries = list(entries)
    wps = target.wps
    c, s, failures = _best_in_process(candidates, entries, target, wps.process, iso3834_part)
    failures = list(failures)
    warnings = []
    if not failures and s is not None and s.status == EXPIRING:
        warnings.append(Failure("QUALIFICATION_EXPIRING", f"{s.days_left} days left"))
    if wps.root_process and wps.root_process != wps.process:
        _rc, rs, root_failures = _best_in_process(candidates, entries, target, wps.root_process, iso3834_part)
        failures.extend(
            Failure(f.code, f"root process {wps.root_process}: {f.message}") for f in root_failures
        )
        if not root_failures and rs is not None and rs.status == EXPIRING:
            warnings.append(Failure("QUALIFICATION_EXPIRING", f"root process: {rs.days_left} days left"))
    if wps.status != APPROVED:
        failures.append(Failure("WPS_NOT_APPROVED", f"{wps.wps_id} is {wps.status}"))
    return Check(not failures, c.qualification_id if c else None, tuple(failures), tuple(warnings), s)
