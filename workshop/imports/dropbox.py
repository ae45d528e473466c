"""The drop folder scheduled imports read from — and nothing else: a schedule's `source` is
a plain file name, resolved inside `IMPORT_DROP_DIR` (local) or under `IMPORT_DROP_PREFIX`
in the bucket (S3)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage


class DropboxError(Exception):
    pass


def _plain(source: str) -> str:
    if (
        not source
        or source != os.path.basename(source)
        or source in (".", "..")
        or "\\" in source
        or "\x00" in source
    ):
        raise DropboxError(f"{source!r} is not a plain file name.")
    return source


def read_drop_file(source: str) -> bytes:
    name = _plain(source)
    limit = settings.UPLOAD_MAX_MB * 1024 * 1024
    if settings.STORAGE_BACKEND == "s3":
        key = f"{settings.IMPORT_DROP_PREFIX}{name}"
        try:
            with default_storage.open(key, "rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError as exc:
            raise DropboxError(f"No file {key!r} in the bucket.") from exc
        except Exception as exc:  # storage outage
            raise DropboxError(f"The bucket could not be read ({type(exc).__name__}).") from exc
    else:
        folder = Path(settings.IMPORT_DROP_DIR).resolve()
        path = (folder / name).resolve()
        if path.parent != folder:  # a symlink out of the drop folder
            raise DropboxError(f"{source!r} is outside the drop folder.")
        try:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError as exc:
            raise DropboxError(f"No file {name!r} in the drop folder.") from exc
        except OSError as exc:
            raise DropboxError(f"{name!r} could not be read ({type(exc).__name__}).") from exc
    return data
