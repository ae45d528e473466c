"""Query parameters as every API view reads them: a parameter given empty (`?limit=`,
`?ordering=`, `?as_of=`, `?status=`) is a parameter left out.

One mechanism for every operation (`EmptyQueryParamsMiddleware` on `/api/v1/` paths): the views,
filters, pagination and dashboards never see an empty value, so none of them can treat one
differently. The schema says so with `allowEmptyValue: true` on every optional query parameter
(`workshop.api.schema.empty_values_are_absent`). A name the operation does not know stays a
422 even given empty (`?bogus=`): the checks of unknown names read `given_names`.
"""

from __future__ import annotations

from django.http import QueryDict

API_PREFIX = "/api/v1/"  # the API proper (not /api/docs/, whose `?script=` is a request for its script)


class QueryParams(QueryDict):
    """A query string less its empty values; `given` holds every name the client sent."""

    given: frozenset[str] = frozenset()


def without_empty(query: QueryDict) -> QueryParams:
    """`query` with every empty value dropped (a name given only empty is absent)."""
    kept = QueryParams(mutable=True)
    for name, values in query.lists():
        values = [value for value in values if value != ""]
        if values:
            kept.setlist(name, values)
    kept.given = frozenset(query.keys())
    kept._mutable = False
    return kept


def given_names(params) -> set[str]:
    """Every parameter name the client sent, empty ones included (for the unknown-name 422)."""
    return set(getattr(params, "given", ()) or ()) | set(params)


class EmptyQueryParamsMiddleware:
    """`request.GET` of an API request without its empty values (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and request.META.get("QUERY_STRING"):
            request.GET = without_empty(request.GET)
        return self.get_response(request)
