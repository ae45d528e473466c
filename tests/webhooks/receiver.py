"""A real HTTP receiver for webhook tests: a threaded http.server on 127.0.0.1 that verifies
every request's Standard Webhooks signature with the `standardwebhooks` library, answers what
the test plans (500, 429 with Retry-After, 410, 301, a slow answer, a held request), and
records what it got."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    sleep: float = 0.0  # seconds before answering
    hold: threading.Event | None = None  # answer only once this is set


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    verified: bool
    path: str
    headers: dict

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: str | None = None, tls=None):
        self.secret = secret
        self.plan: list[Reply] = []  # replies for the next requests, in order; then 200
        self.got: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()  # set at each request's arrival
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                if receiver.secret:
                    try:
                        Webhook(receiver.secret).verify(body, headers)
                        verified = True
                    except Exception:
                        verified = False
                with receiver.lock:
                    receiver.got.append(
                        Received(
                            headers.get("webhook-id", ""),
                            headers.get("webhook-timestamp", ""),
                            headers.get("webhook-signature", ""),
                            body,
                            verified,
                            self.path,
                            headers,
                        )
                    )
                    reply = receiver.plan.pop(0) if receiver.plan else Reply()
                receiver.arrived.set()
                if reply.hold is not None:
                    reply.hold.wait(60)
                if reply.sleep:
                    time.sleep(reply.sleep)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up (timeout) or died

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # an ssl.SSLContext: HTTPS
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/hooks"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> Counter:
        return Counter(r.webhook_id for r in self.got)

    def events(self) -> list[str]:
        return [r.json["event"] for r in self.got]
