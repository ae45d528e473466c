"""A machine's calibration or validation state on a day (WELDING.md §2 Equipment, R7's
`EQUIPMENT_VALIDATION` warning; ISO 3834-2 §16 and IEC 60974-14 [S6, S8]): pure functions,
dates and records in, results out, no ORM. `equipment.calibrations` loads the records in bulk.

Decisions (docs/welding.md, "Issue 13: calibrations"):
- Validations and calibrations count alike: either one proves the machine on the day.
- Only records performed on or before the day count (an auditor asks what was known that
  day); the latest of those decides (ties on the same day: the one recorded last, `seq`).
- The latest record failed → `failed`, whatever an earlier pass would still cover: a failed
  check takes the machine out until a new passing one.
- `valid_until` is the last valid day: on that day the machine is still `due_soon`, the day
  after `overdue` (as WELDING.md §8 treats a qualification's due date).
- `due_soon`: `valid_until` at most 30 days after the day.
- No interval (`calibration_interval_days` null) → `not_required`, whatever is recorded; an
  interval without any record (as of the day) → `none`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

NOT_REQUIRED = "not_required"
NONE = "none"
VALID = "valid"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
FAILED = "failed"
STATUSES = (NOT_REQUIRED, NONE, VALID, DUE_SOON, OVERDUE, FAILED)

PASS = "pass"  # noqa: S105 (a result, not a password)
FAIL = "fail"
DUE_SOON_DAYS = 30
DEFAULT_INTERVAL_DAYS = 365


@dataclass(frozen=True)
class Calibration:
    """One calibration or validation record: `seq` orders records of the same day (the id)."""

    performed_on: dt.date
    result: str  # "pass" or "fail"
    valid_until: dt.date
    kind: str = "validation"
    seq: int = 0


def default_valid_until(performed_on: dt.date, interval_days: int | None) -> dt.date:
    """`performed_on` + the equipment's interval, else 365 days [S8: "at least every year"]."""
    return performed_on + dt.timedelta(days=interval_days or DEFAULT_INTERVAL_DAYS)


def latest_on(calibrations: Iterable[Calibration], on: dt.date) -> Calibration | None:
    """The latest record performed on or before `on` (None: none yet)."""
    known = [c for c in calibrations if c.performed_on <= on]
    return max(known, key=lambda c: (c.performed_on, c.seq)) if known else None


def calibration_status(interval_days: int | None, calibrations: Iterable[Calibration], on: dt.date) -> str:
    """`not_required`, `none`, `failed`, `overdue`, `due_soon` or `valid` on day `on`."""
    if interval_days is None:
        return NOT_REQUIRED
    latest = latest_on(calibrations, on)
    if latest is None:
        return NONE
    if latest.result != PASS:
        return FAILED
    if latest.valid_until < on:
        return OVERDUE
    if (latest.valid_until - on).days <= DUE_SOON_DAYS:
        return DUE_SOON
    return VALID


def calibration_due(
    interval_days: int | None, calibrations: Iterable[Calibration], on: dt.date
) -> dt.date | None:
    """The last day the machine counts as calibrated, as of `on`: the latest record's
    `valid_until` when it passed; a failed latest record is due at once (its `performed_on`);
    None when no calibration is required or none is recorded yet."""
    if interval_days is None:
        return None
    latest = latest_on(calibrations, on)
    if latest is None:
        return None
    return latest.valid_until if latest.result == PASS else latest.performed_on


def validated_on(
    calibrations: Iterable[Calibration], day: dt.date, *, interval_days: int | None = None
) -> bool | None:
    """Whether the machine was validated on `day` (R7's `EQUIPMENT_VALIDATION`):
    - True: the latest record performed on or before `day` passed and its `valid_until` is on
      or after `day`;
    - False: it failed, or it had run out, or records exist but none was performed by then, or
      the machine needs calibration (`interval_days` set) and has no record at all;
    - None: nothing to judge (no interval and no record: a machine nobody calibrates)."""
    calibrations = list(calibrations)
    if not calibrations:
        return None if interval_days is None else False
    latest = latest_on(calibrations, day)
    if latest is None or latest.result != PASS:
        return False
    return latest.valid_until >= day
