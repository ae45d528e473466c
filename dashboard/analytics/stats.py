"""Rates and percentiles, computed in Python from exact values so that PostgreSQL and
SQLite give the same figure.

- A rate is `part / whole` to 4 decimals (half up), `None` when `whole` is 0 (the
  dashboard's `rate`).
- A percentile is the linear interpolation between the two closest ranks (PostgreSQL's
  `percentile_cont`, numpy's default, Python's `statistics.quantiles(method="inclusive")`):
  for `n` sorted values and fraction `p`, `h = (n - 1) * p`, the value is
  `v[floor(h)] + (h - floor(h)) * (v[ceil(h)] - v[floor(h)])`. `grouped_percentiles` asks
  the database: PostgreSQL's `percentile_cont` (one sort per group), whose float is made
  exact again here (the percentile of whole numbers at a fraction a/b is a multiple of 1/b);
  elsewhere (SQLite) only the rows at those ranks, by window functions
  (`percentile_ranks`), the arithmetic done here with fractions. The same figure either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from dashboard.selectors import rate

__all__ = ["MEDIAN", "P90", "days", "interpolate", "rank_window", "rate"]

MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
DAY_SECONDS = 86400
DAYS_QUANTUM = Decimal("0.01")


def rank_window(n: int, p: Fraction) -> tuple[int, int]:
    """The 0-based ranks whose values a percentile interpolates between."""
    h = (n - 1) * p
    return math.floor(h), math.ceil(h)


def interpolate(values_at: dict[int, int], n: int, p: Fraction) -> Fraction | None:
    """The `p` percentile of `n` sorted values, given the values at (at least) the ranks
    `rank_window(n, p)` (0-based rank → value); None when there are no values."""
    if n <= 0:
        return None
    h = (n - 1) * p
    lo, hi = math.floor(h), math.ceil(h)
    low = Fraction(values_at[lo])
    return low + (h - lo) * (Fraction(values_at[hi]) - low)


def days(seconds: Fraction | int | None) -> Decimal | None:
    """A duration in seconds as days with 2 decimals (half up)."""
    if seconds is None:
        return None
    exact = Fraction(seconds) / DAY_SECONDS
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        DAYS_QUANTUM, rounding=ROUND_HALF_UP
    )


def percentiles(values: Iterable[int], fractions: Sequence[Fraction]) -> list[Fraction | None]:
    """The percentiles of plain values (tests and small inputs)."""
    ordered = sorted(values)
    n = len(ordered)
    return [interpolate(dict(enumerate(ordered)), n, p) for p in fractions]


def percentile_ranks(queryset, *, value, partition: dict, fractions: Sequence[Fraction]):
    """For each partition of `queryset` (annotations `partition`, e.g. the bucket), the
    number of rows and the values at the ranks the `fractions`' percentiles need: one query,
    ranking with window functions and keeping only the rows near `(n - 1) * p` (a couple
    per percentile). Returns `{partition values: (n, {rank: value})}`; feed it to
    `interpolate`."""
    from django.db.models import Count, F, Q, Value, Window  # noqa: PLC0415
    from django.db.models.functions import RowNumber  # noqa: PLC0415

    keys = list(partition)
    by = [F(k) for k in keys]
    ranked = queryset.annotate(_v=value, **partition).annotate(
        _rn=Window(RowNumber(), partition_by=by, order_by=[F("_v").asc(), F("pk").asc()]),
        _n=Window(Count("*"), partition_by=by),
    )
    near = Q()
    for p in fractions:
        h = (F("_n") - 1) * Value(float(p))
        # 1-based rank r is 0-based r - 1; keep r - 1 within (h - 1, h + 1): floor(h) and ceil(h)
        near |= Q(_rn__gt=h, _rn__lt=h + 2)
    result: dict[tuple, tuple[int, dict[int, int]]] = {}
    for *group, n, rn, v in ranked.filter(near).values_list(*keys, "_n", "_rn", "_v").order_by():
        entry = result.setdefault(tuple(group), (n, {}))
        entry[1][rn - 1] = v
    return result


class _PercentilesCont:
    """`percentile_cont(ARRAY[p, …]) WITHIN GROUP (ORDER BY value)` (PostgreSQL): built
    lazily so that SQLite-only code paths never import `django.contrib.postgres`."""

    @staticmethod
    def expression(value, fractions: Sequence[Fraction]):
        from django.contrib.postgres.fields import ArrayField  # noqa: PLC0415
        from django.db.models import Aggregate, FloatField  # noqa: PLC0415

        class PercentilesCont(Aggregate):
            function = "percentile_cont"
            template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"
            output_field = ArrayField(FloatField())

        listed = ", ".join(f"{float(p)!r}::float8" for p in fractions)
        return PercentilesCont(value, fractions=listed)


def _exact(value: float, p: Fraction) -> Fraction:
    """`percentile_cont`'s float of whole numbers at fraction p = a/b, as the exact multiple
    of 1/b it stands for (the float is off by far less than 1/(2b) below 2**40)."""
    return Fraction(round(value * p.denominator), p.denominator)


def grouped_percentiles(
    queryset, *, value, partition: dict, fractions: Sequence[Fraction]
) -> dict[tuple, tuple[int, list[Fraction | None]]]:
    """`{partition values: (n, [percentile for each fraction])}` for each partition of
    `queryset` (annotations `partition`, e.g. `{"p": period}`; `{}` for the whole queryset,
    keyed `()`), in one query. Whole-number values only (seconds)."""
    from django.db import connections  # noqa: PLC0415
    from django.db.models import Count  # noqa: PLC0415

    if connections[queryset.db].vendor == "postgresql":
        figures = {"_n": Count("*"), "_p": _PercentilesCont.expression(value, fractions)}
        if partition:
            rows = [
                (tuple(row[k] for k in partition), row["_n"], row["_p"])
                for row in queryset.order_by().values(**partition).annotate(**figures)
            ]
        else:
            total = queryset.order_by().aggregate(**figures)
            rows = [((), total["_n"], total["_p"])] if total["_n"] else []
        return {
            key: (n, [_exact(v, p) for v, p in zip(values, fractions, strict=True)])
            for key, n, values in rows
        }
    ranked = percentile_ranks(
        queryset, value=value, partition=partition or {"all_": _one()}, fractions=fractions
    )
    return {
        (key if partition else ()): (n, [interpolate(values, n, p) for p in fractions])
        for key, (n, values) in ranked.items()
    }


def _one():
    from django.db.models import Value  # noqa: PLC0415

    return Value(1)
