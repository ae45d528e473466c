"""The Excel engine and its records: one reader, one import engine and one exporter for every
resource, and the ExcelImport and ImportSchedule records (this package is also the `imports`
app: models, migrations, API, admin).

Each app describes its columns in `<app>/imports.py` (a `ResourceSpec` as `SPEC`), or a
record files are imported through (`TARGETS`, e.g. machines' templates); `spec.registry()` and
`targets.targets()` find them. Entry points: `service.store_import` with an `ImportRun`,
`schedules.run_due_schedules`.
"""
