"""The rules on their own, with an injected clock and resolver: the retry schedule with its
jitter, Retry-After, the SSRF guard's addresses, the known event names."""

from __future__ import annotations

import datetime as dt

import pytest

from workshop.webhooks import addresses, services
from workshop.webhooks.selectors import known_events

NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(1, dt.timedelta(seconds=5)), (2, dt.timedelta(minutes=5)), (3, dt.timedelta(minutes=30)),
     (4, dt.timedelta(hours=2)), (5, dt.timedelta(hours=5)), (6, dt.timedelta(hours=10)),
     (7, dt.timedelta(hours=14))],
)  # fmt: skip
def test_the_retry_schedule_with_jitter(attempt, expected):
    assert services.retry_delay(attempt, jitter=lambda: 0.5) == expected
    assert services.retry_delay(attempt, jitter=lambda: 0.0) == expected * 0.8
    assert services.retry_delay(attempt, jitter=lambda: 1.0) == expected * 1.2


def test_no_retry_after_the_eighth_attempt():
    assert services.MAX_ATTEMPTS == 8
    assert services.retry_delay(8) is None
    assert services.retry_delay(8, retry_after=dt.timedelta(seconds=3)) is None


def test_retry_after_replaces_the_schedule_within_bounds():
    assert services.retry_delay(1, retry_after=dt.timedelta(seconds=90)) == dt.timedelta(seconds=90)
    assert services.retry_delay(3, retry_after=dt.timedelta(0)) == dt.timedelta(seconds=1)
    assert services.retry_delay(2, retry_after=dt.timedelta(days=9)) == dt.timedelta(hours=24)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", dt.timedelta(seconds=120)),
        (" 7 ", dt.timedelta(seconds=7)),
        ("Mon, 07 Dec 2026 06:10:00 GMT", dt.timedelta(minutes=10)),
        ("Mon, 07 Dec 2026 05:00:00 GMT", dt.timedelta(0)),  # in the past: at once
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(header, expected):
    assert services.parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.1.1",
     "169.254.169.254", "fe80::1", "fd00:ec2::254", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1",  # noqa: S104
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::", "240.0.0.1"],
)  # fmt: skip
def test_non_public_addresses(address):
    assert not addresses.is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert addresses.is_public(address)


def test_the_checked_address_is_the_one_connected_to(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.215.14"])
    target = addresses.check("https://erp.example.com:8443/in?x=1", require_https=True)
    assert (target.host, target.port, target.path, target.address) == (
        "erp.example.com",
        8443,
        "/in?x=1",
        "93.184.215.14",
    )


def test_an_unresolvable_name_is_kept_when_saving_refused_when_sending(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    def fail(host, port):
        raise OSError("no such name")

    monkeypatch.setattr(addresses, "resolve", fail)
    assert addresses.check("https://later.example.com/").address is None
    with pytest.raises(addresses.UrlRefused, match="does not resolve"):
        addresses.check("https://later.example.com/", must_resolve=True)


@pytest.mark.django_db
def test_known_events_follow_the_router():
    names = known_events()
    for name in [
        "workorder.created",
        "workorder.updated",
        "item.deleted",
        "import.finished",
        "alert.low_stock",
    ]:
        assert name in names
    assert not any(name.startswith("webhook.") or name.startswith("user.changed") for name in names)


@pytest.mark.django_db
def test_finished_deliveries_are_cleaned_up_after_the_retention(settings):
    from tests.webhooks.factories import MessageFactory
    from workshop.webhooks.models import Attempt, Message, MessageStatus

    settings.WEBHOOK_RETENTION_DAYS = 30
    old = MessageFactory(finished_at=NOW - dt.timedelta(days=31))
    old.attempts.create(number=1, started_at=old.finished_at, response_status=200)
    copy = MessageFactory(finished_at=NOW - dt.timedelta(days=1), redelivery_of=old)
    pending = MessageFactory(status=MessageStatus.PENDING, finished_at=None, next_attempt_at=NOW)
    assert services.messages_clean_up(now=NOW) == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {copy.pk, pending.pk}
    assert not Attempt.objects.exists()
    copy.refresh_from_db()
    assert copy.redelivery_of_id is None


def test_beat_sends_the_sweep_and_the_clean_up():
    from django.conf import settings

    from workshop.celery import app

    app.loader.import_default_modules()
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["webhooks.deliver_due"]["schedule"] <= 5.0
    assert {"webhooks.deliver", "webhooks.deliver_due", "webhooks.clean_up"} <= set(app.tasks)
