"""The API's JSON parser."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with one more unparseable kind of body: JSON nested deeper than
    Python's decoder can follow (`[[[[…` a few thousand levels) raises RecursionError, which
    is a `400 BAD_REQUEST` like any other broken body, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
