"""List mechanics shared by every resource: strict query parameters, filtering, search,
sorting. A bad value for any of them is a 422 (never silently ignored, never a 500).

Each app's `filters.py` subclasses `BaseFilterSet`, and its ViewSet names
`search_fields` and `ordering_fields`.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import BaseFilterBackend, SearchFilter

from workshop.api.exceptions import UnprocessableEntity
from workshop.api.fields import normalise_label, parse_lenient_date
from workshop.api.pagination import PAGINATION_PARAMS
from workshop.api.params import given_names

LIST_ACTIONS = {"list", "export"}
SORT_PARAMS = ("sort_by", "order", "ordering")
GENERAL_PARAMS = ("search", "fields", "format")


# ---------------------------------------------------------------- form fields and filters
class LenientDateFormField(forms.DateField):
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD (or an ISO datetime)."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = parse_lenient_date(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


# A date query parameter: `YYYY-MM-DD`, or empty for no bound (what an HTML filter form sends
# for a field left blank).
DATE_QUERY_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}


@extend_schema_field(DATE_QUERY_SCHEMA)
class LenientDateFilter(django_filters.DateFilter):
    field_class = LenientDateFormField


class StrictBooleanFormField(forms.Field):
    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Must be true or false.", code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    """`true|false` (or 1/0, yes/no); anything else is a 422 rather than ignored."""

    field_class = StrictBooleanFormField


ID_MAX = 2**63 - 1  # a 64-bit id column (BigAutoField); a larger number cannot be bound


class IdFormField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -ID_MAX - 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": -ID_MAX - 1, "maximum": ID_MAX})
class IdFilter(django_filters.Filter):
    """A related record's id: a whole number (anything else is a 422); an id that does not
    exist simply matches nothing."""

    field_class = IdFormField


class ChoiceListFormField(forms.CharField):
    """A comma list of choice values or labels (`pending,In Progress`) → list of values."""

    def __init__(self, *args, choices=(), aliases=None, **kwargs):
        self.lookup = {}
        for value, label in choices:
            self.lookup[normalise_label(value)] = value
            self.lookup[normalise_label(label)] = value
        for alias, value in (aliases or {}).items():
            self.lookup[normalise_label(alias)] = value
        self.valid = sorted({v for v, _ in choices})
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value or not value.strip():
            return None  # given empty: the filter left out
        result = []
        for part in value.split(","):
            if not part.strip():  # `pending,,on_hold`, `,`: a value missing from the list
                raise forms.ValidationError(
                    "A comma list of values, none of them empty; valid: %(valid)s.",
                    code="invalid_choice",
                    params={"valid": ", ".join(self.valid)},
                )
            key = normalise_label(part)
            if key not in self.lookup:
                # The input goes in as a parameter: a `%` in it must not be read as a format.
                raise forms.ValidationError(
                    "'%(value)s' is not one of: %(valid)s.",
                    code="invalid_choice",
                    params={"value": part.strip(), "valid": ", ".join(self.valid)},
                )
            result.append(self.lookup[key])
        return result or None


@extend_schema_field(OpenApiTypes.STR)
class ChoiceListFilter(django_filters.Filter):
    """Matches any of a comma list of choices, tolerant of labels like the API's fields."""

    field_class = ChoiceListFormField

    def __init__(self, *args, choices=(), aliases=None, **kwargs):
        super().__init__(*args, choices=choices, aliases=aliases, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in TIME_ZONE."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def local_days_q(field: str, start: dt.date | None = None, end: dt.date | None = None) -> Q:
    """Moments of a datetime `field` on the days `start`..`end` (inclusive, in TIME_ZONE; either
    may be None). The calendar's first and last days are open ends: no bound to compute (one
    past 9999-12-31 does not exist) and none needed."""
    q = Q()
    if start is not None and start > dt.date.min:
        q &= Q(**{f"{field}__gte": local_day_start(start)})
    if end is not None and end < dt.date.max:
        q &= Q(**{f"{field}__lt": local_day_start(end + dt.timedelta(days=1))})
    return q


class LocalDayFilter(LenientDateFilter):
    """A date bound on a datetime field, inclusive, in TIME_ZONE: `bound="from"` keeps
    moments from the start of the day, `bound="to"` keeps moments before the next day."""

    def __init__(self, *args, bound: str, **kwargs):
        if bound not in ("from", "to"):
            raise ValueError("bound is 'from' or 'to'")
        self.bound = bound
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if self.bound == "from":
            return qs.filter(local_days_q(self.field_name, start=value))
        return qs.filter(local_days_q(self.field_name, end=value))


class BaseFilterSet(django_filters.FilterSet):
    """`created_from`/`created_to` (dates, inclusive, in TIME_ZONE) on every list."""

    def get_form_class(self):
        # django-filter builds a new form class (every filter's form field, then `type()`)
        # for each request; the filters are the same for every request, so one class per
        # FilterSet serves them all (each form instance still copies its fields).
        form_class = type(self).__dict__.get("_cached_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._cached_form_class = form_class
        return form_class

    created_from = LocalDayFilter(field_name="created_at", bound="from", label="Created on or after (date)")
    created_to = LocalDayFilter(field_name="created_at", bound="to", label="Created on or before (date)")


# ---------------------------------------------------------------- backends
def _is_list(view) -> bool:
    return getattr(view, "action", None) in LIST_ACTIONS


class StrictQueryParamsBackend(BaseFilterBackend):
    """An unknown query parameter on a list is a 422: a typo must not return every row."""

    def filter_queryset(self, request, queryset, view):
        if not _is_list(view):
            return queryset
        allowed = set(PAGINATION_PARAMS) | set(SORT_PARAMS) | set(GENERAL_PARAMS)
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        allowed |= set(getattr(view, "extra_query_params", ()))
        unknown = sorted(given_names(request.query_params) - allowed)
        if unknown:
            raise UnprocessableEntity(
                {
                    name: [f"Unknown query parameter. Allowed: {', '.join(sorted(allowed))}."]
                    for name in unknown
                }
            )
        join_repeated_lists(request, filterset_class)
        reject_repeated(request.query_params)
        if "fields" in request.query_params and hasattr(view, "get_serializer") and view.action != "export":
            # (an export's `fields` are its columns, checked by the export itself)
            # Building the serializer's fields checks `fields=` (422), also when no row will be.
            view.get_serializer().get_fields()
        return queryset


def join_repeated_lists(request, filterset_class) -> None:
    """A comma-list parameter (a choice list, `fields`) given as repeated keys
    (`status=a&status=b`, as some generated clients send arrays whatever the schema's
    `explode: false`) counts as its comma list (`status=a,b`)."""
    query = request._request.GET
    lists = {"fields"}
    if filterset_class is not None:
        lists |= {name for name, f in filterset_class.base_filters.items() if isinstance(f, ChoiceListFilter)}
    repeated = [name for name in lists if len(query.getlist(name)) > 1]
    if repeated:
        query = query.copy()
        for name in repeated:
            query.setlist(name, [",".join(query.getlist(name))])
        request._request.GET = query


def reject_repeated(query_params) -> None:
    """A parameter given twice (`?due_from=…&due_from=…`) is a 422: which one counts would
    be a guess. Several values go in one comma list (`status=pending,on_hold`)."""
    repeated = sorted(name for name in query_params if len(query_params.getlist(name)) > 1)
    if repeated:
        raise UnprocessableEntity(
            {
                name: ["Given more than once. Give it once (several values: a comma list)."]
                for name in repeated
            }
        )


class FilterBackend(DjangoFilterBackend):
    """django-filter on lists only (a detail is never filtered away by list parameters)."""

    def filter_queryset(self, request, queryset, view):
        if not _is_list(view):
            return queryset
        return super().filter_queryset(request, queryset, view)


MAX_SEARCH_TERMS = 10
MAX_SEARCH_TERM_LENGTH = 100


class SearchBackend(SearchFilter):
    """`search=`: every word must match one of the view's text fields. At most
    MAX_SEARCH_TERMS words of MAX_SEARCH_TERM_LENGTH characters (else 422): each word is one
    more case-insensitive scan of every search field, and a few hundred of them would hold a
    worker (and the database) for many seconds."""

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        if len(terms) > MAX_SEARCH_TERMS:
            raise UnprocessableEntity({"search": [f"At most {MAX_SEARCH_TERMS} words."]})
        if any(len(term) > MAX_SEARCH_TERM_LENGTH for term in terms):
            raise UnprocessableEntity({"search": [f"Words of at most {MAX_SEARCH_TERM_LENGTH} characters."]})
        return terms

    def filter_queryset(self, request, queryset, view):
        if not _is_list(view):
            return queryset
        return super().filter_queryset(request, queryset, view)


class SortBackend(BaseFilterBackend):
    """`sort_by=<field>&order=asc|desc` or `ordering=-due_date,client`; default `id`.
    The primary key is always the last key, so pages are stable. A view's `ordering_fields`
    lists API field names, or maps them to database paths where the two differ
    (`{"template": "template_id"}`)."""

    def get_ordering(self, request, view) -> list[str]:
        params = request.query_params
        allowed = set(getattr(view, "ordering_fields", ()) or ()) | {"id"}
        ordering_param = params.get("ordering")
        sort_by = params.get("sort_by")
        order = params.get("order")
        if ordering_param is not None and (sort_by is not None or order is not None):
            raise UnprocessableEntity({"ordering": ["Use either ordering or sort_by/order, not both."]})
        if order is not None and order.lower() not in ("asc", "desc"):
            raise UnprocessableEntity({"order": ["Must be asc or desc."]})
        keys: list[str] = []
        if ordering_param is not None:
            for part in ordering_param.split(","):
                part = part.strip()
                name = part.removeprefix("-")
                if name not in allowed:
                    raise UnprocessableEntity(
                        {"ordering": [f"Cannot sort by '{name}'. Allowed: {', '.join(sorted(allowed))}."]}
                    )
                keys.append(part)
        elif sort_by is not None:
            if sort_by not in allowed:
                raise UnprocessableEntity(
                    {"sort_by": [f"Cannot sort by '{sort_by}'. Allowed: {', '.join(sorted(allowed))}."]}
                )
            keys.append(f"-{sort_by}" if (order or "asc").lower() == "desc" else sort_by)
        elif order is not None:
            keys.append("-id" if order.lower() == "desc" else "id")
        if not any(k.removeprefix("-") == "id" for k in keys):
            keys.append("id")
        return keys

    def filter_queryset(self, request, queryset, view):
        if not _is_list(view):
            return queryset
        keys = self.get_ordering(request, view)
        paths = getattr(view, "ordering_fields", None)
        if isinstance(paths, dict):
            keys = [
                ("-" if key.startswith("-") else "") + paths.get(key.removeprefix("-"), key.removeprefix("-"))
                for key in keys
            ]
        return queryset.order_by(*keys)

    def get_schema_operation_parameters(self, view):
        fields = sorted(set(getattr(view, "ordering_fields", ()) or ()) | {"id"})
        return [
            {
                "name": "sort_by",
                "required": False,
                "in": "query",
                "description": "Field to sort by (default `id`).",
                "schema": {"type": "string", "enum": fields},
            },
            {
                "name": "order",
                "required": False,
                "in": "query",
                "description": "Sort direction for `sort_by`.",
                "schema": {"type": "string", "enum": ["asc", "desc"]},
            },
            {
                "name": "ordering",
                "required": False,
                "in": "query",
                "description": "Comma list of fields, `-` for descending, e.g. `-due_date,client` "
                "(instead of sort_by/order). Allowed: " + ", ".join(fields) + ".",
                "schema": {"type": "string"},
            },
        ]


def parse_as_of(request) -> dt.date:
    """`?as_of=YYYY-MM-DD`: the day a read that depends on "today" answers for (WELDING.md:
    qualifications, employees, equipment, eligible welders …). Left out (or given empty, as
    every query parameter: workshop.api.params): today in TIME_ZONE (also without a request:
    live events). Given, it must be a date (else a 422 naming `as_of`)."""
    params = getattr(request, "query_params", None) if request is not None else None
    raw = params.get("as_of") if params is not None else None
    if raw is None:
        return timezone.localdate()
    day = parse_lenient_date(raw) if raw.strip() else None
    if day is None:
        raise UnprocessableEntity({"as_of": ["Enter a date as YYYY-MM-DD (or leave as_of out for today)."]})
    return day
