"""Delivery against a real HTTP receiver that verifies Standard Webhooks signatures: after
the commit only, retries under the same webhook-id through outages, Retry-After, 410,
redirects not followed, timeouts, three days of failures, leases, ping and redeliver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import ItemFactory, WorkOrderFactory
from tests.jobs.worker import wait_for
from tests.webhooks.factories import EndpointFactory
from tests.webhooks.receiver import Reply
from workshop.webhooks import addresses, services
from workshop.webhooks.models import DisabledReason, Endpoint, Message, MessageStatus

pytestmark = pytest.mark.django_db(transaction=True)
real_dispatch = services.dispatch  # before the tests' fixture replaces it


def subscribe(receiver, events=("workorder.created",), **kwargs) -> Endpoint:
    endpoint = EndpointFactory(url=receiver.url, events=list(events), **kwargs)
    receiver.secret = endpoint.secret
    return endpoint


def sweep(at: dt.datetime) -> int:
    return services.messages_deliver_due(now=at)


def test_an_event_is_posted_signed_once_its_transaction_commits(receiver):
    subscribe(receiver)
    order = WorkOrderFactory()
    assert len(receiver.got) == 1
    got = receiver.got[0]
    assert got.verified, "the standardwebhooks library verifies the signature"
    assert got.webhook_id.startswith("msg_") and got.signature.startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    envelope = got.json
    assert (envelope["type"], envelope["event"], envelope["resource"], envelope["object_id"]) == (
        "event",
        "workorder.created",
        "workorders",
        order.pk,
    )
    assert envelope["data"]["order_id"] == order.order_id
    assert set(envelope) >= {"id", "at", "actor", "request_id"}
    message = Message.objects.get()
    assert bytes(message.body) == got.body and message.msg_id == got.webhook_id
    assert message.status == MessageStatus.SUCCEEDED
    attempt = message.attempts.get()
    assert (attempt.response_status, attempt.response_body) == (200, "ok")


def test_a_rolled_back_write_sends_nothing(receiver):
    subscribe(receiver, events=["workorder.created", "employee.created", "item.created"])
    with pytest.raises(RuntimeError), transaction.atomic():
        WorkOrderFactory()
        raise RuntimeError("rolled back")
    assert receiver.got == [] and not Message.objects.exists()
    with transaction.atomic():
        ItemFactory()
        assert receiver.got == []  # not before the commit
    assert receiver.events() == ["item.created"]


def test_only_subscribed_events_to_active_endpoints(receiver):
    subscribe(receiver, events=["item.updated"])
    EndpointFactory(url=receiver.url, events=["*"], active=False)
    item = ItemFactory()
    item.item_name = "Renamed"
    item.save()
    assert receiver.events() == ["item.updated"]


def test_every_event_once_per_id_through_an_outage(receiver, settings):
    """A receiver down for a while (500s, a 429 with Retry-After, a redirect, a timeout): each
    event is retried under its own webhook-id until it is accepted, once."""
    settings.WEBHOOK_TIMEOUT = 0.5
    endpoint = subscribe(receiver)
    receiver.plan = [Reply(500), Reply(500), Reply(500)]
    orders = [WorkOrderFactory() for _ in range(3)]
    assert [r.status for r in Message.objects.order_by("pk")] == ["pending"] * 3
    first = Message.objects.order_by("pk").first()
    now = timezone.now()
    due = first.next_attempt_at - now
    assert dt.timedelta(seconds=3) <= due <= dt.timedelta(seconds=7)  # 5 s ± 20 %
    assert sweep(now) == 0  # not due yet

    receiver.plan = [
        Reply(429, {"Retry-After": "120"}),
        Reply(301, {"Location": "/elsewhere"}),
        Reply(sleep=2),
    ]
    swept_at = now + dt.timedelta(seconds=10)
    assert sweep(swept_at) == 3
    last = {m.attempts.order_by("number").last().response_status: m for m in Message.objects.all()}
    assert set(last) == {429, 301, None}  # in the order they fell due (jitter)
    retry_after = last[429].next_attempt_at - swept_at
    assert dt.timedelta(seconds=119) <= retry_after <= dt.timedelta(seconds=125)  # Retry-After: 120
    assert not any(r.path == "/elsewhere" for r in receiver.got), "a redirect is not followed"
    assert "Timed out" in last[None].attempts.order_by("number").last().error
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is not None

    assert sweep(now + dt.timedelta(days=1)) == 3  # all due by then; the receiver is back
    assert {m.status for m in Message.objects.all()} == {MessageStatus.SUCCEEDED}
    ids = {m.msg_id for m in Message.objects.all()}
    accepted = [r.webhook_id for r in receiver.got if r.verified][-3:]
    assert sorted(accepted) == sorted(ids)  # each id accepted once, at the end
    assert set(receiver.ids()) == ids and all(r.verified for r in receiver.got)
    assert sorted(r.json["object_id"] for r in receiver.got[-3:]) == sorted(o.pk for o in orders)
    assert all(receiver.ids()[i] == 3 for i in ids)  # every retry kept its id
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # a success ends the run of failures
    assert sweep(now + dt.timedelta(days=2)) == 0


def test_a_410_disables_the_endpoint(receiver):
    endpoint = subscribe(receiver)
    receiver.plan = [Reply(410, body=b"gone")]
    WorkOrderFactory()
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (False, DisabledReason.GONE)
    assert Message.objects.get().status == MessageStatus.FAILED
    WorkOrderFactory()
    assert len(receiver.got) == 1 and Message.objects.count() == 1


def test_giving_up_after_the_last_retry(receiver):
    subscribe(receiver)
    receiver.plan = [Reply(500)] * 20
    WorkOrderFactory()
    message = Message.objects.get()
    gaps = []
    while message.status == MessageStatus.PENDING:
        gaps.append(message.next_attempt_at - message.attempts.order_by("number").last().finished_at)
        assert sweep(message.next_attempt_at + dt.timedelta(seconds=1)) == 1
        message.refresh_from_db()
    for gap, base in zip(gaps, services.RETRY_SCHEDULE, strict=True):
        assert base * 0.8 <= gap <= base * 1.2 + dt.timedelta(seconds=2)
    assert Endpoint.objects.get().active  # the schedule (~32 h) ends before the 3 days
    assert message.status == MessageStatus.FAILED and message.attempt_count == services.MAX_ATTEMPTS == 8
    assert len(receiver.got) == 8 and len(set(receiver.ids())) == 1


def test_three_days_of_failures_disable_the_endpoint(receiver):
    endpoint = subscribe(receiver)
    receiver.plan = [Reply(503)] * 10
    WorkOrderFactory()
    endpoint.refresh_from_db()
    start = endpoint.failing_since
    assert start is not None
    sweep(start + dt.timedelta(days=2))
    endpoint.refresh_from_db()
    assert endpoint.active
    sweep(start + dt.timedelta(days=3, seconds=1))
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (False, DisabledReason.FAILING)


def test_reactivating_clears_the_failure_state(receiver, api):
    endpoint = subscribe(receiver)
    endpoint.active, endpoint.disabled_reason, endpoint.failing_since = False, "gone", timezone.now()
    endpoint.save()
    body = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": True}, format="json").json()
    assert (body["active"], body["disabled_reason"], body["failing_since"]) == (True, None, None)


def test_a_lost_worker_lease_runs_out_and_the_message_goes_again_with_its_id(receiver):
    subscribe(receiver)
    receiver.plan = [Reply(500)]
    WorkOrderFactory()
    message = Message.objects.get()
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    claim = services.message_claim(now=later)  # a worker takes it … and dies before sending
    assert claim is not None
    assert sweep(later + dt.timedelta(seconds=5)) == 0  # its lease holds
    assert sweep(later + dt.timedelta(seconds=services.LEASE_MARGIN.seconds + 11)) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SUCCEEDED
    assert list(receiver.ids().values()) == [2]
    lost = message.attempts.get(number=2)
    assert "Interrupted" in lost.error and lost.response_status is None
    # The dead worker's late answer changes nothing.
    services.attempt_finish(claim, services.sender.Answer(500, "", 1))
    message.refresh_from_db()
    assert message.status == MessageStatus.SUCCEEDED


def test_dns_rebinding_is_refused_at_send_time(receiver, monkeypatch, settings):
    """The name resolved to a public address when saved; at send time it resolves to
    loopback: refused. Allowed (WEBHOOK_ALLOW_PRIVATE), the sender connects to the address it
    checked — the name itself resolves nowhere — and sends the name as Host."""
    port = receiver.server.server_address[1]
    monkeypatch.setattr(addresses, "resolve", lambda host, p: ["93.184.215.14"])
    settings.WEBHOOK_ALLOW_PRIVATE = False
    endpoint = services.endpoint_create(
        url=f"http://rebind.example.com:{port}/hooks", events=["item.created"]
    )
    receiver.secret = endpoint.secret
    monkeypatch.setattr(addresses, "resolve", lambda host, p: ["127.0.0.1"])
    ItemFactory()
    attempt = Message.objects.get().attempts.get()
    assert "Refused" in attempt.error and receiver.got == []
    settings.WEBHOOK_ALLOW_PRIVATE = True
    sweep(timezone.now() + dt.timedelta(minutes=1))
    assert receiver.got[0].verified and receiver.got[0].headers["host"] == f"rebind.example.com:{port}"


def test_ping_and_redeliver_reach_the_receiver(receiver, api):
    endpoint = subscribe(receiver, events=["item.deleted"])
    response = api.post(f"/api/v1/webhooks/{endpoint.pk}/ping/")
    assert response.status_code == 202
    assert receiver.events() == ["webhook.ping"] and receiver.got[0].verified
    assert receiver.got[0].json["data"]["endpoint_id"] == endpoint.pk
    delivery = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["items"][0]
    assert delivery["status"] == "succeeded" and delivery["attempts"][0]["response_status"] == 200
    again = api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery['id']}/redeliver/")
    assert again.status_code == 202
    assert [r.webhook_id for r in receiver.got] == [delivery["webhook_id"]] * 2
    assert receiver.got[0].body == receiver.got[1].body and receiver.got[1].verified
    listed = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert listed["total"] == 2 and listed["items"][0]["redelivery_of"] == delivery["id"]


def test_a_rotated_secret_signs_at_once(receiver, api):
    endpoint = subscribe(receiver, events=["item.created"])
    receiver.secret = api.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/").json()["secret"]
    ItemFactory()
    assert receiver.got[0].verified


def test_without_a_broker_a_thread_of_the_process_sends_it(receiver, monkeypatch):
    """Celery eager (no broker: scripts/run): not in the caller's thread, but soon."""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database locks whole tables between threads")
    monkeypatch.setattr(services, "dispatch", real_dispatch)
    monkeypatch.setattr(services, "_ensure_sweeper", lambda: None)  # no thread outliving the test
    subscribe(receiver)
    receiver.plan = [Reply(sleep=0.5)]
    WorkOrderFactory()
    assert receiver.got == [] or Message.objects.get().status == MessageStatus.PENDING  # not waited for
    wait_for(lambda: Message.objects.get().status == MessageStatus.SUCCEEDED, timeout=20, what="the thread")
    assert receiver.got[0].verified


def self_signed(tmp_path, name: str):
    """A key and certificate for `name`, and an SSL context serving them."""
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return str(cert_file), context


def test_https_to_the_checked_address_with_the_name_verified(tmp_path, monkeypatch, settings):
    """The sender connects to the address it checked and verifies the certificate against the
    URL's name (SNI and hostname check), not against the address."""
    from tests.webhooks.receiver import Receiver

    ca, context = self_signed(tmp_path, "hooks.weldshop.test")
    monkeypatch.setattr(services.sender, "CA_CERTS", ca)
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["127.0.0.1"])
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver(tls=context).start()
    try:
        good = EndpointFactory(
            url=f"https://hooks.weldshop.test:{receiver.port}/hooks", events=["item.created"]
        )
        receiver.secret = good.secret
        EndpointFactory(url=f"https://other.weldshop.test:{receiver.port}/hooks", events=["item.created"])
        ItemFactory()
        assert len(receiver.got) == 1 and receiver.got[0].verified
        wrong = Message.objects.exclude(endpoint=good).get().attempts.get()
        assert wrong.response_status is None and "SSLError" in wrong.error
    finally:
        receiver.stop()


def test_an_event_sent_at_once_inside_a_transaction_waits_for_its_commit(receiver):
    """`publish(..., on_commit=False)` (a job's progress, `dashboard.changed`) reaches the sockets
    at once, but webhooks only once the transaction commits — and never for a rollback."""
    from workshop.events import publish

    subscribe(receiver, events=["dashboard.changed"])
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("dashboard.changed", topic="dashboard", data={}, on_commit=False)
        raise RuntimeError("rolled back")
    assert receiver.got == [] and not Message.objects.exists()
    with transaction.atomic():
        publish("dashboard.changed", topic="dashboard", data={}, on_commit=False)
        assert not Message.objects.exists()
    assert receiver.events() == ["dashboard.changed"] and receiver.got[0].verified
