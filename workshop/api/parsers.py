"""The API's JSON parser and content negotiation."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with one more unparseable kind of body: JSON nested deeper than
    Python's decoder can follow (`[[[[…` a few thousand levels) raises RecursionError, which
    is a `400 BAD_REQUEST` like any other broken body, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with an unknown `?format=` a 422 naming the formats there are
    (DRF answers 404, as if the record were missing)."""

    def filter_renderers(self, renderers, format):
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            from workshop.api.exceptions import UnprocessableEntity  # it imports DRF's settings

            allowed = ", ".join(renderer.format for renderer in renderers)
            raise UnprocessableEntity({"format": [f"Unknown format {format!r}. Allowed: {allowed}."]})
        return chosen
