"""Stored files handed back to clients (an import's upload, an export job's file): where to
read one — a short-lived presigned link of its own where the storage has them (S3), typed as a
download whatever the file is named, or an open handle on local storage with the type of what
it is — and the response that serves it. Refusals are domain errors (404 for a file that is
gone, 503 for a storage outage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from django.core.files.storage import FileSystemStorage

from workshop.errors import NotFound, ServiceUnavailable

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StoredFile:
    filename: str
    url: str | None = None
    handle: Any = None
    content_type: str = "application/octet-stream"


def is_remote(storage) -> bool:
    return not isinstance(storage, FileSystemStorage)


def stored_file(
    field, *, filename: str, content_type: Callable[[bytes], str] | str = "application/octet-stream"
) -> StoredFile:
    """Where to read the file of a FileField, as a download named `filename`. `content_type` is
    a type, or a function of the file's first bytes (the type of what it is, not of its name)."""
    from django.utils.http import content_disposition_header

    if not field:
        raise NotFound("There is no stored file.")
    storage = field.storage
    try:
        if is_remote(storage):
            url = storage.url(
                field.name,
                parameters={
                    "ResponseContentType": "application/octet-stream",
                    "ResponseContentDisposition": content_disposition_header(True, filename),
                },
            )
            return StoredFile(filename=filename, url=url)
        handle = storage.open(field.name, "rb")
        head = handle.read(8)
        handle.seek(0)
    except FileNotFoundError as exc:
        raise NotFound("The stored file is gone.") from exc
    except Exception as exc:  # storage outage
        log.error("file.unavailable", file=field.name, error=type(exc).__name__)
        raise ServiceUnavailable("The file storage is unavailable.") from exc
    kind = content_type(head) if callable(content_type) else content_type
    return StoredFile(filename=filename, handle=handle, content_type=kind)


def stored_file_response(stored: StoredFile):
    """The download: a redirect to the file's own link, or the file streamed."""
    from django.http import FileResponse, HttpResponseRedirect

    if stored.url is not None:
        return HttpResponseRedirect(stored.url)
    return FileResponse(
        stored.handle, as_attachment=True, filename=stored.filename, content_type=stored.content_type
    )
