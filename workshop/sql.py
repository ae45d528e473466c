"""Hand-written SQL for the few hot reads where Django's query building costs more than the query.

On a table of a thousand rows PostgreSQL answers a grouped count in a few tenths of a
millisecond, and building the same query through the ORM (Q objects, annotations, the
compiler) adds about a millisecond each time. The dashboard's current-state figures
(equipment, employees, items) are such reads, so they are written in SQL that both
PostgreSQL and SQLite (>= 3.30, for `FILTER`) run as is. Every value is a parameter
(`%(name)s`); table and column names are constants of the code, never input.

Each SQL definition sits next to the ORM definition it mirrors (e.g.
`equipment.models.SERVICE_OVERDUE_SQL` and `service_overdue_q`), and a test holds the two
to the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection


def rows(sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """All rows of a query, as tuples."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def dicts(sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """All rows of a query, as dicts keyed by the selected column names (`AS` aliases)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
