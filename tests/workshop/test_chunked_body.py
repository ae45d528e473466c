"""Chunked request bodies under a real gunicorn in production mode (SPEC §4).

Django reads CONTENT_LENGTH bytes of a body and nothing else: a body sent with
`Transfer-Encoding: chunked` and no Content-Length (gunicorn de-chunks it) used to reach the
views empty (a valid work order answered 422 "order_id: This field is required.") and escaped
the 2.5 MB JSON cap. `workshop.middleware.ChunkedBodyMiddleware` reads it under the same caps.

Under ASGI, `workshop.middleware.BodyLimitMiddleware` does the same before Django's ASGI
handler (which would read any body whole). Both servers run every test: gunicorn's sync
workers on the WSGI app, and uvicorn workers on the ASGI app, as the image runs it.

The server (test_ratelimit_gunicorn's, here without Redis) gets its own SQLite file and media
folder, and `UPLOAD_MAX_MB=1`, so an over-cap multipart body stays small.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse

from tests.imports.workbooks import xlsx
from tests.workshop.test_ratelimit_gunicorn import PASSWORD, USERNAME, Server, free_port, run
from workshop.middleware import ChunkedBodyMiddleware

JSON_CAP = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # 2.5 MB
UPLOAD_MAX_MB = 1
MULTIPART_CAP = JSON_CAP + UPLOAD_MAX_MB * 1024 * 1024  # the file, plus the form fields


def production_env(tmp: Path) -> dict[str, str]:
    """Production mode (`DJANGO_DEBUG=false`) on loopback: its own SQLite file, media and
    static folders, local-memory cache; plain HTTP, so no redirect to HTTPS."""
    (tmp / "static").mkdir(exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "REDIS_URL": "",
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "RATELIMIT_ENABLE": "false",
        "TRUSTED_PROXY_HOPS": "0",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }


SERVERS = {
    # The WSGI app on gunicorn's sync workers, and the ASGI app on uvicorn workers (the image's).
    "wsgi": ("workshop.wsgi", "sync"),
    "asgi": ("workshop.asgi:application", "uvicorn_worker.UvicornWorker"),
}


class ProductionServer(Server):
    """Server (test_ratelimit_gunicorn) in production mode with a manager to log in as. Its
    own `__init__`: the parent's needs a Redis."""

    def __init__(self, tmp: Path, kind: str = "wsgi"):
        self.app, self.worker_class = SERVERS[kind]
        self.tmp = tmp
        self.port = free_port()
        self.access_log = tmp / "access.log"
        self.error_log = tmp / "gunicorn.log"
        self.app_log = tmp / "app.log"
        self.proc = None
        self.env = {**production_env(tmp), "UPLOAD_MAX_MB": str(UPLOAD_MAX_MB)}

    def prepare(self) -> None:
        run(["migrate", "--noinput", "-v", "0"], self.env)
        run(
            ["create_user", "--role", "manager", "--username", USERNAME],
            {**self.env, "WELDSHOP_PASSWORD": PASSWORD},
        )

    def send(self, method: str, path: str, token: str, content_type: str, chunks) -> tuple[int, dict]:
        """The request with its body in chunks (`Transfer-Encoding: chunked`, no
        Content-Length); the status and the JSON body of the answer."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            try:
                connection.request(
                    method,
                    path,
                    body=iter(chunks),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                    encode_chunked=True,
                )
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (413) and closed before taking the whole body: read it
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def get(self, path: str, token: str) -> dict:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            assert response.status == 200, response.read()
            return json.loads(response.read())
        finally:
            connection.close()


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(tmp_path_factory, request):
    instance = ProductionServer(tmp_path_factory.mktemp(f"chunked-body-{request.param}"), request.param)
    try:
        instance.prepare()
        instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def token(server) -> str:
    reply = server.login("127.0.0.1", PASSWORD)
    assert reply.status == 200, reply.body
    return reply.body["access_token"]


def pieces(data: bytes, size: int = 64 * 1024):
    return [data[i : i + size] for i in range(0, len(data), size)]


def multipart(fields: dict[str, tuple[str, bytes]], boundary: str = "weldshop-chunked") -> tuple[str, bytes]:
    """A multipart/form-data body: `{name: (filename, content)}`."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
        for name, (filename, content) in fields.items()
    ]
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_the_middleware_is_installed_early():
    """Before anything that reads the body; after the request id, CORS and the security
    headers, so a 413 carries them."""
    middleware = list(django_settings.MIDDLEWARE)
    position = middleware.index("workshop.middleware.ChunkedBodyMiddleware")
    assert position == middleware.index("corsheaders.middleware.CorsMiddleware") + 1
    assert position < middleware.index("django.middleware.csrf.CsrfViewMiddleware")


# ----------------------------------------------------------------------------- in process
def chunked(rf, body: bytes, content_type: str = "application/json", terminated: bool = True):
    """A request as gunicorn hands over a chunked one: no CONTENT_LENGTH, the de-chunked body
    in wsgi.input."""
    request = rf.generic(
        "POST", "/api/v1/workorders/", CONTENT_TYPE=content_type, HTTP_TRANSFER_ENCODING="chunked"
    )
    assert "CONTENT_LENGTH" not in request.META
    request.META["wsgi.input"] = io.BytesIO(body)
    request.META["wsgi.input_terminated"] = terminated
    return request


def body_echo(request) -> HttpResponse:
    return HttpResponse(request.read())  # as the multipart parser reads (`body` caps at 2.5 MB)


@pytest.mark.parametrize(
    ("content_type", "size", "status"),
    [
        ("application/json", 1000, 200),
        ("application/json", 1001, 413),
        ("multipart/form-data; boundary=x", 1000 + 1024 * 1024, 200),
        ("multipart/form-data; boundary=x", 1001 + 1024 * 1024, 413),
    ],
)
def test_the_cap_is_the_json_cap_or_the_upload_cap(rf, settings, content_type, size, status):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.UPLOAD_MAX_MB = 1000, 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4096  # larger bodies spill to a temporary file
    body = secrets.token_bytes(size)
    request = chunked(rf, body, content_type)
    request.request_id = "chunked-1"
    response = ChunkedBodyMiddleware(body_echo)(request)
    assert response.status_code == status
    if status == 200:
        assert request.META["CONTENT_LENGTH"] == str(size)
        assert response.content == body
    else:
        reply = json.loads(response.content)
        assert (reply["error_code"], reply["request_id"]) == ("PAYLOAD_TOO_LARGE", "chunked-1")


def test_a_body_the_server_does_not_say_ends_is_left_alone(rf):
    """Without `wsgi.input_terminated`, reading to the end could wait on the socket."""
    request = chunked(rf, b'{"order_id": "WO-1"}', terminated=False)
    assert ChunkedBodyMiddleware(body_echo)(request).content == b""
    assert "CONTENT_LENGTH" not in request.META


# ----------------------------------------------------------------------------- real gunicorn
def test_a_chunked_json_body_creates_the_record(server, token):
    body = json.dumps({"order_id": "WO-CHUNK-1", "client": "Harbour Steel", "description": "x" * 200})
    status, reply = server.send(
        "POST", "/api/v1/workorders/", token, "application/json", pieces(body.encode(), 50)
    )
    assert status == 201, reply
    assert (reply["order_id"], reply["client"]) == ("WO-CHUNK-1", "Harbour Steel")
    assert server.get("/api/v1/workorders/?search=WO-CHUNK-1", token)["total"] == 1


def test_a_chunked_json_body_over_the_cap_is_413_and_writes_nothing(server, token):
    before = server.get("/api/v1/workorders/", token)["total"]
    description = "x" * (3 * 1024 * 1024)  # 3 MB: over the 2.5 MB cap
    body = json.dumps({"order_id": "WO-CHUNK-BIG", "client": "Harbour Steel", "description": description})
    status, reply = server.send(
        "POST", "/api/v1/workorders/", token, "application/json", pieces(body.encode())
    )
    assert status == 413, reply
    assert reply["error_code"] == "PAYLOAD_TOO_LARGE"
    assert set(reply) == {"detail", "error_code", "timestamp", "request_id"}
    assert server.get("/api/v1/workorders/", token)["total"] == before
    assert server.get("/api/v1/workorders/?search=WO-CHUNK-BIG", token)["total"] == 0


def test_a_chunked_json_body_just_under_the_cap_is_read_whole(server, token):
    """Read to its end, not cut at a buffer: an invalid value at the end is a 422 about it."""
    padding = JSON_CAP - 200
    body = json.dumps({"order_id": "WO-CHUNK-2", "client": "Harbour Steel", "description": "x" * padding})
    body = body[:-1] + ', "status": "melted"}'
    assert len(body) <= JSON_CAP
    status, reply = server.send(
        "POST", "/api/v1/workorders/", token, "application/json", pieces(body.encode())
    )
    assert status == 422, reply
    assert list(reply["errors"]) == ["status"]


def test_a_chunked_upload_is_imported(server, token):
    content_type, body = multipart(
        {"file": ("items.xlsx", xlsx([["ItemID", "ItemName", "Quantity"], ["INV-CHUNK", "Rods", 7]]))}
    )
    status, reply = server.send("POST", "/api/v1/items/import/", token, content_type, pieces(body, 1000))
    assert status == 201, reply
    assert (reply["status"], reply["rows_created"]) == ("succeeded", 1)
    assert server.get("/api/v1/items/?search=INV-CHUNK", token)["total"] == 1


def test_a_chunked_upload_over_the_cap_is_413_and_writes_nothing(server, token):
    content_type, body = multipart({"file": ("items.xlsx", secrets.token_bytes(MULTIPART_CAP))})
    imports_before = server.get("/api/v1/imports/", token)["total"]
    files_before = stored_files(server)
    status, reply = server.send("POST", "/api/v1/items/import/", token, content_type, pieces(body))
    assert status == 413, reply
    assert reply["error_code"] == "PAYLOAD_TOO_LARGE"
    assert server.get("/api/v1/imports/", token)["total"] == imports_before
    assert stored_files(server) == files_before


def stored_files(server: ProductionServer) -> list[Path]:
    return sorted(path for path in (server.tmp / "media").rglob("*") if path.is_file())
