"""The welder-qualification rules of WELDING.md §3 as pure functions: dates and plain records
in, results out, no ORM (so every rule is unit-tested on its own, and `as_of` audits a past
day by passing that day).

So far: R1 (status on a day), R2 (`valid_until`) and R3 (`continuity_due`, per standard), with
`add_months` (calendar months, clamped to the month's end). The models, the actions (R4–R6) and
the welder check (R7–R8) build on these (issue 12).

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

Everything is "as of" a day: events and entries dated after it are not yet known.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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


class RuleError(ValueError):
    """A record the rules refuse (a 422 naming `field` where the API meets it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


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


def standing(
    q: Qualification,
    events: Iterable[Event] = (),
    entries: Iterable[Entry] = (),
    *,
    on: dt.date,
    iso3834_part: str = "none",
) -> Standing:
    """R1 on day `on`, from R2 and R3 as of that day."""
    events = _known(events, on)
    until = valid_until(q, events, iso3834_part=iso3834_part, as_of=on)
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
