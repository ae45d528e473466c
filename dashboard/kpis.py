"""The welding KPIs' arithmetic (WELDING.md R11), as pure functions: counts and sums in,
figures out. No ORM here: `dashboard/welding.py` gathers the counts in SQL and calls these,
and the tests call them directly too.

- Rates have 4 decimals, rounded half up (0.00005 → 0.0001), as `Decimal` (JSON numbers in
  the answers); `None` when the denominator is 0 (an empty population).
- Arc hours have 2 decimals, rounded half up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.0001")
HOUR_PLACES = Decimal("0.01")
EXPIRING_HORIZONS = (30, 60, 90)


def number(value) -> Decimal:
    """A sum from the database (int, float, Decimal or None) as an exact Decimal (floats by
    their shortest repr: SQLite sums decimals as floats)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def rate(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator to 4 decimals, half up; None when the denominator is 0."""
    num, den = number(numerator), number(denominator)
    if den == 0:
        return None
    return (num / den).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def hours(seconds) -> Decimal:
    """Seconds as hours, 2 decimals, half up."""
    return (number(seconds) / 3600).quantize(HOUR_PLACES, rounding=ROUND_HALF_UP)


def repair_figures(*, welds: int, failed: int, length_unknown: int, rejected_mm, examined_mm) -> dict:
    """One population's (or one group's) repair rates: joint = failed ÷ welds; length =
    rejected ÷ examined over the welds whose examined length is known (the others are in
    `length_unknown` and in neither sum)."""
    return {
        "welds": welds,
        "failed": failed,
        "joint": rate(failed, welds),
        "rejected_length_mm": number(rejected_mm),
        "examined_length_mm": number(examined_mm),
        "length": rate(rejected_mm, examined_mm),
        "length_unknown": length_unknown,
    }


def pareto(counts: Mapping[str, int], labels: Mapping[str, str] | None = None) -> list[dict]:
    """Counts by code, largest first (ties by code), each with its share and the cumulative
    share of the total (4 decimals; the last row's cumulative share is 1)."""
    labels = labels or {}
    rows = sorted(((code, n) for code, n in counts.items() if n), key=lambda row: (-row[1], row[0]))
    total = sum(n for _, n in rows)
    running = 0
    out = []
    for code, n in rows:
        running += n
        out.append(
            {
                "code": code,
                "label": labels.get(code, code),
                "count": n,
                "share": rate(n, total),
                "cumulative_share": rate(running, total),
            }
        )
    return out


def expiring_in(effective_until: Iterable[dt.date], *, on: dt.date) -> dict[str, int]:
    """How many of these (still-valid qualifications' `effective_until`) end within 30, 60
    and 90 days of `on` (cumulative: within 60 includes within 30; the last day counted is
    `on` + N)."""
    days_left = [(day - on).days for day in effective_until]
    return {str(n): sum(1 for d in days_left if d <= n) for n in EXPIRING_HORIZONS}
