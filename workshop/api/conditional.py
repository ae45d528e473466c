"""Conditional requests (SPEC §7): ETags, `If-None-Match`, `If-Match`, `REQUIRE_IF_MATCH`.

A record's ETag is a strong tag computed from what a GET of it answers: a BLAKE2b hash of its
full API representation (the detail serializer's output without `fields=` selection) as
canonical JSON — `"<32 hex digits>"`. No `version` column: whatever writes the row (the API,
the admin, an import, a stock adjustment's `F()` update, a job, raw SQL) changes the
representation (at least `updated_at`), so it changes the tag, and no write path has to bump
anything. The tag names the record's state, not the body sent: a GET with `fields=` answers the
full record's tag, so a client may PATCH with the tag of a partial GET.

`workshop.api.viewsets.ApiViewMixin` applies it to every routed resource:
- a detail GET answers `ETag`; `If-None-Match` naming it (weak comparison, `*`, lists) → `304`;
- a list GET answers the ETag of its body (the same hash over the page), `If-None-Match` → `304`
  (`LIST_ETAGS=false` turns list tags off);
- `PUT`/`PATCH`/`DELETE` and `POST` actions on a record run in one transaction that locks the
  row, hashes its current representation and compares `If-Match` strongly (a `W/` tag never
  matches, `*` matches the existing record): a mismatch is `412 PRECONDITION_FAILED` with the
  current tag in `ETag` and nothing written; with `REQUIRE_IF_MATCH=true` a missing `If-Match`
  is `428 PRECONDITION_REQUIRED`. A successful answer carries the new tag, computed from the
  saved record re-read in the same transaction (what the next GET answers).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.utils.http import parse_etags
from rest_framework.utils.encoders import JSONEncoder

# The serializer context key that turns `fields=` selection off (workshop.api.serializers).
ALL_FIELDS = "all_fields"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RECORD_WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})


def tag_of(data: Any, *, canonical: bool = True) -> str:
    """The strong entity tag of a representation (`"<32 hex>"`). `canonical` sorts keys, so
    the tag does not depend on the order fields were built in (details); a list's page is
    hashed as built (its order is its content)."""
    text = json.dumps(
        data,
        cls=JSONEncoder,
        sort_keys=canonical,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def none_match_hits(header: str | None, current: str) -> bool:
    """`If-None-Match` (weak comparison): `*` or any listed tag naming `current`."""
    if header is None:
        return False
    tags = parse_etags(header)
    if tags == ["*"]:
        return True
    return any(_opaque(tag) == _opaque(current) for tag in tags)


def match_hits(header: str, current: str) -> bool:
    """`If-Match` (strong comparison): `*` (the record exists), or a listed strong tag equal to
    `current`. A weak tag (`W/"…"`) never matches; a malformed header matches nothing."""
    tags = parse_etags(header)
    if tags == ["*"]:
        return True
    return any(not tag.startswith("W/") and tag == current for tag in tags)


def if_match_required() -> bool:
    return bool(getattr(settings, "REQUIRE_IF_MATCH", False))


def list_etags_enabled() -> bool:
    return bool(getattr(settings, "LIST_ETAGS", True))


def is_record_write(view, method: str) -> bool:
    """A write on one record that takes `If-Match`: `PUT`/`PATCH`/`DELETE` on a detail route,
    or a `POST` action on one, unless the action opts out (`@action(conditional=False)`: an
    upload that creates another record instead of changing this one)."""
    return (
        method in RECORD_WRITE_METHODS
        and bool(getattr(view, "detail", False))
        and getattr(view, "conditional", False) is True
    )
