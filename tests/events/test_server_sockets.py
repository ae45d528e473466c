"""Live events over real sockets against running servers (SPEC §5): the `websockets` client
library against `manage.py serve` (one process, no Redis: the in-memory stream and channel
layer of scripts/run) and, with the real Redis of the PostgreSQL run, against gunicorn with
two uvicorn workers plus a second server process sharing the database and Redis — a write
through one server reaches sockets on the other."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from websockets.exceptions import ConnectionClosed

from tests.events.servers import Server, own_redis_url, prepare_database, server_env

USERS = {"ev-manager": "manager", "ev-viewer": "viewer", "ev-admin": "admin", "ev-leaver": "viewer"}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated SQLite file with the users, copied for each server set."""
    tmp = tmp_path_factory.mktemp("events-db")
    prepare_database(server_env(tmp, database=tmp / "db.sqlite3"), USERS)
    return tmp / "db.sqlite3"


def recv(ws, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def subscribe(ws, *topics: str) -> dict:
    ws.send(json.dumps({"type": "subscribe", "topics": list(topics)}))
    ack = recv(ws)
    assert ack["type"] == "subscribed", ack
    return ack


def recv_pong(ws) -> None:
    ws.send(json.dumps({"type": "ping"}))
    assert recv(ws) == {"type": "pong"}


def close_code(ws) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    return closed.value.rcvd.code if closed.value.rcvd else None


# ------------------------------------------------------------------ one process, no Redis
@pytest.fixture(scope="module")
def serve(tmp_path_factory, database):
    tmp = tmp_path_factory.mktemp("events-serve")
    shutil.copy(database, tmp / "db.sqlite3")
    env = server_env(tmp, database=tmp / "db.sqlite3")
    server = Server(tmp, env, "serve").start()
    yield server
    server.stop()


def test_an_api_write_reaches_a_socket_on_the_same_server(serve):
    manager, viewer = serve.login("ev-manager"), serve.login("ev-viewer")
    with serve.socket(viewer) as ws:
        subscribe(ws, "workorders")
        status, created = serve.request(
            "POST", "/api/v1/workorders/", {"order_id": "WO-S1", "client": "A"}, manager
        )
        assert status == 201
        event = recv(ws)
        assert (event["type"], event["event"], event["data"]) == ("event", "workorder.created", created)
        last = event["id"]

    # Missed while away: replayed on reconnect, in order, then live.
    serve.request("PATCH", f"/api/v1/workorders/{created['id']}/", {"status": "on_hold"}, manager)
    serve.request("POST", "/api/v1/workorders/", {"order_id": "WO-S2", "client": "B"}, manager)
    with serve.socket(viewer, f"&topics=workorders&last_event_id={last}") as ws:
        assert recv(ws)["type"] == "subscribed"
        missed = [recv(ws) for _ in range(2)]
        assert [(e["event"], e["data"]["status"]) for e in missed] == [
            ("workorder.updated", "on_hold"),
            ("workorder.created", "pending"),
        ]


def test_refusals_reach_a_real_client_as_close_codes(serve):
    from websockets.sync.client import connect

    with connect(serve.ws_url, proxy=None) as ws:
        assert close_code(ws) == 4401
    viewer = serve.login("ev-viewer")
    with serve.socket(viewer, origin="https://evil.example") as ws:
        assert close_code(ws) == 4403


# ------------------------------------------------------------------ two servers, one Redis
@pytest.fixture(scope="module")
def shared(tmp_path_factory, database):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs a real redis-server: set REDIS_URL (the PostgreSQL run of scripts/test does)")
    import redis

    tmp = tmp_path_factory.mktemp("events-shared")
    redis_url = own_redis_url(os.environ["REDIS_URL"])
    shutil.copy(database, tmp / "db.sqlite3")
    env = server_env(tmp, database=tmp / "db.sqlite3", redis_url=redis_url)
    a = Server(tmp, env, "gunicorn", workers=2).start()
    b = Server(tmp, env, "serve").start()
    yield a, b
    a.stop()
    b.stop()
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{env['CACHE_KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_a_write_through_one_server_reaches_sockets_on_every_server_and_worker(shared):
    a, b = shared
    manager, viewer = a.login("ev-manager"), b.login("ev-viewer")
    # A ticket from A opens a socket on B (the shared cache); sockets on A until both of its
    # workers hold one.
    sockets = [b.socket(viewer)]
    try:
        for _ in range(30):
            sockets.append(a.socket(viewer))
            recv_pong(sockets[-1])  # opened and logged
            if len(set(a.socket_pids())) == 2:
                break
        assert len(set(a.socket_pids())) == 2, a.socket_pids()
        for ws in sockets:
            subscribe(ws, "workorders", "dashboard")
        status, created = a.request(
            "POST", "/api/v1/workorders/", {"order_id": "WO-AB1", "client": "C"}, manager
        )
        assert status == 201
        for ws in sockets:
            received = {}
            while len(received) < 2:
                event = recv(ws)
                received[event["event"]] = event
            assert received["workorder.created"]["data"] == created
            assert received["dashboard.changed"]["id"] > received["workorder.created"]["id"]
        # And the other way round: written through B, seen on A.
        status, _ = b.request("PATCH", f"/api/v1/workorders/{created['id']}/", {"client": "D"}, manager)
        assert status == 200
        for ws in sockets:
            event = recv(ws)
            while event["event"] != "workorder.updated":
                event = recv(ws)
            assert event["data"]["client"] == "D"
    finally:
        for ws in sockets:
            ws.close()


def test_a_socket_on_one_server_replays_what_another_server_published(shared):
    a, b = shared
    manager, viewer = a.login("ev-manager"), a.login("ev-viewer")
    with a.socket(viewer, "&topics=equipment") as ws:
        assert recv(ws)["type"] == "subscribed"
        b.request("POST", "/api/v1/equipment/", {"equipment_id": "EQ-AB1", "name": "TIG"}, manager)
        last = recv(ws)["id"]
    b.request("POST", "/api/v1/equipment/", {"equipment_id": "EQ-AB2", "name": "MIG"}, manager)
    with b.socket(viewer, f"&topics=equipment&last_event_id={last}") as ws:
        assert recv(ws)["type"] == "subscribed"
        assert recv(ws)["data"]["equipment_id"] == "EQ-AB2"


def test_a_deactivated_users_socket_on_another_server_closes(shared):
    a, b = shared
    admin, leaver = a.login("ev-admin"), a.login("ev-leaver")
    with b.socket(leaver, "&topics=workorders") as ws:
        assert recv(ws)["type"] == "subscribed"
        _, users = a.request("GET", "/api/v1/users/?search=ev-leaver", token=admin)
        status, _ = a.request(
            "PATCH", f"/api/v1/users/{users['items'][0]['id']}/", {"is_active": False}, admin
        )
        assert status == 200
        assert close_code(ws) == 4401


def test_a_sockets_ticket_never_reaches_the_log(serve):
    """uvicorn logs the path of every WebSocket it accepts; the ticket in it is redacted."""
    token = serve.login("ev-viewer")
    ticket = serve.ticket(token)
    from websockets.sync.client import connect

    with connect(f"{serve.ws_url}?ticket={ticket}", proxy=None, open_timeout=10) as ws:
        recv_pong(ws)
    log = serve.logs_all()
    assert "ticket=[redacted]" in log
    assert ticket not in log
