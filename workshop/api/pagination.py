"""The list envelope: `{"items", "total", "page", "page_size", "pages"}`.

`page` (from 1) and `page_size` (1–1000, default 50), or `skip`/`limit` (`limit` is the
page size). A page past the end is an empty page, not a 404; a bad value is a 422.
"""

from __future__ import annotations

import math

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from workshop.api.exceptions import UnprocessableEntity

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PAGINATION_PARAMS = ("page", "page_size", "skip", "limit")


def _int_param(params, name: str, low: int, high: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise UnprocessableEntity({name: ["A whole number is required."]}) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise UnprocessableEntity({name: [f"Must be {bound}."]})
    return value


class EnvelopePagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None, fetch=list):
        """The page's rows; `fetch` turns the page's slice of the queryset into them (a list of
        model instances by default, or e.g. dicts from `.values()` for a fast list)."""
        params = request.query_params
        size = _int_param(params, "page_size", 1, MAX_PAGE_SIZE)
        limit = _int_param(params, "limit", 1, MAX_PAGE_SIZE)
        page = _int_param(params, "page", 1)
        skip = _int_param(params, "skip", 0)
        if page is not None and skip is not None:
            raise UnprocessableEntity({"skip": ["Use either page or skip, not both."]})
        self.page_size = limit or size or DEFAULT_PAGE_SIZE
        offset = skip if skip is not None else ((page or 1) - 1) * self.page_size
        self.page = offset // self.page_size + 1
        self.total = queryset.count()
        if offset >= self.total:
            return []
        return fetch(queryset[offset : offset + self.page_size])

    def get_paginated_response(self, data):
        return Response(
            {
                "items": data,
                "total": self.total,
                "page": self.page,
                "page_size": self.page_size,
                "pages": math.ceil(self.total / self.page_size) if self.total else 0,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["items", "total", "page", "page_size", "pages"],
            "properties": {
                "items": schema,
                "total": {"type": "integer", "example": 123},
                "page": {"type": "integer", "example": 1},
                "page_size": {"type": "integer", "example": DEFAULT_PAGE_SIZE},
                "pages": {"type": "integer", "example": 3},
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, description, minimum, maximum=None):
            schema = {"type": "integer", "minimum": minimum}
            if maximum:
                schema["maximum"] = maximum
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": schema,
            }

        return [
            param("page", "Page number, from 1 (default 1).", 1),
            param(
                "page_size",
                f"Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                1,
                MAX_PAGE_SIZE,
            ),
            param("skip", "Rows to skip (instead of page).", 0),
            param("limit", "Rows per page (same as page_size).", 1, MAX_PAGE_SIZE),
        ]
