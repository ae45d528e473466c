"""The query string of `/api/v1/analytics/…`: one parser for every endpoint.

Common to all: `from`, `to` (dates, inclusive, in `TIME_ZONE`; default the last 90 days
ending today), `interval` (`day`, `week`, `month`; default `week`) and `format` (`json`,
`csv`, `xlsx`). Each endpoint names the extra parameters it takes (`group_by`,
`window_days`, …) with their rules; anything else, a malformed value, `from` after `to`, or
a range of more than `MAX_BUCKETS` buckets is a 422 naming the parameter. A blank date is
no date (what an HTML form sends for a field left empty, as in the lists' date filters); a
blank choice or number is a 422, as a blank `order` is in the lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from workshop.api.exceptions import UnprocessableEntity
from workshop.api.fields import parse_lenient_date
from workshop.api.filters import reject_repeated
from workshop.api.params import given_names

DEFAULT_DAYS = 90
INTERVALS = ("day", "week", "month")
DEFAULT_INTERVAL = "week"
FORMATS = ("json", "csv", "xlsx")
MAX_BUCKETS = 1000
# Dates an answer may cover: wide enough for any shop's records, and far enough from the
# calendar's ends that every period boundary (a week's Monday, the day after) exists.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
COMMON = ("from", "to", "interval", "format")


@dataclass(frozen=True)
class Choice:
    """A parameter with a fixed set of values (`group_by=method`)."""

    values: tuple[str, ...]
    default: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Number:
    """A whole-number parameter within `minimum`..`maximum`."""

    default: int
    minimum: int
    maximum: int
    doc: str = ""


@dataclass(frozen=True)
class AnalyticsQuery:
    start: dt.date
    end: dt.date
    interval: str
    format: str
    today: dt.date
    options: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.options[name]

    def cache_params(self) -> dict[str, Any]:
        """Every input of the answer (the cache key is made of these)."""
        return {
            "from": self.start,
            "to": self.end,
            "interval": self.interval,
            "today": self.today,
            **{f"o_{k}": v for k, v in sorted(self.options.items())},
        }


def _date(raw: str | None, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    text = (raw or "").strip()
    if not text:
        return None
    parsed = parse_lenient_date(text)
    if parsed is None:
        errors[name] = ["Enter a date as YYYY-MM-DD (or an ISO datetime)."]
    elif not FIRST_DAY <= parsed <= LAST_DAY:
        errors[name] = [f"Must be from {FIRST_DAY} to {LAST_DAY}."]
        return None
    return parsed


def _choice(raw: str | None, name: str, spec: Choice, errors) -> str | None:
    if raw is None:
        return spec.default
    text = raw.strip().lower()
    if text not in spec.values:  # blank too: leave the parameter out for the default
        errors[name] = [f"Must be one of: {', '.join(spec.values)}."]
        return spec.default
    return text


def _number(raw: str | None, name: str, spec: Number, errors) -> int:
    if raw is None:
        return spec.default
    text = raw.strip()
    if not text.isdigit() or not spec.minimum <= int(text) <= spec.maximum:
        errors[name] = [f"Must be a whole number from {spec.minimum} to {spec.maximum}."]
        return spec.default
    return int(text)


def parse(
    query_params,
    *,
    extra: Mapping[str, Choice | Number] | None = None,
    passthrough: Sequence[str] = (),
    today: dt.date | None = None,
) -> AnalyticsQuery:
    """The query of one request. `extra` are the endpoint's own parameters; `passthrough`
    names parameters the endpoint checks itself (sorting), kept as given in `options`."""
    from dashboard.analytics.buckets import bucket_count  # noqa: PLC0415 (no cycle at import)

    extra = dict(extra or {})
    allowed = (*COMMON, *extra, *passthrough)
    unknown = sorted(given_names(query_params) - set(allowed))
    if unknown:
        raise UnprocessableEntity(
            {name: [f"Unknown query parameter. Allowed: {', '.join(allowed)}."] for name in unknown}
        )
    reject_repeated(query_params)
    errors: dict[str, list[str]] = {}
    today = today or timezone.localdate()
    start = _date(query_params.get("from"), "from", errors)
    end = _date(query_params.get("to"), "to", errors)
    interval = _choice(query_params.get("interval"), "interval", Choice(INTERVALS, DEFAULT_INTERVAL), errors)
    fmt = _choice(query_params.get("format"), "format", Choice(FORMATS, "json"), errors)
    options: dict[str, Any] = {}
    for name, spec in extra.items():
        raw = query_params.get(name)
        options[name] = (
            _choice(raw, name, spec, errors) if isinstance(spec, Choice) else _number(raw, name, spec, errors)
        )
    for name in passthrough:  # checked by the endpoint (e.g. sorting); part of the cache key
        options[name] = query_params.get(name)
    if errors:
        raise UnprocessableEntity(errors)
    if end is None:
        end = today if start is None or start <= today else start
    if start is None:
        start = max(end - dt.timedelta(days=DEFAULT_DAYS - 1), FIRST_DAY)
    if start > end:
        raise UnprocessableEntity({"from": ["Must be on or before `to`."]})
    count = bucket_count(start, end, interval)
    if count > MAX_BUCKETS:
        raise UnprocessableEntity(
            {
                "interval": [
                    f"{count} buckets from `from` to `to`; at most {MAX_BUCKETS}: use a longer interval."
                ]
            }
        )
    return AnalyticsQuery(start=start, end=end, interval=interval, format=fmt, today=today, options=options)
