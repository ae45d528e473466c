"""`/api/v1/analytics/<name>`: one view class for every analytics endpoint.

Each endpoint module defines an `Endpoint` (its parameters, selector, serializer and CSV/XLSX
table); `AnalyticsView` parses the query (a 422 for anything wrong), answers from the
dashboard's cache when it can (`dashboard.cache`: shared Redis in production, made stale by
every write to the records counted), and renders JSON or, with `format=csv|xlsx`, a file
written like the exports (`workshop.imports.export.write_table`: formula neutralisation
included).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import FileResponse, QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.analytics import query as q
from dashboard.cache import cached
from workshop.api.filters import DATE_QUERY_SCHEMA
from workshop.api.serializers import ErrorSerializer
from workshop.api.viewsets import ApiViewMixin
from workshop.imports.export import (
    FORMATS,
    SPOOL_MAX_BYTES,
    JsonOnlyNegotiation,
    TableColumn,
    file_responses,
    write_table,
)


@dataclass(frozen=True)
class Endpoint:
    name: str
    summary: str
    description: str
    compute: Callable[[q.AnalyticsQuery], dict[str, Any]]
    serializer: type[serializers.Serializer]
    # the file form: columns, and the rows of a serialized answer
    columns: tuple[TableColumn, ...]
    rows: Callable[[dict[str, Any]], Iterable[tuple]]
    perms: tuple[str, ...]
    example: dict[str, Any]
    parameters: Mapping[str, q.Choice | q.Number] = field(default_factory=dict)
    passthrough: tuple[OpenApiParameter, ...] = ()


FILE_DESCRIPTION = (
    "With `format=csv` or `format=xlsx`: the same figures as a table, one row per bucket (and "
    "group), as a download (`Content-Disposition: attachment`)."
)


def _parameter(name: str, spec: q.Choice | q.Number) -> OpenApiParameter:
    if isinstance(spec, q.Choice):
        schema = {"type": "string", "enum": list(spec.values)}
        return OpenApiParameter(name, schema, description=spec.doc)
    schema = {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum, "default": spec.default}
    return OpenApiParameter(name, schema, description=spec.doc)


COMMON_PARAMETERS = [
    OpenApiParameter(
        "from",
        DATE_QUERY_SCHEMA,
        description=f"First day, inclusive, in the server's time zone (default: {q.DEFAULT_DAYS - 1} days before `to`).",
    ),
    OpenApiParameter(
        "to", DATE_QUERY_SCHEMA, description="Last day, inclusive (default: today); not before `from`."
    ),
    OpenApiParameter(
        "interval",
        {"type": "string", "enum": list(q.INTERVALS), "default": q.DEFAULT_INTERVAL},
        description="Bucket size: a day, an ISO week (Monday to Sunday) or a calendar month, in the "
        "server's time zone; the first and last buckets are cut to `from`/`to`. At most "
        f"{q.MAX_BUCKETS} buckets.",
    ),
    OpenApiParameter(
        "format",
        {"type": "string", "enum": list(q.FORMATS), "default": "json"},
        description="`json`, or the same figures as a `csv` or `xlsx` table.",
    ),
]


def analytics_schema(endpoint: Endpoint):
    return extend_schema(
        tags=["analytics"],
        summary=endpoint.summary,
        description=endpoint.description
        + "\n\nRates have 4 decimals and are null when their denominator is 0. Figures may come from "
        "a cache of up to a minute, invalidated by every write to the records they count.\n\n"
        + FILE_DESCRIPTION,
        parameters=[
            *COMMON_PARAMETERS,
            *(_parameter(name, spec) for name, spec in endpoint.parameters.items()),
            *endpoint.passthrough,
        ],
        responses={
            (200, "application/json"): endpoint.serializer,
            **file_responses("The figures as a file (`format=csv` or `format=xlsx`)."),
            422: OpenApiResponse(
                ErrorSerializer,
                description="An unknown parameter, a malformed date, `from` after `to`, too many "
                "buckets, or a value outside its choices (`VALIDATION_ERROR`).",
            ),
        },
        examples=[
            OpenApiExample(f"{endpoint.summary} (example)", value=endpoint.example, response_only=True)
        ],
    )


def parse_query(endpoint: Endpoint, params, *, today: dt.date | None = None) -> q.AnalyticsQuery:
    """The query of one endpoint from query-string parameters (a `QueryDict` or a plain
    mapping), checked as the API checks it (`UnprocessableEntity` when wrong)."""
    if not isinstance(params, QueryDict):
        given = QueryDict(mutable=True)
        for name, value in params.items():
            given[name] = str(value)
        params = given
    return q.parse(
        params,
        extra=endpoint.parameters,
        passthrough=[p.name for p in endpoint.passthrough],
        today=today or timezone.localdate(),
    )


def analytics_figures(endpoint: Endpoint, query: q.AnalyticsQuery) -> dict[str, Any]:
    """The serialized answer of one endpoint (what the JSON API returns), from the dashboard
    cache or computed. The API view and the admin dashboard's trend charts both read through
    here, so a query made by either is a cache hit for the other."""

    def compute() -> dict[str, Any]:
        return endpoint.serializer(endpoint.compute(query)).data

    return cached(f"analytics-{endpoint.name}", query.cache_params(), compute)


class AnalyticsView(ApiViewMixin, APIView):
    endpoint: Endpoint
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation  # `format=csv` is ours, not a renderer's

    def get_required_perms(self) -> list[str]:
        return list(self.endpoint.perms)

    def get(self, request, *args, **kwargs):
        endpoint = self.endpoint
        query = parse_query(endpoint, request.query_params)
        data = analytics_figures(endpoint, query)
        if query.format == "json":
            return Response(data)
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115 - the response closes it
        write_table(out, query.format, endpoint.name, endpoint.columns, endpoint.rows(data))
        out.seek(0)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response = FileResponse(
            out,
            as_attachment=True,
            filename=f"analytics-{endpoint.name}-{query.start}-{query.end}-{stamp}{FORMATS[query.format].suffix}",
            content_type=FORMATS[query.format].content_type,
        )
        response["Cache-Control"] = "no-store"
        return response


def view_for(endpoint: Endpoint) -> type[AnalyticsView]:
    """A view class for one endpoint, with its schema (on a function of its own: the schema
    annotation is an attribute of the function, so the shared `AnalyticsView.get` would carry
    the last endpoint's schema for all of them)."""

    def get(self, request, *args, **kwargs):
        return AnalyticsView.get(self, request, *args, **kwargs)

    get = analytics_schema(endpoint)(get)
    name = "".join(part.capitalize() for part in endpoint.name.split("-")) + "AnalyticsView"
    return type(name, (AnalyticsView,), {"endpoint": endpoint, "get": get, "__module__": __name__})
