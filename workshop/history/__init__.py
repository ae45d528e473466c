"""History of every record (SPEC §7), on django-simple-history.

- `record_history()`: the `HistoricalRecords` every domain model declares (`history = …`).
  Each version keeps the record's fields, `history_type` (`+` created, `~` updated, `-`
  deleted), `history_date`, the actor as a plain user id (`history_user_id`, kept when the user
  is deleted), `history_source` (api, admin, import, job, command) and `history_request_id` — read from
  `workshop.events.context` when the version is made, so JWT users, sessions and jobs alike.
- `record_rows(model, objs, kind)`: the versions of rows written in bulk (`bulk_create`,
  `bulk_update`, `QuerySet.update`), in one INSERT per batch, in the caller's transaction.
- Users: only their role and active flag (and username) are kept; see `workshop.history.users`.
- Reading: `workshop.history.selectors` (diffs at read time from neighbouring versions),
  `workshop.history.api` (the `history` action and the `/history/` feed).

Decisions are in docs/history.md.
"""
