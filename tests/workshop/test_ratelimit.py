"""Rate limits over HTTP (SPEC §4 "Rate limits"): the general limit per user (per IP when
anonymous), login and refresh per IP, uploads and imports, what is never limited, the switch,
the client IP behind trusted proxies, and a cache outage failing open.

The limits are hour rates set through the `settings` fixture, and django-ratelimit's clock is
pinned for each test: its windows are fixed slots of the period (with a per-key offset), so
even an hour window could otherwise end between two requests of a test.
The same tests run against Redis in the PostgreSQL run of scripts/test.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from rest_framework_simplejwt.tokens import RefreshToken

from tests.contract import assert_error
from tests.factories import ImportTemplateFactory, UserFactory, WorkOrderFactory
from tests.imports import workbooks as wb
from tests.workshop.logs import rendered_log_lines
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport

PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's
HOUR = 3600
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
WO_HEADER = ["OrderID", "Client", "Description", "Status", "DueDate", "AssignedWelder"]


@pytest.fixture(autouse=True)
def _pinned_clock_and_tmp_media(monkeypatch, settings, tmp_path):
    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = True
    settings.TRUSTED_PROXY_HOPS = 0
    settings.RATELIMIT_GENERAL = "1000/h"
    settings.RATELIMIT_UPLOAD = "1000/h"
    settings.RATELIMIT_AUTH = "1000/h"


@pytest.fixture
def user(db):
    return UserFactory(username="welder1", role="operator")


def login(client, ip="198.51.100.7", username="welder1", password=PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/login",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=ip,
        **extra,
    )


def rate_headers(response) -> tuple[int, int, int]:
    """(limit, remaining, reset) from the X-RateLimit-* headers."""
    limit, remaining, reset = (int(response[name]) for name in RATE_HEADERS)
    return limit, remaining, reset


def assert_rate_limited(response, limit: int) -> dict:
    """The spec's 429: the error body, a positive whole Retry-After, and the X-RateLimit-*
    headers saying nothing is left until the window resets."""
    body = assert_error(response, 429, "RATE_LIMITED")
    retry_after = response["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= HOUR, retry_after
    got_limit, remaining, reset = rate_headers(response)
    assert (got_limit, remaining) == (limit, 0)
    assert 0 <= reset <= HOUR and int(retry_after) == max(reset, 1)
    return body


def assert_not_counted(response) -> None:
    for name in RATE_HEADERS:
        assert name not in response, (name, response[name])


def workorders_workbook(order_id: str = "WO-RL-1") -> bytes:
    return wb.xlsx([WO_HEADER, [order_id, "Client A", "Frame", "pending", dt.date(2030, 1, 31), None]])


def import_workorders(client, order_id: str = "WO-RL-1"):
    return client.post(
        "/api/v1/workorders/import/",
        {"file": wb.upload(workorders_workbook(order_id))},
        format="multipart",
    )


def upload_log(client, url: str):
    rows = [["Date", "Wire (kg)"], [dt.date(2025, 11, 25), 1.5]]
    return client.post(url, {"file": wb.upload(wb.xlsx(rows), "robot log.xlsx")}, format="multipart")


# ================================================================================ general
@pytest.mark.django_db
class TestGeneralLimit:
    def test_counts_per_user_whatever_the_ip(self, settings, client_for):
        settings.RATELIMIT_GENERAL = "3/h"
        viewer = client_for("viewer")
        for remaining in (2, 1, 0):
            response = viewer.get("/api/v1/workorders/", REMOTE_ADDR="198.51.100.1")
            assert response.status_code == 200
            assert rate_headers(response)[:2] == (3, remaining)
        assert_rate_limited(viewer.get("/api/v1/workorders/", REMOTE_ADDR="198.51.100.1"), limit=3)
        # The same user from another address is the same count; another user is not.
        assert_rate_limited(viewer.get("/api/v1/equipment/", REMOTE_ADDR="203.0.113.50"), limit=3)
        other = client_for("viewer")
        response = other.get("/api/v1/workorders/", REMOTE_ADDR="198.51.100.1")
        assert response.status_code == 200 and rate_headers(response)[:2] == (3, 2)

    def test_counts_per_ip_when_anonymous(self, settings, anon, user):
        settings.RATELIMIT_GENERAL = "3/h"  # the login limit stays at 1000/h
        for remaining in (2, 1, 0):
            response = login(anon, ip="198.51.100.2")
            assert response.status_code == 200
            assert rate_headers(response)[:2] == (3, remaining)
        assert_rate_limited(login(anon, ip="198.51.100.2"), limit=3)
        assert login(anon, ip="198.51.100.3").status_code == 200

    def test_a_limited_write_writes_nothing(self, settings, client_for):
        settings.RATELIMIT_GENERAL = "1/h"
        manager = client_for("manager")
        payload = {"order_id": "WO-RL-9", "client": "Client A"}
        assert manager.post("/api/v1/workorders/", payload, format="json").status_code == 201
        payload["order_id"] = "WO-RL-10"
        assert_rate_limited(manager.post("/api/v1/workorders/", payload, format="json"), limit=1)
        assert list(WorkOrder.objects.values_list("order_id", flat=True)) == ["WO-RL-9"]

    @pytest.mark.parametrize(
        "credentials",
        [{}, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}, {"HTTP_AUTHORIZATION": "Basic d2VsZGVyMTp4"}],
        ids=["no token", "garbage token", "wrong scheme"],
    )
    def test_refused_anonymous_requests_count_per_ip(self, settings, anon, credentials):
        settings.RATELIMIT_GENERAL = "3/h"
        for remaining in (2, 1, 0):
            response = anon.get("/api/v1/workorders/", REMOTE_ADDR="198.51.100.20", **credentials)
            assert_error(response, 401, "UNAUTHORIZED")
            assert rate_headers(response)[:2] == (3, remaining)
        assert_rate_limited(anon.get("/api/v1/items/", REMOTE_ADDR="198.51.100.20", **credentials), limit=3)
        # Another address is another count.
        assert_error(
            anon.get("/api/v1/workorders/", REMOTE_ADDR="198.51.100.21", **credentials), 401, "UNAUTHORIZED"
        )

    def test_refused_writes_count_per_user_and_write_nothing(self, settings, client_for):
        settings.RATELIMIT_GENERAL = "2/h"
        viewer = client_for("viewer")
        payload = {"order_id": "WO-RL-403", "client": "Client A"}
        for remaining in (1, 0):
            response = viewer.post("/api/v1/workorders/", payload, format="json")
            assert_error(response, 403, "FORBIDDEN")
            assert rate_headers(response)[:2] == (2, remaining)
        assert_rate_limited(viewer.post("/api/v1/workorders/", payload, format="json"), limit=2)
        assert_rate_limited(viewer.get("/api/v1/workorders/"), limit=2)
        assert not WorkOrder.objects.exists()

    def test_a_refusal_inside_the_view_counts_once(self, settings, client_for):
        # The operator may PATCH work orders, but not this one: the 403 comes from the object
        # check after the throttles ran, and must not be counted a second time.
        settings.RATELIMIT_GENERAL = "5/h"
        operator = client_for("operator")
        order = WorkOrderFactory()
        response = operator.patch(f"/api/v1/workorders/{order.pk}/", {"client": "Other"}, format="json")
        assert_error(response, 403, "FORBIDDEN")
        assert rate_headers(response)[:2] == (5, 4)
        order.refresh_from_db()
        assert order.client != "Other"


# ============================================================================ login, refresh
@pytest.mark.django_db
class TestAuthLimit:
    def test_the_sixth_login_from_one_ip_is_429(self, settings, anon, user):
        settings.RATELIMIT_AUTH = "5/h"
        for remaining in (4, 3, 2, 1, 0):
            response = login(anon)
            assert response.status_code == 200 and "access_token" in response.json()
            assert rate_headers(response)[:2] == (5, remaining)
        limited = login(anon)
        body = assert_rate_limited(limited, limit=5)
        assert "access_token" not in body
        # Another address is not limited.
        response = login(anon, ip="198.51.100.8")
        assert response.status_code == 200 and rate_headers(response)[:2] == (5, 4)

    @pytest.mark.parametrize(
        "credentials",
        [
            pytest.param(lambda i: ("welder1", f"wrong-{i}"), id="wrong-passwords"),
            pytest.param(lambda i: (f"nobody{i}", PASSWORD), id="many-usernames"),
        ],
    )
    def test_failed_logins_count_too(self, settings, anon, user, credentials):
        settings.RATELIMIT_AUTH = "5/h"
        for i in range(5):
            username, password = credentials(i)
            assert_error(login(anon, username=username, password=password), 401, "UNAUTHORIZED")
        # The right password does not help once the address is over the limit.
        assert_rate_limited(login(anon), limit=5)

    def test_refresh_is_limited_per_ip(self, settings, anon, user):
        settings.RATELIMIT_AUTH = "5/h"

        def refresh(ip="198.51.100.9"):
            token = str(RefreshToken.for_user(user))
            return anon.post("/api/v1/auth/refresh", {"refresh_token": token}, format="json", REMOTE_ADDR=ip)

        for _ in range(5):
            assert refresh().status_code == 200
        body = assert_rate_limited(refresh(), limit=5)
        assert "refresh_token" not in body
        assert refresh(ip="198.51.100.10").status_code == 200

    def test_an_authenticated_user_is_not_limited_by_the_login_limit(self, settings, client_for):
        settings.RATELIMIT_AUTH = "1/h"
        viewer = client_for("viewer")
        for _ in range(3):
            response = viewer.get("/api/v1/auth/me")
            assert response.status_code == 200
            assert rate_headers(response)[0] == 1000  # only the general limit applies


# ========================================================================= uploads, imports
@pytest.mark.django_db
class TestUploadLimit:
    @pytest.mark.parametrize("kind", ["import", "template-upload", "legacy-upload"])
    def test_the_third_upload_is_429_and_stores_nothing(self, settings, api, kind):
        settings.RATELIMIT_UPLOAD = "2/h"
        template = ImportTemplateFactory(mapping={"Date": "date", "Wire (kg)": "wire_kg"})

        def send(n: int):
            if kind == "import":
                return import_workorders(api, order_id=f"WO-RL-{n}")
            if kind == "template-upload":
                return upload_log(api, f"/api/v1/templates/{template.pk}/upload/")
            return upload_log(api, f"/api/v1/upload/{template.pk}")

        for n, remaining in ((1, 1), (2, 0)):
            response = send(n)
            assert response.status_code == 201, response.content[:500]
            assert rate_headers(response)[:2] == (2, remaining)
        assert_rate_limited(send(3), limit=2)
        assert ExcelImport.objects.count() == 2
        if kind == "import":
            assert set(WorkOrder.objects.values_list("order_id", flat=True)) == {"WO-RL-1", "WO-RL-2"}

    def test_imports_and_uploads_share_one_count_per_user(self, settings, api, client_for):
        settings.RATELIMIT_UPLOAD = "2/h"
        template = ImportTemplateFactory(mapping={"Date": "date", "Wire (kg)": "wire_kg"})
        assert import_workorders(api).status_code == 201
        assert upload_log(api, f"/api/v1/templates/{template.pk}/upload/").status_code == 201
        assert_rate_limited(upload_log(api, f"/api/v1/upload/{template.pk}"), limit=2)
        assert_rate_limited(import_workorders(api, order_id="WO-RL-2"), limit=2)
        # Another user (same address) has a count of their own.
        manager = client_for("manager")
        response = upload_log(manager, f"/api/v1/templates/{template.pk}/upload/")
        assert response.status_code == 201 and rate_headers(response)[:2] == (2, 1)
        assert ExcelImport.objects.count() == 3

    def test_plain_creates_do_not_count(self, settings, api):
        settings.RATELIMIT_UPLOAD = "1/h"
        for n in range(3):
            payload = {"order_id": f"WO-RL-{n + 10}", "client": "Client A"}
            response = api.post("/api/v1/workorders/", payload, format="json")
            assert response.status_code == 201
            assert rate_headers(response)[0] == 1000  # the general limit, not the upload one
        response = import_workorders(api)
        assert response.status_code == 201 and rate_headers(response)[:2] == (1, 0)
        assert_rate_limited(import_workorders(api, order_id="WO-RL-2"), limit=1)


# ===================================================================== never limited, off
@pytest.mark.django_db
def test_health_is_never_limited(settings, anon, user):
    settings.RATELIMIT_GENERAL = "1/h"
    for path in ("/health", "/health/", "/health/db", "/health/status"):
        for _ in range(3):
            response = anon.get(path, REMOTE_ADDR="198.51.100.11")
            assert response.status_code == 200, (path, response.content[:300])
            assert_not_counted(response)
    # The limit is live for everything else from that address.
    assert login(anon, ip="198.51.100.11").status_code == 200
    assert_rate_limited(login(anon, ip="198.51.100.11"), limit=1)


@pytest.mark.django_db
def test_ratelimit_enable_false_turns_every_limit_off(settings, api, anon, user):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_GENERAL = settings.RATELIMIT_UPLOAD = settings.RATELIMIT_AUTH = "1/h"
    for _ in range(3):
        response = login(anon)
        assert response.status_code == 200
        assert_not_counted(response)
    for n in range(3):
        response = import_workorders(api, order_id=f"WO-RL-{n}")
        assert response.status_code == 201
        assert_not_counted(response)
    assert ExcelImport.objects.count() == 3


# ================================================================ client IP behind proxies
@pytest.mark.django_db
class TestTrustedProxyHops:
    def test_with_no_trusted_proxy_x_forwarded_for_is_ignored(self, settings, anon, user):
        settings.RATELIMIT_AUTH = "2/h"
        for n in (1, 2):
            assert login(anon, ip="10.0.0.5", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
        # A fresh forged address does not reset the count of the real one...
        assert_rate_limited(login(anon, ip="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.3"), limit=2)
        # ...and forging a limited address does not limit anyone else.
        assert login(anon, ip="10.0.0.6", HTTP_X_FORWARDED_FOR="10.0.0.5").status_code == 200

    def test_behind_one_proxy_the_last_entry_is_the_client(self, settings, anon, user):
        settings.TRUSTED_PROXY_HOPS = 1
        settings.RATELIMIT_AUTH = "2/h"
        balancer = "10.0.0.1"
        for n in (1, 2):
            forwarded = f"198.18.0.{n}, 203.0.113.9"  # what the client sent, then what the proxy saw
            assert login(anon, ip=balancer, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
        assert_rate_limited(login(anon, ip=balancer, HTTP_X_FORWARDED_FOR="198.18.0.3, 203.0.113.9"), limit=2)
        # Another client behind the same proxy has its own count.
        assert login(anon, ip=balancer, HTTP_X_FORWARDED_FOR="203.0.113.9, 203.0.113.10").status_code == 200
        # Without the header (a request straight to the app) the peer address counts.
        assert login(anon, ip=balancer).status_code == 200

    def test_behind_two_proxies_the_second_to_last_entry_is_the_client(self, settings, anon, user):
        settings.TRUSTED_PROXY_HOPS = 2
        settings.RATELIMIT_AUTH = "1/h"
        assert (
            login(anon, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.20, 10.0.0.1").status_code
            == 200
        )
        limited = login(anon, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.20, 10.0.0.1")
        assert_rate_limited(limited, limit=1)
        assert login(anon, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.21, 10.0.0.1").status_code == 200

    def test_a_port_in_x_forwarded_for_is_the_same_client(self, settings, anon, user):
        settings.TRUSTED_PROXY_HOPS = 1
        settings.RATELIMIT_AUTH = "2/h"
        assert login(anon, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.30:50123").status_code == 200
        assert login(anon, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="[2001:db8::30]:443").status_code == 200
        assert login(anon, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.30").status_code == 200
        assert_rate_limited(login(anon, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.30:61000"), limit=2)


@pytest.mark.django_db
@pytest.mark.parametrize(("hops", "client"), [(0, "10.0.0.1"), (1, "203.0.113.60"), (2, "198.18.0.9")])
def test_the_request_log_line_names_the_same_client_ip(settings, caplog, anon, hops, client):
    settings.TRUSTED_PROXY_HOPS = hops
    response = anon.get("/health", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.18.0.9, 203.0.113.60")
    assert response.status_code == 200
    finished = [line for line in rendered_log_lines(caplog) if line["event"] == "request.finished"]
    assert [line["client_ip"] for line in finished] == [client]


@pytest.mark.django_db
class TestIPv6:
    def test_one_ipv6_slash_64_is_one_client(self, settings, anon, user):
        settings.RATELIMIT_AUTH = "2/h"
        assert login(anon, ip="2001:db8:1:2::1").status_code == 200
        assert login(anon, ip="2001:db8:1:2:aaaa:bbbb:cccc:dddd").status_code == 200
        assert_rate_limited(login(anon, ip="2001:db8:1:2::ffff"), limit=2)
        assert login(anon, ip="2001:db8:1:3::1").status_code == 200

    def test_ipv4_mapped_addresses_count_as_their_ipv4_address(self, settings, anon, user):
        # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; masking those to /64
        # would put every IPv4 client in one count.
        settings.RATELIMIT_AUTH = "2/h"
        assert login(anon, ip="::ffff:203.0.113.40").status_code == 200
        assert login(anon, ip="203.0.113.40").status_code == 200
        assert_rate_limited(login(anon, ip="::ffff:203.0.113.40"), limit=2)
        assert login(anon, ip="::ffff:203.0.113.41").status_code == 200


# =============================================================================== outages
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cache_outage_lines(caplog, responses) -> list[dict]:
    """The outage's log lines: errors, one for each request, each with its request id."""
    lines = [line for line in rendered_log_lines(caplog) if line["event"] == "ratelimit.cache_unavailable"]
    assert [line["request_id"] for line in lines] == [r["X-Request-ID"] for r in responses], lines
    assert {line["level"] for line in lines} == {"error"}
    return lines


@pytest.mark.django_db
class TestCacheOutage:
    def test_a_cache_that_raises_fails_open_with_an_error_logged(self, settings, monkeypatch, caplog, api):
        settings.RATELIMIT_GENERAL = "1/h"
        cache = caches["default"]

        def down(*args, **kwargs):
            raise ConnectionError("cache unreachable")

        monkeypatch.setattr(cache, "add", down)
        monkeypatch.setattr(cache, "incr", down)
        responses = [api.get("/api/v1/workorders/") for _ in range(3)]
        for response in responses:
            assert response.status_code == 200
            assert_not_counted(response)
        lines = cache_outage_lines(caplog, responses)
        assert {line["error"] for line in lines} == {"ConnectionError"}

    def test_a_cache_that_gives_no_count_fails_open_with_an_error_logged(
        self, settings, monkeypatch, caplog, anon, user
    ):
        settings.RATELIMIT_AUTH = "1/h"
        cache = caches["default"]

        def gone(*args, **kwargs):
            raise ValueError("key vanished")  # django-ratelimit reads this as "no count"

        monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
        monkeypatch.setattr(cache, "incr", gone)
        responses = [login(anon) for _ in range(3)]
        for response in responses:
            assert response.status_code == 200
            assert_not_counted(response)
        cache_outage_lines(caplog, responses)

    def test_an_unreachable_redis_fails_open(self, settings, caplog, anon, user):
        settings.RATELIMIT_AUTH = "1/h"
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
                "KEY_PREFIX": "weldshop-test-outage",
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
            }
        }
        started = time.monotonic()
        responses = [login(anon) for _ in range(3)]
        assert time.monotonic() - started < 10
        for response in responses:
            assert response.status_code == 200 and "access_token" in response.json()
            assert_not_counted(response)
        lines = cache_outage_lines(caplog, responses)
        assert {line["error"] for line in lines} == {"ConnectionError"}


# ========================================================================= configuration
@pytest.mark.parametrize(
    ("name", "value"),
    [("RATELIMIT_GENERAL", "100/M"), ("RATELIMIT_AUTH", "5"), ("RATELIMIT_UPLOAD", "ten/m")],
)
def test_a_malformed_rate_refuses_to_start(name, value):
    # "100/M" would otherwise be read as 100 a second, "5" as 5 a second.
    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "workshop.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr, result.stderr[-2000:]


def test_a_negative_proxy_count_refuses_to_start():
    env = {**os.environ, "TRUSTED_PROXY_HOPS": "-1", "DJANGO_SETTINGS_MODULE": "workshop.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "TRUSTED_PROXY_HOPS" in result.stderr, result.stderr[-2000:]
