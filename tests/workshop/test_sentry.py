"""Error tracking (SPEC §5): sentry-sdk when SENTRY_DSN is set, nothing otherwise.

The real SDK in a real server: gunicorn with a uvicorn worker on the ASGI app (the image's
server) and `SENTRY_DSN` pointing at a small HTTP server in this test, which receives the
envelopes the SDK posts. An unhandled error in an API view and one in a plain Django page
arrive with the request id, the environment and the release, and without personal data: the
JWT, the username, the email, the cookie, the ws-ticket in the query string and the request
body are nowhere in what was sent. Errors that are answers (404, 401) send nothing.

In process: no SENTRY_DSN (the test settings) means no client and no integration; the
scrubbing of every field, and which answers are reported.
"""

from __future__ import annotations

import gzip
import json
import secrets
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
import structlog
from django.db import OperationalError

from tests.contract import assert_error
from tests.workshop.test_chunked_body import ProductionServer
from tests.workshop.test_ratelimit_gunicorn import run
from tests.workshop.test_security import manage
from workorders.views import WorkOrderViewSet
from workshop import sentry

USERNAME = "sentry-ana-4417"
EMAIL = "ana.kowalczyk-4417@example.com"
PASSWORD = "Tungsten-arc-crater-93"
TICKET = "TICKET-SECRET-5c1e7"
SESSION = "SESSION-SECRET-90ab"
BODY_SECRET = "BODY-SECRET-77d2"


# ----------------------------------------------------------------------------- the endpoint
class Envelopes(ThreadingHTTPServer):
    """Sentry's ingestion endpoint, reduced to keeping what it is sent."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EnvelopeHandler)
        self.received: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()

    @property
    def dsn(self) -> str:
        return f"http://weldshoppublickey@127.0.0.1:{self.server_address[1]}/42"

    def events(self) -> list[dict]:
        with self.lock:
            received = list(self.received)
        found = []
        for _, raw in received:
            lines = raw.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def raw(self) -> bytes:
        with self.lock:
            return b"\n".join(raw for _, raw in self.received)


class EnvelopeHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        assert encoding in ("", "gzip"), encoding  # brotli only when its package is installed
        if encoding == "gzip":
            body = gzip.decompress(body)
        with self.server.lock:
            self.server.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class SentryServer(ProductionServer):
    def __init__(self, tmp: Path, dsn: str):
        super().__init__(tmp, "asgi")
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.workshop.sentry_settings",
                "SENTRY_DSN": dsn,
                "SENTRY_ENVIRONMENT": "weldshop-test",
                "SENTRY_TRACES_SAMPLE_RATE": "0",
            }
        )

    def prepare(self) -> None:
        run(["migrate", "--noinput", "-v", "0"], self.env)
        run(
            ["create_user", "--role", "viewer", "--username", USERNAME, "--email", EMAIL],
            {**self.env, "WELDSHOP_PASSWORD": PASSWORD},
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def envelopes():
    endpoint = Envelopes()
    thread = threading.Thread(target=endpoint.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.shutdown()
    endpoint.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, envelopes):
    instance = SentryServer(tmp_path_factory.mktemp("sentry"), envelopes.dsn)
    try:
        instance.prepare()
        instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def failures(server, envelopes):
    """A JWT login, then: a failing API view (with every kind of personal data in the
    request), a failing page, and two ordinary errors; the events the endpoint got."""
    status, _, body = server.request(
        "POST",
        "/api/v1/auth/login",
        json.dumps({"username": USERNAME, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    token = json.loads(body)["access_token"]
    answers = {}
    answers["api"] = server.request(
        "POST",
        f"/api/v1/boom/?ticket={TICKET}&search={EMAIL}&page=2",
        json.dumps({"email": EMAIL, "note": BODY_SECRET}).encode(),
        {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Cookie": f"sessionid={SESSION}; theme=dark",
            "X-Forwarded-For": "198.51.100.23",
            "X-Request-ID": "sentry-api-1",
        },
    )
    answers["page"] = server.request(
        "GET", "/boom-page", headers={"Cookie": f"sessionid={SESSION}", "X-Request-ID": "sentry-page-1"}
    )
    answers["404"] = server.request("GET", "/api/v1/nothing-here/", headers={"X-Request-ID": "sentry-404"})
    answers["401"] = server.request("GET", "/api/v1/workorders/", headers={"X-Request-ID": "sentry-401"})
    deadline = time.monotonic() + 20
    while len(envelopes.events()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # anything else the SDK would send for these requests
    events = {event.get("tags", {}).get("request_id"): event for event in envelopes.events()}
    return token, answers, events


def test_an_unhandled_error_in_an_api_view_arrives_with_the_request_id(failures):
    _, answers, events = failures
    status, headers, body = answers["api"]
    assert status == 500 and json.loads(body)["error_code"] == "SERVER_ERROR"
    assert headers["x-request-id"] == "sentry-api-1" == json.loads(body)["request_id"]
    event = events["sentry-api-1"]
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the view failed")
    assert event["environment"] == "weldshop-test"
    assert event["release"] == "weldshop@0.1.0"
    assert event["transaction"] == "/api/v1/boom/"
    integrations = set(event["sdk"]["integrations"])
    assert {"django", "celery"} <= integrations


def test_an_unhandled_error_in_a_page_arrives_too(failures):
    _, answers, events = failures
    assert answers["page"][0] == 500
    (exception,) = events["sentry-page-1"]["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ValueError", "the page failed")


def test_answered_errors_send_nothing(failures):
    _, answers, events = failures
    assert answers["404"][0] == 404 and answers["401"][0] == 401
    assert set(events) == {"sentry-api-1", "sentry-page-1"}


def test_no_personal_data_is_sent(failures, envelopes):
    token, _, events = failures
    raw = envelopes.raw()
    assert raw
    for secret in (
        token,
        token.split(".")[1],
        USERNAME,
        EMAIL,
        TICKET,
        SESSION,
        BODY_SECRET,
        "198.51.100.23",
    ):
        assert secret.encode() not in raw, secret
    for event in events.values():
        request = event["request"]
        assert not {"data", "cookies", "env"} & set(request)
        assert not {"authorization", "cookie", "x-forwarded-for"} & {
            name.lower() for name in request["headers"]
        }
        assert not set(event.get("user") or {}) - {"id"}
        for exception in event["exception"]["values"]:
            assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])
    query = events["sentry-api-1"]["request"]["query_string"]
    assert "page=2" in query and "ticket=%5BFiltered%5D" in query and "search=%5BFiltered%5D" in query


# ----------------------------------------------------------------------------- in process
def test_without_a_dsn_nothing_is_initialised(settings, api, monkeypatch):
    assert settings.SENTRY_DSN == ""
    client = sentry_sdk.get_client()
    assert not client.is_active() and client.dsn is None
    assert not sentry_sdk.integrations._installed_integrations

    def boom(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(WorkOrderViewSet, "list", boom)
    assert_error(api.get("/api/v1/workorders/"), 500, "SERVER_ERROR")
    assert not sentry_sdk.get_client().is_active()


def test_init_does_nothing_without_a_dsn(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sentry_sdk.init called without a DSN")

    monkeypatch.setattr(sentry_sdk, "init", refuse)
    assert sentry.init_sentry(dsn="", environment="x", release="1", traces_sample_rate=0.0) is False


@pytest.fixture
def reported(monkeypatch):
    calls = []
    monkeypatch.setattr("workshop.api.exceptions.report_exception", calls.append)
    return calls


def test_500s_are_reported_and_other_answers_are_not(api, monkeypatch, reported):
    error = RuntimeError("boom")

    def boom(self, request, *args, **kwargs):
        raise error

    monkeypatch.setattr(WorkOrderViewSet, "list", boom)
    assert_error(api.get("/api/v1/workorders/"), 500, "SERVER_ERROR")
    assert reported == [error]

    def down(self, request, *args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(WorkOrderViewSet, "list", down)
    assert_error(api.get("/api/v1/workorders/"), 503, "SERVICE_UNAVAILABLE")
    assert_error(api.get("/api/v1/nothing-here/"), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/workorders/999999/"), 404, "NOT_FOUND")
    assert reported == [error]


def test_500s_outside_drf_views_on_api_paths_are_reported(rf, reported):
    from workshop.middleware import RequestContextMiddleware

    request = rf.get("/api/v1/anything")
    request.request_id = "rid-1"
    error = RuntimeError("boom")
    assert RequestContextMiddleware(lambda r: None).process_exception(request, error).status_code == 500
    assert (
        RequestContextMiddleware(lambda r: None).process_exception(request, OperationalError()).status_code
        == 503
    )
    assert reported == [error]


def test_before_send_tags_the_request_id_and_drops_personal_data():
    token = secrets.token_urlsafe(40)
    event = {
        "request": {
            "url": f"https://weldshop.example.com/api/v1/workorders/?ticket={TICKET}",
            "method": "GET",
            "query_string": f"ticket={TICKET}&token={token}&search={EMAIL}&page=2&sort_by=due_date",
            "headers": {
                "Authorization": f"Bearer {token}",
                "Cookie": f"sessionid={SESSION}",
                "X-Forwarded-For": "198.51.100.23",
                "X-Real-IP": "198.51.100.23",
                "Accept": "application/json",
            },
            "cookies": {"sessionid": SESSION},
            "data": {"email": EMAIL},
            "env": {"REMOTE_ADDR": "198.51.100.23"},
        },
        "user": {"id": 7, "username": USERNAME, "email": EMAIL, "ip_address": "198.51.100.23"},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT 1 WHERE email = %s", "data": {"params": [EMAIL]}},
                {"category": "httplib", "message": f"GET https://s3/x?X-Amz-Signature={token}", "data": {}},
            ]
        },
        "exception": {"values": [{"stacktrace": {"frames": [{"function": "f", "vars": {"email": EMAIL}}]}}]},
    }
    structlog.contextvars.bind_contextvars(request_id="rid-scrub")
    try:
        scrubbed = sentry.before_send(event, {})
    finally:
        structlog.contextvars.clear_contextvars()
    text = json.dumps(scrubbed)
    for secret in (token, TICKET, SESSION, EMAIL, USERNAME, "198.51.100.23"):
        assert secret not in text, secret
    assert scrubbed["tags"]["request_id"] == "rid-scrub"
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["request"]["headers"] == {"Accept": "application/json"}
    assert scrubbed["request"]["url"] == "https://weldshop.example.com/api/v1/workorders/"
    assert "page=2" in scrubbed["request"]["query_string"]
    assert "sort_by=due_date" in scrubbed["request"]["query_string"]
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == "SELECT 1 WHERE email = %s"


@pytest.mark.parametrize("rate", ["2", "-0.1", "often"])
def test_a_bad_traces_sample_rate_refuses_to_start(rate):
    result = manage("check", SENTRY_TRACES_SAMPLE_RATE=rate)
    assert result.returncode != 0 and "SENTRY_TRACES_SAMPLE_RATE" in result.stderr
