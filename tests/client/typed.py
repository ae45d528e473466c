"""The driver calls written out against the generated client: operations that are not a
resource's CRUD or described contract action (auth, dashboards, analytics, health, the
template upload alias, the qualification check), and the actions whose generic call cannot
make valid input (a certificate file, a job with a file, a bulk confirm of a known id).
`tests/client/conftest.py` runs `mypy --strict` over this module with the generated
`weldshop_client` package: a renamed parameter, a changed body model, an operation gone or
given security it should not have (login, refresh, health take an unauthenticated `Client`)
fails type checking.

Imports only the generated package and the standard library (mypy checks it alone)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from weldshop_client import AuthenticatedClient, Client
from weldshop_client.api.analytics import (
    analytics_equipment_retrieve,
    analytics_inventory_retrieve,
    analytics_quality_retrieve,
    analytics_welders_retrieve,
    analytics_workorders_retrieve,
)
from weldshop_client.api.auth import (
    auth_login_create,
    auth_logout_create,
    auth_me_retrieve,
    auth_password_create,
    auth_refresh_create,
    auth_ws_ticket_create,
)
from weldshop_client.api.calibrations import (
    calibrations_certificate_create,
    calibrations_certificate_retrieve,
)
from weldshop_client.api.dashboard import (
    dashboard_employees_retrieve,
    dashboard_equipment_retrieve,
    dashboard_inspections_retrieve,
    dashboard_inventory_alerts_retrieve,
    dashboard_stats_retrieve,
    dashboard_welding_retrieve,
    dashboard_workorders_retrieve,
)
from weldshop_client.api.health import health_db_retrieve, health_retrieve, health_status_retrieve
from weldshop_client.api.history import history_list
from weldshop_client.api.items import items_export_create
from weldshop_client.api.jobs import jobs_cancel_create, jobs_download_retrieve
from weldshop_client.api.qualifications import api_v1_qualifications_confirm_many, qualifications_check
from weldshop_client.api.upload import upload_create
from weldshop_client.api.webhooks import webhooks_deliveries_redeliver_create, webhooks_partial_update
from weldshop_client.models import (
    BulkConfirmRequest,
    CertificateUploadRequest,
    Error,
    ImportError_,
    ImportUploadRequest,
    Job,
    LoginRequest,
    PasswordChangeRequest,
    PatchedEndpointRequest,
    QualificationCheckRequest,
    RefreshRequest,
    TokenPair,
)
from weldshop_client.types import File, Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Session:
    """What the typed calls need: clients and the records the generic driver made."""

    base_url: str
    username: str
    password: str
    anon: Client
    client: AuthenticatedClient | None = None
    refresh_token: str = ""
    values: dict[str, Any] = field(default_factory=dict)  # ids and keys of records made for a call

    @property
    def auth(self) -> AuthenticatedClient:
        assert self.client is not None, "log in first"
        return self.client


def login(session: Session, username: str, password: str) -> tuple[AuthenticatedClient, str]:
    """Log in through the generated client (an operation without security)."""
    response = auth_login_create.sync_detailed(
        client=session.anon, body=LoginRequest(username=username, password=password)
    )
    assert isinstance(response.parsed, TokenPair), (response.status_code, response.content[:300])
    pair = response.parsed
    assert pair.token_type == "bearer"
    client = AuthenticatedClient(
        base_url=session.base_url,
        token=pair.access_token,
        raise_on_unexpected_status=True,
        follow_redirects=True,
        timeout=None,
    )
    return client, pair.refresh_token


def xlsx_file(content: bytes, name: str = "upload.xlsx") -> File:
    return File(payload=io.BytesIO(content), file_name=name, mime_type=XLSX)


def _login(s: Session) -> Response[Error | TokenPair]:
    return auth_login_create.sync_detailed(
        client=s.anon, body=LoginRequest(username=s.username, password=s.password)
    )


def _refresh(s: Session) -> Response[Error | TokenPair]:
    return auth_refresh_create.sync_detailed(
        client=s.anon, body=RefreshRequest(refresh_token=s.refresh_token)
    )


def _logout(s: Session) -> Response[Any]:
    # A second session of another user: logging out ends that user's access tokens.
    client, refresh = login(s, s.values["spare_username"], s.password)
    return auth_logout_create.sync_detailed(client=client, body=RefreshRequest(refresh_token=refresh))


def _password(s: Session) -> Response[Any]:
    client, _refresh_token = login(s, s.values["spare2_username"], s.password)
    return auth_password_create.sync_detailed(
        client=client,
        body=PasswordChangeRequest(old_password=s.password, new_password="Grind-and-polish-4471"),
    )


def _upload(s: Session) -> Response[Any]:
    return upload_create.sync_detailed(
        s.values["template_id"],
        client=s.auth,
        body=ImportUploadRequest(file=xlsx_file(s.values["template_xlsx"]), dry_run=False),
    )


def _check(s: Session) -> Response[Any]:
    return qualifications_check.sync_detailed(
        client=s.auth,
        body=QualificationCheckRequest(welder=s.values["welder"], weld=s.values["weld"]),
    )


def _certificate(s: Session) -> Response[Any]:
    pdf = File(payload=io.BytesIO(b"%PDF-1.4\n% a calibration certificate\n"), file_name="cert.pdf")
    return calibrations_certificate_create.sync_detailed(
        s.values["calibration_id"], client=s.auth, body=CertificateUploadRequest(file=pdf)
    )


def _confirm_many(s: Session) -> Response[Any]:
    body = BulkConfirmRequest.from_dict(
        {
            "qualification_ids": [s.values["qualification_id"]],
            "confirmed_on": "2025-09-01",
            "override_reason": "supervisor saw the welds",
        }
    )
    return api_v1_qualifications_confirm_many.sync_detailed(client=s.auth, body=body)


def _redeliver(s: Session) -> Response[Any]:
    """A failed delivery sent again, its endpoint active for that alone (every other event of
    the run would go to it)."""
    endpoint = s.values["webhook_id"]
    active = PatchedEndpointRequest(active=True)
    assert webhooks_partial_update.sync_detailed(endpoint, client=s.auth, body=active).status_code == 200
    try:
        return webhooks_deliveries_redeliver_create.sync_detailed(
            endpoint, s.values["delivery_id"], client=s.auth
        )
    finally:
        inactive = PatchedEndpointRequest(active=False)
        assert (
            webhooks_partial_update.sync_detailed(endpoint, client=s.auth, body=inactive).status_code == 200
        )


def _download(s: Session) -> Response[Any]:
    """An export run as a job (`Prefer: respond-async`), then its file."""
    queued = items_export_create.sync_detailed(client=s.auth, prefer="respond-async")
    assert queued.status_code == 202 and isinstance(queued.parsed, Job), (
        queued.status_code,
        queued.content[:300],
    )
    return jobs_download_retrieve.sync_detailed(queued.parsed.id, client=s.auth)


# operationId -> the call; the generic driver (tests/client/drivers.py) checks the answer.
CALLS: dict[str, Callable[[Session], Response[Any]]] = {
    "auth_login_create": _login,
    "auth_refresh_create": _refresh,
    "auth_me_retrieve": lambda s: auth_me_retrieve.sync_detailed(client=s.auth),
    "auth_ws_ticket_create": lambda s: auth_ws_ticket_create.sync_detailed(client=s.auth),
    "auth_logout_create": _logout,
    "auth_password_create": _password,
    "dashboard_employees_retrieve": lambda s: dashboard_employees_retrieve.sync_detailed(client=s.auth),
    "dashboard_equipment_retrieve": lambda s: dashboard_equipment_retrieve.sync_detailed(client=s.auth),
    "dashboard_inspections_retrieve": lambda s: dashboard_inspections_retrieve.sync_detailed(client=s.auth),
    "dashboard_inventory_alerts_retrieve": lambda s: dashboard_inventory_alerts_retrieve.sync_detailed(
        client=s.auth, limit=5
    ),
    "dashboard_stats_retrieve": lambda s: dashboard_stats_retrieve.sync_detailed(client=s.auth),
    "dashboard_welding_retrieve": lambda s: dashboard_welding_retrieve.sync_detailed(client=s.auth),
    "dashboard_workorders_retrieve": lambda s: dashboard_workorders_retrieve.sync_detailed(client=s.auth),
    "analytics_equipment_retrieve": lambda s: analytics_equipment_retrieve.sync_detailed(client=s.auth),
    "analytics_inventory_retrieve": lambda s: analytics_inventory_retrieve.sync_detailed(client=s.auth),
    "analytics_quality_retrieve": lambda s: analytics_quality_retrieve.sync_detailed(client=s.auth),
    "analytics_welders_retrieve": lambda s: analytics_welders_retrieve.sync_detailed(client=s.auth),
    "analytics_workorders_retrieve": lambda s: analytics_workorders_retrieve.sync_detailed(client=s.auth),
    "history_list": lambda s: history_list.sync_detailed(client=s.auth),
    "health_retrieve": lambda s: health_retrieve.sync_detailed(client=s.anon),
    "health_db_retrieve": lambda s: health_db_retrieve.sync_detailed(client=s.anon),
    "health_status_retrieve": lambda s: health_status_retrieve.sync_detailed(client=s.anon),
    "upload_create": _upload,
    "qualifications_check": _check,
    "jobs_cancel_create": lambda s: jobs_cancel_create.sync_detailed(
        s.values["queued_job_id"], client=s.auth
    ),
    "jobs_download_retrieve": _download,
    "api_v1_qualifications_confirm_many": _confirm_many,
    # After the upload above (the calls run in the order of their operationIds).
    "calibrations_certificate_create": _certificate,
    "calibrations_certificate_retrieve": lambda s: calibrations_certificate_retrieve.sync_detailed(
        s.values["calibration_id"], client=s.auth
    ),
    "webhooks_deliveries_redeliver_create": _redeliver,
}


def import_row_error(s: Session, call: Callable[..., Response[Any]], content: bytes) -> ImportError_:
    """An import whose sheet has a bad row: the documented row-error body, parsed."""
    response = call(client=s.auth, body=ImportUploadRequest(file=xlsx_file(content)))
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert isinstance(response.parsed, ImportError_), type(response.parsed)
    assert response.parsed.errors, response.parsed
    return response.parsed
