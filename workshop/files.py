"""Stored files handed back to clients: a redirect to a short-lived presigned link where the
storage has links of its own (S3), else the file streamed from local storage. Errors are the
API's (404 for a file that is gone, 503 for a storage outage)."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from rest_framework.exceptions import NotFound

from workshop.api.exceptions import ServiceUnavailable

log = structlog.get_logger(__name__)


def is_remote(storage) -> bool:
    return not isinstance(storage, FileSystemStorage)


def stored_file_response(
    field, *, filename: str, content_type: Callable[[bytes], str] | str = "application/octet-stream"
):
    """The file of a FileField as a download named `filename`. `content_type` is a type, or a
    function of the file's first bytes (the type of what it is, not of its name)."""
    if not field:
        raise NotFound("There is no stored file.")
    storage = field.storage
    try:
        if is_remote(storage):
            # The link itself says "a download, of no particular type": whatever the file is
            # named (`x.html`), a browser must not render it.
            return HttpResponseRedirect(
                storage.url(
                    field.name,
                    parameters={
                        "ResponseContentType": "application/octet-stream",
                        "ResponseContentDisposition": content_disposition_header(True, filename),
                    },
                )
            )
        handle = storage.open(field.name, "rb")
        head = handle.read(8)
        handle.seek(0)
    except FileNotFoundError as exc:
        raise NotFound("The stored file is gone.") from exc
    except Exception as exc:  # storage outage
        log.error("file.unavailable", file=field.name, error=type(exc).__name__)
        raise ServiceUnavailable("The file storage is unavailable.") from exc
    kind = content_type(head) if callable(content_type) else content_type
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=kind)
