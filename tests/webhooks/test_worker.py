"""Webhooks on a real Celery worker (PostgreSQL, Redis): a message dispatched after the commit
is sent by the worker; a worker killed (SIGKILL) while the receiver holds its request open
loses nothing — once the lease runs out the sweep sends it again, under the same webhook-id."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from tests.factories import WorkOrderFactory
from tests.jobs.worker import Worker, needs_services, wait_for
from tests.webhooks.factories import EndpointFactory
from tests.webhooks.receiver import Receiver, Reply
from workshop.webhooks import services
from workshop.webhooks.models import Message, MessageStatus

pytestmark = [needs_services, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    instance = Worker(tmp_path_factory.mktemp("worker"), env={"WEBHOOK_ALLOW_PRIVATE": "true"}).start()
    yield instance
    instance.stop()


@pytest.fixture
def receiver():
    instance = Receiver().start()
    yield instance
    instance.stop()


def subscribe(receiver, settings_fixture) -> None:
    settings_fixture.WEBHOOK_ALLOW_PRIVATE = True
    endpoint = EndpointFactory(url=receiver.url, events=["workorder.created"])
    receiver.secret = endpoint.secret


def status_of(message_id: int) -> str:
    return Message.objects.values_list("status", flat=True).get(pk=message_id)


def test_a_message_is_sent_by_the_worker(worker, receiver, settings):
    subscribe(receiver, settings)
    order = WorkOrderFactory()
    message = Message.objects.get()
    wait_for(lambda: status_of(message.pk) == MessageStatus.SUCCEEDED, timeout=60, what="the delivery")
    assert [r.webhook_id for r in receiver.got] == [message.msg_id]
    assert receiver.got[0].verified and receiver.got[0].json["object_id"] == order.pk


def test_a_worker_killed_mid_delivery_loses_nothing(worker, receiver, settings):
    subscribe(receiver, settings)
    release = threading.Event()
    receiver.plan = [Reply(hold=release)]  # the first request is held open
    WorkOrderFactory()
    message = Message.objects.get()
    assert receiver.arrived.wait(60), "the worker did not send the message"
    worker.kill_child()  # SIGKILL of the process sending it, mid-request
    release.set()
    try:
        # Celery hands the task back (acks_late, reject_on_worker_lost); the lease still holds,
        # so nobody sends it twice meanwhile.
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING and message.lease_until is not None
        assert len(receiver.got) == 1
        # Once the lease has run out, the sweep (beat's webhooks.deliver_due) sends it again.
        later = message.lease_until + dt.timedelta(seconds=1)
        assert services.messages_deliver_due(now=later) == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.SUCCEEDED
        assert [r.webhook_id for r in receiver.got] == [message.msg_id] * 2  # at least once, one id
        assert all(r.verified for r in receiver.got) and receiver.got[0].body == receiver.got[1].body
        first, second = message.attempts.order_by("number")
        assert "Interrupted" in first.error and second.response_status == 200
    finally:
        wait_for(lambda: worker.children(), timeout=30, what="the pool to replace its process")
    assert timezone.now() < later  # sent again because the lease was up, not by waiting for it
