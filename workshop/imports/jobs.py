"""The background jobs of the Excel engine (SPEC §5): exports (and imports and uploads, which
run here when they are too large to answer at once or the client prefers to wait elsewhere).
Each is a handler of workshop.jobs: it runs inside the job's transaction on a worker."""

from __future__ import annotations

import tempfile

from django.core.files import File
from django.http import QueryDict

from workshop.api.router import viewset_for
from workshop.imports.export import (
    FORMATS,
    SPOOL_MAX_BYTES,
    export_filename,
    export_view,
    select_columns,
    write_export,
)
from workshop.imports.spec import registry
from workshop.jobs.models import Job, JobKind
from workshop.jobs.services import Progress, job_handler


@job_handler(JobKind.EXPORT, "Export")
def run_export(job: Job, progress: Progress) -> dict:
    """Writes the export the job's request asked for — the same filters, run now as its user —
    into storage; the result names the file and where to download it."""
    params = job.params
    spec = registry()[params["resource"]]
    query = QueryDict(mutable=True)
    for name, values in (params.get("query") or {}).items():
        query.setlist(name, values)
    view = export_view(viewset_for(params["resource"]), user=job.created_by, params=query)
    queryset = view.filter_queryset(view.get_queryset())
    total = queryset.count()
    progress(0, total)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        progress(done, total)

    fmt = params["format"]
    filename = export_filename(spec.resource, fmt)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES) as out:
        rows = write_export(
            queryset, spec, fmt, out, columns=select_columns(spec, params.get("fields")), progress=advance
        )
        out.seek(0)
        job.output_file.save(filename, File(out, name=filename), save=False)
    return {
        "rows": rows,
        "filename": filename,
        "content_type": FORMATS[fmt].content_type,
        "download": f"/api/v1/jobs/{job.pk}/download",
    }
