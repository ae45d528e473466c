"""Writes of the equipment app that do more than save one row: a calibration's certificate
file, stored as imports store their uploads (the default storage: local files or S3 through
django-storages) and read back as an import's file is (`workshop.files`)."""

from __future__ import annotations

import os

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from equipment.models import EquipmentCalibration
from workshop.errors import NotFound, Rejected, ServiceUnavailable
from workshop.files import StoredFile, stored_file

log = structlog.get_logger(__name__)

# What a certificate may be, by its first bytes (never by its name).
CERTIFICATE_TYPES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def certificate_type(head: bytes) -> str | None:
    """The content type of a certificate file by its first bytes: PDF, PNG or JPEG, else None."""
    return next((kind for magic, kind in CERTIFICATE_TYPES if head.startswith(magic)), None)


def _stored_type(head: bytes) -> str:
    return certificate_type(head) or "application/octet-stream"


def read_certificate(upload) -> tuple[bytes, str]:
    """The upload's bytes and type, after the checks every upload gets: over UPLOAD_MAX_MB → 413;
    empty or not a PDF/PNG/JPEG by content → 415."""
    max_bytes = int(getattr(settings, "UPLOAD_MAX_MB", 10)) * 1024 * 1024
    too_large = f"The file is larger than {max_bytes // (1024 * 1024)} MB."
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise Rejected(413, too_large)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Rejected(413, too_large)
    kind = certificate_type(data[:8]) if data else None
    if kind is None:
        raise Rejected(415, "A certificate is a PDF, PNG or JPEG file (by its content, whatever its name).")
    return data, kind


@transaction.atomic
def calibration_certificate_store(
    *, calibration: EquipmentCalibration, upload, filename: str
) -> EquipmentCalibration:
    """Stores (or replaces) the calibration's certificate. The old file is deleted once the new
    one is saved; a storage outage is ServiceUnavailable and changes nothing."""
    data, kind = read_certificate(upload)
    name = os.path.basename(filename or "certificate")[:255] or "certificate"
    old = calibration.certificate.name if calibration.certificate else None
    try:
        calibration.certificate.save(name, ContentFile(data), save=False)
    except Exception as exc:  # any storage backend's failure (OSError, botocore …)
        log.error("calibration.storage_failed", error=type(exc).__name__)
        raise ServiceUnavailable("The file storage is unavailable; nothing was stored.") from exc
    calibration.certificate_filename = name
    calibration.certificate_content_type = kind
    new = calibration.certificate.name
    storage = calibration.certificate.storage
    try:
        calibration.save(
            update_fields=["certificate", "certificate_filename", "certificate_content_type", "updated_at"]
        )
    except Exception:
        _delete_file(storage, new, keep="")  # the record was not changed: the new file goes
        raise
    if old:
        transaction.on_commit(lambda: _delete_file(storage, old, keep=new))
    return calibration


def _delete_file(storage, name: str, *, keep: str) -> None:
    if name == keep:
        return
    try:
        storage.delete(name)
    except Exception as exc:  # a leftover file is not worth failing the request
        log.warning("calibration.delete_failed", file=name, error=type(exc).__name__)


def calibration_certificate(*, calibration: EquipmentCalibration) -> StoredFile:
    """Where to read the calibration's certificate (NotFound when there is none or it is gone;
    the storage down is ServiceUnavailable), typed by its content."""
    if not calibration.certificate:
        raise NotFound("This calibration has no certificate.")
    return stored_file(
        calibration.certificate,
        filename=calibration.certificate_filename or os.path.basename(calibration.certificate.name or ""),
        content_type=_stored_type,
    )


@transaction.atomic
def calibration_delete(*, calibration: EquipmentCalibration) -> None:
    """Deletes the record and, once committed, its certificate file."""
    name = calibration.certificate.name if calibration.certificate else None
    storage = calibration.certificate.storage
    calibration.delete()
    if name:
        transaction.on_commit(lambda: _delete_file(storage, name, keep=""))
