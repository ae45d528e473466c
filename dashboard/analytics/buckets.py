"""The periods of an analytics answer, in `TIME_ZONE`.

A bucket is a day, an ISO week (Monday to Sunday) or a calendar month, **clipped to the
range**: with `from` on a Wednesday the first weekly bucket runs Wednesday..Sunday, so a
figure never counts a row outside `from`..`to`. Every bucket of the range is present, in
order, even when nothing happened in it. Labels: `2026-12-06`, `2026-W49` (the ISO year,
which differs from the calendar year around New Year: 2027-01-01 is in `2026-W53`),
`2026-12`.

Rows are put in buckets by the database: `period_of(expression, interval)` is the first
day of the period (day, Monday, first of the month) that a date expression falls in, and
`local_date(field)` is the date of a datetime column in `TIME_ZONE` (so a moment one second
past local midnight is on the next day, across DST changes too). Grouping by that and
looking the period start up in `Buckets.index` is the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.db.models.functions import Trunc, TruncDate
from django.utils import timezone

from workshop.api.filters import local_day_start


def period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown interval {interval!r}")


def next_period(start: dt.date, interval: str) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if interval == "day":
        return start + dt.timedelta(days=1)
    if interval == "week":
        return start + dt.timedelta(days=7)
    if start.month == 12:
        return dt.date(start.year + 1, 1, 1)
    return dt.date(start.year, start.month + 1, 1)


def label(start: dt.date, interval: str) -> str:
    if interval == "day":
        return start.isoformat()
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year:04d}-{start.month:02d}"


def bucket_count(start: dt.date, end: dt.date, interval: str) -> int:
    first, last = period_start(start, interval), period_start(end, interval)
    if interval == "day":
        return (last - first).days + 1
    if interval == "week":
        return (last - first).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Bucket:
    start: dt.date  # first day, inclusive (clipped to `from`)
    end: dt.date  # last day, inclusive (clipped to `to`)
    label: str

    @property
    def next_day(self) -> dt.date:
        return self.end + dt.timedelta(days=1)


class Buckets:
    """The buckets of `start`..`end` (inclusive) by `interval`."""

    def __init__(self, start: dt.date, end: dt.date, interval: str):
        self.start, self.end, self.interval = start, end, interval
        items = []
        period = period_start(start, interval)
        while period <= end:
            following = next_period(period, interval)
            items.append(
                Bucket(
                    start=max(period, start),
                    end=min(following - dt.timedelta(days=1), end),
                    label=label(period, interval),
                )
            )
            period = following
        self.items: list[Bucket] = items
        self._starts = {period_start(b.start, interval): i for i, b in enumerate(items)}
        self._first_period = period_start(start, interval)
        self._last_period = period_start(end, interval)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def index(self, period) -> int | None:
        """The bucket of a period start the database computed (`period_of`), None when the
        period is not in the range (rows are filtered to the range first)."""
        return self._starts.get(as_date(period))

    def position(self, period) -> int | None:
        """Like `index`, but a period before the range is -1 and one after it is
        `len(self)`; None (no date) stays None."""
        period = as_date(period)
        if period is None:
            return None
        if period < self._first_period:
            return -1
        if period > self._last_period:
            return len(self.items)
        return self._starts[period]

    def of_day(self, day: dt.date) -> int | None:
        """The bucket a date is in (None outside the range)."""
        if day < self.start or day > self.end:
            return None
        return self._starts[period_start(day, self.interval)]

    @cached_property
    def first_moment(self) -> dt.datetime:
        """Local midnight starting `from`."""
        return local_day_start(self.start)

    @cached_property
    def end_moment(self) -> dt.datetime:
        """Local midnight after `to` (exclusive end of the range)."""
        return local_day_start(self.end + dt.timedelta(days=1))

    def moments(self, field: str) -> models.Q:
        """Rows whose datetime `field` falls in the range."""
        return models.Q(**{f"{field}__gte": self.first_moment, f"{field}__lt": self.end_moment})

    def days(self, field: str) -> models.Q:
        """Rows whose date `field` falls in the range."""
        return models.Q(**{f"{field}__gte": self.start, f"{field}__lte": self.end})


def as_date(value) -> dt.date | None:
    """A date from what the database returns for a date expression (a date, a datetime on
    some backends' truncations, or ISO text from SQLite's functions)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def local_date(field: str | models.Expression) -> TruncDate:
    """The date of a datetime column in TIME_ZONE."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


class AsDate(models.Func):
    """A truncation's timestamp as a date on PostgreSQL (`DATE_TRUNC` of a date gives a
    timestamp, which the driver would parse, zone and all, in Python for every row); as it
    is elsewhere (SQLite's truncation is already ISO date text)."""

    output_field = models.DateField()
    template = "%(expressions)s"
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)::date", **extra)


def period_of(expression, interval: str):
    """The first day of the `interval` period a date expression falls in."""
    if interval == "day":
        return expression
    return AsDate(Trunc(expression, interval, output_field=models.DateField()))


class SecondsBetween(models.Func):
    """Whole seconds from one datetime column to another (`end - start`), each cut to the
    second first, as an integer: the same number on PostgreSQL and SQLite (SQLite keeps
    datetimes as UTC text)."""

    output_field = models.BigIntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"SecondsBetween has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template=("CAST(EXTRACT(EPOCH FROM DATE_TRUNC('second', %(expressions)s)) AS BIGINT)"),
            arg_joiner=")) AS BIGINT) - CAST(EXTRACT(EPOCH FROM DATE_TRUNC('second', ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # unixepoch() (SQLite >= 3.38) drops the fraction of a second, as DATE_TRUNC does
        return super().as_sql(
            compiler, connection, template="unixepoch(%(expressions)s)", arg_joiner=") - unixepoch(", **extra
        )


def seconds_between(start: str, end: str) -> SecondsBetween:
    """`end - start` in whole seconds (the arguments in the template's order: end first)."""
    return SecondsBetween(models.F(end), models.F(start))
