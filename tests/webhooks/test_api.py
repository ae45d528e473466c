"""`/api/v1/webhooks/`: the contract (admins only), the secret shown once, rotate, ping,
deliveries and redeliver, and every bad input a 422 naming its field with nothing written."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.contract import ExtraAction, ResourceContract, assert_error
from tests.webhooks.factories import EndpointFactory, MessageFactory
from workshop.webhooks import addresses
from workshop.webhooks.models import Endpoint, Message, MessageStatus
from workshop.webhooks.views import EndpointViewSet

URL = "/api/v1/webhooks/"
ADMIN = frozenset({"admin"})
REDELIVERED = 424242


def make_failed_delivery():
    return MessageFactory(pk=REDELIVERED).endpoint


class TestWebhookContract(ResourceContract):
    url = URL
    viewset = EndpointViewSet
    factory = EndpointFactory
    sort_field = "url"
    admin_only = True

    def create_payload(self):
        return {
            "url": "https://erp.example.com/hooks/weldshop",
            "events": ["workorder.created", "item.updated"],
            "active": True,
            "description": "ERP",
        }

    def update_payload(self, obj):
        return {
            "url": "https://erp.example.com/hooks/other",
            "events": ["*"],
            "active": False,
            "description": "",
        }

    def patch_payload(self, obj):
        return {"events": ["alert.low_stock"]}

    def invalid_payloads(self):
        good = self.create_payload()
        return [
            (what, {**good, "url": url})
            for what, url in [
                ("localhost", "http://localhost/hook"),
                ("a localhost subdomain", "http://api.localhost/hook"),
                ("loopback", "http://127.0.0.1:8000/hook"),
                ("IPv6 loopback", "http://[::1]/hook"),
                ("private 10/8", "http://10.1.2.3/hook"),
                ("private 192.168/16", "https://192.168.0.10/hook"),
                ("metadata", "http://169.254.169.254/latest/meta-data/"),
                ("IPv6-mapped IPv4 loopback", "http://[::ffff:127.0.0.1]/hook"),
                ("IPv6-mapped IPv4 private", "http://[::ffff:10.0.0.1]/hook"),
                ("unspecified", "http://0.0.0.0/hook"),
                ("decimal loopback", "http://2130706433/hook"),
                ("not a URL", "not a url"),
                ("ftp", "ftp://files.example.com/x"),
                ("no host", "https:///path"),
                ("credentials", "https://user:pw@erp.example.com/hook"),
                ("too long", "https://erp.example.com/" + "a" * 2000),
                ("bad port", "https://erp.example.com:99999/hook"),
            ]
        ] + [
            ("unknown event", {**good, "events": ["workorder.exploded"]}),
            ("no events", {**good, "events": []}),
            ("star with others", {**good, "events": ["*", "item.created"]}),
            ("events not a list", {**good, "events": "workorder.created"}),
            ("event not a string", {**good, "events": [12]}),
            ("active not a boolean", {**good, "active": "yes"}),
            ("secret given", {**good, "secret": "whsec_mine"}),
        ]

    def extra_actions(self):
        return [
            ExtraAction("rotate_secret", "post", "rotate-secret/", allowed=ADMIN),
            ExtraAction("ping", "post", "ping/", allowed=ADMIN, success=202),
            ExtraAction("deliveries", "get", "deliveries/", allowed=ADMIN),
            ExtraAction(
                "redeliver",
                "post",
                f"deliveries/{REDELIVERED}/redeliver/",
                allowed=ADMIN,
                success=202,
                make=make_failed_delivery,
            ),
        ]

    def test_create(self, api):
        response = api.post(self.url, self.create_payload(), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["secret"].startswith("whsec_")
        assert body["created_by"] == api.user.pk
        shown = {k: v for k, v in body.items() if k != "secret"}
        assert api.get(self.detail(body["id"])).json() == shown


@pytest.mark.django_db
class TestSecret:
    def test_shown_once_on_create_never_again(self, api):
        body = api.post(URL, {"url": "https://erp.example.com/h", "events": ["*"]}, format="json").json()
        secret = body["secret"]
        assert Endpoint.objects.get().secret == secret
        for answer in (api.get(URL), api.get(f"{URL}{body['id']}/")):
            assert secret not in answer.content.decode() and "secret" not in answer.json()
        patched = api.patch(f"{URL}{body['id']}/", {"description": "x"}, format="json")
        assert "secret" not in patched.json()
        put = api.put(f"{URL}{body['id']}/", {**patched.json(), "secret": "whsec_x"}, format="json")
        assert_error(put, 422, "VALIDATION_ERROR")
        assert Endpoint.objects.get().secret == secret

    def test_rotate_makes_a_new_one_shown_once(self, api):
        endpoint = EndpointFactory()
        old = endpoint.secret
        body = api.post(f"{URL}{endpoint.pk}/rotate-secret/").json()
        assert body["secret"].startswith("whsec_") and body["secret"] != old
        endpoint.refresh_from_db()
        assert endpoint.secret == body["secret"]
        assert "secret" not in api.get(f"{URL}{endpoint.pk}/").json()

    def test_the_secret_is_not_logged(self, api, capsys, caplog):
        body = api.post(URL, {"url": "https://erp.example.com/h", "events": ["*"]}, format="json").json()
        rotated = api.post(f"{URL}{body['id']}/rotate-secret/").json()
        logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
        assert body["secret"] not in logged and rotated["secret"] not in logged


@pytest.mark.django_db
class TestValidation:
    def test_a_hostname_resolving_to_a_private_address_is_refused(self, api, monkeypatch):
        monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.7"])
        body = assert_error(
            api.post(URL, {"url": "https://intranet.example.com/h", "events": ["*"]}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert list(body["errors"]) == ["url"] and "10.0.0.7" in body["errors"]["url"][0]
        assert not Endpoint.objects.exists()

    def test_a_change_to_a_private_url_is_refused(self, api):
        endpoint = EndpointFactory()
        body = assert_error(
            api.patch(f"{URL}{endpoint.pk}/", {"url": "http://127.0.0.1/x"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert list(body["errors"]) == ["url"]
        endpoint.refresh_from_db()
        assert endpoint.url.startswith("https://hooks")

    def test_private_addresses_are_allowed_when_configured(self, api, settings):
        settings.WEBHOOK_ALLOW_PRIVATE = True
        response = api.post(URL, {"url": "http://127.0.0.1:9/h", "events": ["*"]}, format="json")
        assert response.status_code == 201, response.json()

    def test_https_only_when_required(self, api, settings):
        settings.WEBHOOK_REQUIRE_HTTPS = True
        body = assert_error(
            api.post(URL, {"url": "http://erp.example.com/h", "events": ["*"]}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert list(body["errors"]) == ["url"]
        assert (
            api.post(URL, {"url": "https://erp.example.com/h", "events": ["*"]}, format="json").status_code
            == 201
        )

    def test_unknown_events_are_named_with_the_known_ones(self, api):
        body = assert_error(
            api.post(
                URL,
                {"url": "https://erp.example.com/h", "events": ["workorder.created", "nope"]},
                format="json",
            ),
            422,
            "VALIDATION_ERROR",
        )
        assert "nope" in body["errors"]["events"][0] and "workorder.updated" in body["errors"]["events"][0]
        assert not Endpoint.objects.exists()


@pytest.mark.django_db
class TestDeliveriesApi:
    def test_deliveries_list_envelope_with_attempts(self, api, django_assert_max_num_queries):
        endpoint = EndpointFactory()
        for _ in range(3):
            message = MessageFactory(endpoint=endpoint)
            message.attempts.create(
                number=1, started_at=message.created_at, response_status=500, duration_ms=12
            )
        with django_assert_max_num_queries(5):  # auth, endpoint, count, page, attempts (any page size)
            body = api.get(f"{URL}{endpoint.pk}/deliveries/").json()
        assert set(body) == {"items", "total", "page", "page_size", "pages"} and body["total"] == 3
        item = body["items"][0]
        assert item["webhook_id"].startswith("msg_") and item["status"] == "failed"
        assert item["attempts"][0]["response_status"] == 500 and item["attempts"][0]["duration_ms"] == 12

    def test_deliveries_bad_query_is_422(self, api):
        endpoint = EndpointFactory()
        assert_error(api.get(f"{URL}{endpoint.pk}/deliveries/", {"status": "x"}), 422, "VALIDATION_ERROR")
        assert_error(api.get(f"{URL}{endpoint.pk}/deliveries/", {"page": 0}), 422, "VALIDATION_ERROR")

    def test_redeliver_keeps_the_webhook_id_and_body(self, api):
        original = MessageFactory()
        response = api.post(f"{URL}{original.endpoint_id}/deliveries/{original.pk}/redeliver/")
        assert response.status_code == 202, response.json()
        copy = Message.objects.get(pk=response.json()["id"])
        assert (copy.msg_id, bytes(copy.body), copy.redelivery_of_id) == (
            original.msg_id,
            bytes(original.body),
            original.pk,
        )
        assert copy.status == MessageStatus.PENDING

    def test_redeliver_refusals(self, api):
        pending = MessageFactory(status=MessageStatus.PENDING)
        before = Message.objects.count()
        assert_error(
            api.post(f"{URL}{pending.endpoint_id}/deliveries/{pending.pk}/redeliver/"), 409, "CONFLICT"
        )
        other = EndpointFactory()
        assert_error(api.post(f"{URL}{other.pk}/deliveries/{pending.pk}/redeliver/"), 404, "NOT_FOUND")
        inactive = MessageFactory(endpoint=EndpointFactory(active=False))
        assert_error(
            api.post(f"{URL}{inactive.endpoint_id}/deliveries/{inactive.pk}/redeliver/"), 409, "CONFLICT"
        )
        assert Message.objects.count() == before + 1

    def test_ping_of_an_inactive_endpoint_is_409(self, api):
        endpoint = EndpointFactory(active=False)
        assert_error(api.post(f"{URL}{endpoint.pk}/ping/"), 409, "CONFLICT")
        assert not Message.objects.exists()

    def test_ping_queues_a_delivery_sent_after_the_commit(
        self, api, sent_inline, django_capture_on_commit_callbacks
    ):
        endpoint = EndpointFactory(url="https://unresolvable.invalid/h", events=["item.created"])
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"{URL}{endpoint.pk}/ping/")
        assert response.status_code == 202
        assert response.json()["event"] == "webhook.ping" and response.json()["status"] == "pending"
        assert sent_inline == [response.json()["id"]]
        attempt = Message.objects.get().attempts.get()
        assert attempt.response_status is None and "does not resolve" in attempt.error

    def test_nothing_is_sent_inside_the_request_transaction(self, api, sent_inline):
        endpoint = EndpointFactory()
        with transaction.atomic():
            api.post(f"{URL}{endpoint.pk}/ping/")
        assert sent_inline == []  # the test's transaction has not committed


@pytest.mark.django_db
class TestAdmin:
    def change(self, client, endpoint, **values):
        data = {"url": endpoint.url, "events": '["*"]', "active": "on", "description": "", **values}
        return client.post(f"/admin/webhooks/endpoint/{endpoint.pk}/change/", data)

    def test_the_admin_keeps_the_api_rules_and_never_shows_the_secret(self, client, admin_user):
        client.force_login(admin_user)
        endpoint = EndpointFactory(active=False, disabled_reason="gone")
        page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")
        assert page.status_code == 200 and endpoint.secret not in page.content.decode()
        refused = self.change(client, endpoint, url="http://169.254.169.254/latest/")
        assert refused.status_code == 200 and "private" in refused.content.decode()
        refused = self.change(client, endpoint, events='["nope"]')
        assert refused.status_code == 200 and "Unknown event" in refused.content.decode()
        endpoint.refresh_from_db()
        assert endpoint.url.startswith("https://hooks") and endpoint.events == ["*"]
        assert self.change(client, endpoint, url="https://erp.example.com/in").status_code == 302
        endpoint.refresh_from_db()
        assert (endpoint.url, endpoint.active, endpoint.disabled_reason) == (
            "https://erp.example.com/in",
            True,
            "",
        )
        assert client.get("/admin/webhooks/message/").status_code == 200
