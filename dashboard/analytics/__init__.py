"""Analytics (SPEC §6): trends over time under `/api/v1/analytics/…`.

- `query.py`   the query string every endpoint shares (`from`, `to`, `interval`, `format`, …)
- `buckets.py` the periods of an answer (days, ISO weeks, months in `TIME_ZONE`) and the
               database expressions that put a row in one
- `stats.py`   rates and percentiles, computed the same way on PostgreSQL and SQLite
- one module per endpoint (`workorders.py`, `quality.py`, …): a `compute(query)` selector
               that answers in a constant number of queries, its serializer, and its table
               for `format=csv|xlsx`
- `views.py`   the endpoints: one base view, cached like the dashboard (`dashboard.cache`)

Definitions and choices are documented in `docs/analytics.md`.
"""
