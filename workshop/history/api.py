"""The history API (SPEC §7): `GET /api/v1/<resource>/{id}/history/` on every routed resource
whose model keeps history (`HistoryMixin`, part of the base ViewSets) and the feed
`GET /api/v1/history/` (managers and admins). Both answer the list envelope, newest first."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import dateparse, timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.views import APIView

from workshop.api.exceptions import UnprocessableEntity
from workshop.api.filters import reject_repeated
from workshop.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGINATION_PARAMS, EnvelopePagination
from workshop.events.context import SOURCES
from workshop.history import selectors
from workshop.history.records import KINDS, history_model
from workshop.roles import ADMIN, MANAGER, user_may, user_role

FEED_ROLES = frozenset({ADMIN, MANAGER})


# ------------------------------------------------------------------------------- serializers
class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name (a relation: its id).")
    old = serializers.JSONField(allow_null=True, help_text="Before (null for a created record).")
    new = serializers.JSONField(allow_null=True, help_text="After.")


class HistoryEntrySerializer(serializers.Serializer):
    answers_every_field = True

    id = serializers.IntegerField(help_text="The version's id (unique within its resource).")
    resource = serializers.CharField(help_text="The resource's path name, e.g. `workorders`.")
    object_id = serializers.IntegerField(help_text="The record's id.")
    kind = serializers.ChoiceField(choices=sorted(KINDS.values()))
    at = serializers.DateTimeField()
    actor = serializers.IntegerField(
        allow_null=True, help_text="The user's id (kept after the user is deleted)."
    )
    source = serializers.ChoiceField(choices=SOURCES)
    request_id = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(
        many=True,
        help_text="created: every field (old null); updated: the fields that changed; deleted: none.",
    )


class HistoryPageSerializer(serializers.Serializer):
    answers_every_field = True

    items = HistoryEntrySerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()


ENTRY_EXAMPLE = {
    "id": 2,
    "resource": "items",
    "object_id": 7,
    "kind": "updated",
    "at": "2025-11-21T09:30:00Z",
    "actor": 3,
    "source": "api",
    "request_id": "4f9c2a7e1b6d4e0a9c3f5b8d2e1a7c6b",
    "changes": [{"field": "quantity", "old": 10, "new": 7}],
}
PAGE_EXAMPLE = OpenApiExample(
    "A page of versions",
    value={"items": [ENTRY_EXAMPLE], "total": 1, "page": 1, "page_size": DEFAULT_PAGE_SIZE, "pages": 1},
    response_only=True,
    status_codes=["200"],
)

PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, description="Page number, from 1 (default 1)."
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
    OpenApiParameter(
        "skip", {"type": "integer", "minimum": 0}, description="Rows to skip (instead of page)."
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description="Rows per page (with skip).",
    ),
]


def check_params(params, allowed: tuple[str, ...]) -> None:
    """Unknown or repeated query parameters are a 422 (the lists' rule)."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        message = f"Unknown query parameter. Allowed: {', '.join(sorted(allowed))}."
        raise UnprocessableEntity({name: [message] for name in unknown})
    reject_repeated(params)


class _NoRows:
    """No table to read (the caller may read no resource that keeps history)."""

    def count(self) -> int:
        return 0


def _page(request, rows, fetch):
    paginator = EnvelopePagination()
    items = paginator.paginate_queryset(rows if rows is not None else _NoRows(), request, fetch=fetch)
    return paginator.get_paginated_response(HistoryEntrySerializer(items, many=True).data)


# ------------------------------------------------------------------------ one record's history
class HistoryMixin:
    """`GET /<resource>/{id}/history/`: the record's versions, newest first. Whoever may read
    the record may read its history; a deleted record's history stays readable (by whoever may
    read the resource), a record that never existed or is not visible is a 404."""

    @classmethod
    def get_extra_actions(cls):
        actions = super().get_extra_actions()
        queryset = getattr(cls, "queryset", None)
        if queryset is None or history_model(queryset.model) is None:
            actions = [a for a in actions if a.__name__ != "history"]
        return actions

    @extend_schema(
        summary="History of a record",
        description=(
            "The record's versions, newest first: who (`actor`, a user id), when (`at`), through "
            "what (`source`), the request id, the kind and the changed fields with old and new "
            "values. Also for a deleted record. Only the page parameters are accepted."
        ),
        filters=False,
        parameters=PAGE_PARAMETERS,
        responses={200: HistoryPageSerializer},
        examples=[PAGE_EXAMPLE],
    )
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        check_params(request.query_params, PAGINATION_PARAMS)
        model = self.queryset.model
        table = selectors.table_for(self.basename_resource(), model)
        try:
            object_id = self.get_object().pk
        except Http404:
            object_id = self._deleted_id(model, table)
        return _page(
            request, selectors.versions_of(table, object_id), lambda rows: selectors.entries(table, rows)
        )

    def basename_resource(self) -> str:
        from workshop.api.router import router

        for prefix, viewset, _basename in router.registry:
            if viewset is type(self):
                return prefix
        return self.basename

    def _deleted_id(self, model, table) -> int:
        """The id of a deleted record that has history; else 404."""
        raw = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        try:
            object_id = int(raw)
        except (TypeError, ValueError):
            raise Http404 from None
        if model._default_manager.filter(pk=object_id).exists():
            raise Http404  # it exists, and this user may not see it
        if not table.historical.objects.filter(id=object_id, history_type="-").exists():
            raise Http404
        return object_id


# --------------------------------------------------------------------------------- the feed
def _moment(name: str, raw: str, *, end: bool) -> dt.datetime:
    """An ISO date-time (no offset: TIME_ZONE) or a date (from: its start; to: its end)."""
    moment = day = None
    try:
        day = dateparse.parse_date(raw)  # first: a date alone also parses as a date-time
        moment = None if day is not None else dateparse.parse_datetime(raw)
    except ValueError:
        pass
    if moment is None and day is None:
        raise UnprocessableEntity({name: ["A date (YYYY-MM-DD) or a date-time (ISO 8601) is required."]})
    try:
        if day is not None:
            moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        return moment.astimezone(dt.UTC)  # (a moment UTC cannot hold fails here, not in SQL)
    except (OverflowError, ValueError):
        raise UnprocessableEntity({name: ["Out of the range of dates this API handles."]}) from None


def _choices(name: str, raw: str, allowed) -> tuple[str, ...]:
    values = tuple(part.strip() for part in raw.split(","))
    bad = [v for v in values if v not in allowed]
    if bad:
        raise UnprocessableEntity(
            {name: [f"Unknown: {', '.join(bad)}. One or more of: {', '.join(allowed)}."]}
        )
    return values


FEED_FILTERS = ("resource", "actor", "source", "from", "to")


def feed_filters(params, resources: list[str]) -> selectors.FeedFilters:
    check_params(params, (*PAGINATION_PARAMS, *FEED_FILTERS))
    given = {name: params[name] for name in FEED_FILTERS if params.get(name, "") != ""}  # empty: absent
    actor = None
    if "actor" in given:
        try:
            actor = int(given["actor"])
        except ValueError:
            raise UnprocessableEntity({"actor": ["A user id (a whole number) is required."]}) from None
        if not -(2**31) <= actor < 2**31:
            raise UnprocessableEntity({"actor": ["A user id (a whole number) is required."]})
    start = _moment("from", given["from"], end=False) if "from" in given else None
    end = _moment("to", given["to"], end=True) if "to" in given else None
    if start is not None and end is not None and start >= end:
        raise UnprocessableEntity({"to": ["Must be after from."]})
    return selectors.FeedFilters(
        resources=_choices("resource", given["resource"], resources) if "resource" in given else None,
        actor=actor,
        sources=_choices("source", given["source"], SOURCES) if "source" in given else None,
        start=start,
        end=end,
    )


def feed_tables(user) -> list[selectors.Table]:
    """Every routed resource that keeps history and that the user may read."""
    from workshop.api.router import router

    tables = []
    for prefix, viewset, _basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is None:
            continue
        table = selectors.table_for(prefix, queryset.model)
        if table is not None and user_may(user, queryset.model, "view"):
            tables.append(table)
    return tables


class HistoryFeedView(APIView):
    """`GET /api/v1/history/`: every record's versions, newest first (managers and admins)."""

    schema_error_codes = ("401", "403", "422", "429", "503")

    @extend_schema(
        operation_id="history_list",
        tags=["history"],
        summary="History of every record",
        description=(
            "Versions of every resource's records the caller may read, newest first. Managers "
            "and admins only. Filters: `resource` (resource names, a comma list), `actor` (a "
            "user id), `source` (a comma list of api, admin, import, job, command), `from`/`to` "
            "(dates, inclusive, or ISO date-times; no offset: the shop's time zone)."
        ),
        parameters=[
            OpenApiParameter("resource", OpenApiTypes.STR, description="Resource names, comma separated."),
            OpenApiParameter("actor", {"type": "integer"}, description="The acting user's id."),
            OpenApiParameter(
                "source",
                OpenApiTypes.STR,
                description=f"Comma separated, of: {', '.join(SOURCES)}.",
            ),
            OpenApiParameter("from", OpenApiTypes.STR, description="From this date or date-time."),
            OpenApiParameter("to", OpenApiTypes.STR, description="Up to this date (inclusive) or date-time."),
            *PAGE_PARAMETERS,
        ],
        responses={200: HistoryPageSerializer},
        examples=[PAGE_EXAMPLE],
    )
    def get(self, request):
        if user_role(request.user) not in FEED_ROLES:
            raise PermissionDenied("Only managers and admins may read the history of every record.")
        tables = feed_tables(request.user)
        filters = feed_filters(request.query_params, [t.resource for t in tables])
        rows = selectors.feed(tables, filters)
        return _page(request, rows, lambda page: selectors.feed_entries(tables, list(page)))
