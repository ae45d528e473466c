"""The pages people open in a browser still work under the Content Security Policy (issue 6):
Swagger UI, ReDoc, the admin and the browsable API, loaded in a real headless Chromium.

Chromium reports every blocked script, style, image, font, worker or connection as a console
message ("… violates the following Content Security Policy directive …" / "Refused to …"),
which `--enable-logging=stderr` prints; `--dump-dom` gives the page as rendered after its
scripts ran, so Swagger UI can be seen to have drawn the operations from the schema.

Opt-in (a browser start costs a second or two per page): needs Debian's `chromium` at
/usr/bin/chromium and WELDSHOP_BROWSER_TESTS=1. The server is Django's development server
(DJANGO_DEBUG=true, so it serves the static files itself; the CSP middleware is on in every
mode) on a free port with its own SQLite file.

The signed-in pages need a session cookie in a browser driven from the command line: a
throwaway local server on another port answers `Set-Cookie: sessionid=…` and a redirect to the
app. Cookies ignore ports, so Chromium then sends the session to the app.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.conf import settings as django_settings

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(django_settings.BASE_DIR)

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.skipif(
        os.environ.get("WELDSHOP_BROWSER_TESTS") != "1",
        reason="browser tests are opt-in: set WELDSHOP_BROWSER_TESTS=1",
    ),
]

CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)
SESSION_SCRIPT = """
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

user = get_user_model().objects.get(username="browser-admin")
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(settings.SESSION_COOKIE_NAME, store.session_key)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(args: list[str], env: dict) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"manage.py {args[0]}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "REDIS_URL": "",
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "RATELIMIT_ENABLE": "false",
        "LOG_LEVEL": "WARNING",
    }
    manage(["migrate", "--noinput", "-v", "0"], env)
    manage(
        ["create_user", "--role", "admin", "--username", "browser-admin"],
        {**env, "WELDSHOP_PASSWORD": "Bead-and-spatter-7731"},
    )
    cookie_name, session_key = manage(["shell", "-c", SESSION_SCRIPT], env).strip().splitlines()[-1].split()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp / "server.log").read_text(errors="replace")
            with contextlib.suppress(OSError):
                connection = HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            assert time.monotonic() < deadline, "the development server did not start in 30 s"
            time.sleep(0.2)
        yield {
            "base": f"http://127.0.0.1:{port}",
            "cookie": f"{cookie_name}={session_key}",
            "tmp": tmp,
            "env": env,  # for manage.py against the same database (seeding, in other modules)
        }
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
            proc.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def cookie_setter(cookie: str, target: str):
    """A one-page server on another port: sets the cookie, then redirects to the target."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(302)
            self.send_header("Set-Cookie", f"{cookie}; Path=/; HttpOnly; SameSite=Lax")
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def load(url: str, tmp: Path) -> tuple[str, list[str]]:
    """The rendered DOM and the CSP complaints of one page load in a fresh profile."""
    profile = tmp / f"profile-{time.monotonic_ns()}"
    try:
        result = subprocess.run(  # noqa: S603
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=10000",  # let the page's scripts finish (schema fetch, render)
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    complaints = [line for line in result.stderr.splitlines() if CSP_MESSAGE.search(line)]
    return result.stdout, complaints


def test_swagger_ui_renders_the_operations_under_the_csp(server):
    """The docs open with one folded section per resource; a link to one opens it."""
    dom, complaints = load(f"{server['base']}/api/docs/#/workorders", server["tmp"])
    assert complaints == []
    assert 'class="swagger-ui' in dom
    for tag in ("workorders", "qualifications", "weld-log", "analytics", "auth"):
        assert f'id="operations-tag-{tag}"' in dom, tag  # a section per resource
    assert "List work orders" in dom  # an operation summary, drawn from /api/schema/
    assert "opblock" in dom


def test_redoc_renders_under_the_csp(server):
    dom, complaints = load(f"{server['base']}/api/redoc/", server["tmp"])
    assert complaints == []
    assert "List work orders" in dom
    assert "fonts.googleapis.com" not in dom


def test_admin_login_page_under_the_csp(server):
    dom, complaints = load(f"{server['base']}/admin/login/", server["tmp"])
    assert complaints == []
    assert 'name="username"' in dom
    assert 'name="csrfmiddlewaretoken"' in dom


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/api/v1/", "Api Root"),  # the browsable API, signed in through the session
        ("/api/v1/workorders/", "page_size"),
        ("/admin/", "Weldshop admin"),
    ],
)
def test_signed_in_pages_under_the_csp(server, path, marker):
    with cookie_setter(server["cookie"], f"{server['base']}{path}") as start:
        dom, complaints = load(start, server["tmp"])
    assert complaints == []
    assert "browser-admin" in dom  # signed in: the page names the user
    assert marker in dom
