"""Login, refresh rotation with revocation, logout, me, and every kind of bad token."""

import datetime as dt

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.contract import assert_error
from tests.factories import EmployeeFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def user(db):
    return UserFactory(username="welder1", role="operator")


def login(client, username="welder1", password=PASSWORD):
    return client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_answers_the_token_pair(anon, user):
    response = login(anon)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert bearer(body["access_token"]).get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize(
    "payload", [{"username": "welder1", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}]
)
def test_wrong_credentials_are_401(anon, user, payload):
    assert_error(anon.post("/api/v1/auth/login", payload, format="json"), 401, "UNAUTHORIZED")


def test_login_missing_fields_is_422(anon, user):
    body = assert_error(
        anon.post("/api/v1/auth/login", {"username": "welder1"}, format="json"), 422, "VALIDATION_ERROR"
    )
    assert "password" in body["errors"]


def test_inactive_user_cannot_log_in(anon, user):
    user.is_active = False
    user.save()
    assert_error(login(anon), 401, "UNAUTHORIZED")


def test_me(user):
    EmployeeFactory(employee_id="EMP-01", user=user)
    tokens = login(APIClient()).json()
    body = bearer(tokens["access_token"]).get("/api/v1/auth/me").json()
    assert body == {
        "id": user.pk,
        "username": "welder1",
        "email": user.email,
        "role": "operator",
        "employee_id": "EMP-01",
    }


def test_me_of_superuser_is_admin(api, admin_user):
    assert api.get("/api/v1/auth/me").json()["role"] == "admin"


def test_refresh_rotates_and_revokes_the_old_token(anon, user):
    first = login(anon).json()
    response = anon.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(second["access_token"]).get("/api/v1/auth/me").status_code == 200
    again = anon.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
    assert_error(again, 401, "UNAUTHORIZED")


def test_refresh_with_garbage_or_access_token_is_401(anon, user):
    tokens = login(anon).json()
    assert_error(
        anon.post("/api/v1/auth/refresh", {"refresh_token": "garbage"}, format="json"), 401, "UNAUTHORIZED"
    )
    assert_error(
        anon.post("/api/v1/auth/refresh", {"refresh_token": tokens["access_token"]}, format="json"),
        401,
        "UNAUTHORIZED",
    )
    assert_error(anon.post("/api/v1/auth/refresh", {}, format="json"), 422, "VALIDATION_ERROR")


def test_refresh_of_deactivated_user_is_401(anon, user):
    tokens = login(anon).json()
    user.is_active = False
    user.save()
    assert_error(
        anon.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"),
        401,
        "UNAUTHORIZED",
    )


def test_logout_revokes_the_refresh_token(anon, user):
    tokens = login(anon).json()
    client = bearer(tokens["access_token"])
    response = client.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 200 and response.json() == {"message": "Logged out successfully"}
    assert_error(
        anon.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"),
        401,
        "UNAUTHORIZED",
    )


def test_logout_is_idempotent(anon, user, settings):
    """A refresh token already revoked (an earlier logout, a password change) or expired logs
    out again with 200; a forged or foreign one is still refused."""
    settings.RATELIMIT_ENABLE = False  # more logins than a minute's allowance
    tokens = login(anon).json()
    logout = {"refresh_token": tokens["refresh_token"]}
    assert (
        bearer(tokens["access_token"]).post("/api/v1/auth/logout", logout, format="json").status_code == 200
    )
    again = bearer(login(anon).json()["access_token"])  # that access token ended with the logout
    assert again.post("/api/v1/auth/logout", logout, format="json").status_code == 200
    second = login(anon).json()
    changed = bearer(second["access_token"]).post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "another-long-passphrase-2026"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    client = bearer(login(anon, password="another-long-passphrase-2026").json()["access_token"])
    response = client.post("/api/v1/auth/logout", {"refresh_token": second["refresh_token"]}, format="json")
    assert response.status_code == 200 and response.json() == {"message": "Logged out successfully"}
    client = bearer(login(anon, password="another-long-passphrase-2026").json()["access_token"])
    expired = _forge(
        {"token_type": "refresh", "user_id": user.pk, "jti": "x1", "exp": 1, "iat": 0},
        settings.SIMPLE_JWT["SIGNING_KEY"],
    )
    assert client.post("/api/v1/auth/logout", {"refresh_token": expired}, format="json").status_code == 200
    client = bearer(login(anon, password="another-long-passphrase-2026").json()["access_token"])
    for bad in (
        _forge({"token_type": "refresh", "user_id": user.pk, "jti": "x2", "exp": 1}, "not-the-key-" * 4),
        _forge(
            {"token_type": "access", "user_id": user.pk, "jti": "x3", "exp": 1},
            settings.SIMPLE_JWT["SIGNING_KEY"],
        ),
        "garbage",
    ):
        assert_error(
            client.post("/api/v1/auth/logout", {"refresh_token": bad}, format="json"), 401, "UNAUTHORIZED"
        )


def test_logout_and_a_password_change_end_access_tokens_at_once(
    anon, user, settings, django_assert_max_num_queries
):
    """An access token issued before a logout or a password change is refused on its next
    request (not when it expires) — every one of the user's; new logins work; the check adds
    no query (the user's query reads the version)."""
    settings.RATELIMIT_ENABLE = False
    phone, laptop = login(anon).json(), login(anon).json()
    with django_assert_max_num_queries(2):  # the user with role and version; their employee
        assert bearer(laptop["access_token"]).get("/api/v1/auth/me").status_code == 200
    out = bearer(phone["access_token"]).post(
        "/api/v1/auth/logout", {"refresh_token": phone["refresh_token"]}, format="json"
    )
    assert out.status_code == 200
    for tokens in (phone, laptop):
        body = assert_error(bearer(tokens["access_token"]).get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
        assert "revoked" in body["detail"]
    refreshed = anon.post("/api/v1/auth/refresh", {"refresh_token": laptop["refresh_token"]}, format="json")
    assert refreshed.status_code == 200  # the laptop's session goes on with a new pair
    assert bearer(refreshed.json()["access_token"]).get("/api/v1/auth/me").status_code == 200
    fresh = login(anon).json()
    changed = bearer(fresh["access_token"]).post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "another-long-passphrase-2026"},
        format="json",
    )
    assert changed.status_code == 200
    for access in (fresh["access_token"], refreshed.json()["access_token"]):
        assert_error(bearer(access).get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    again = login(anon, password="another-long-passphrase-2026").json()
    assert bearer(again["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_logout_needs_login_and_own_token(anon, user):
    tokens = login(anon).json()
    assert_error(
        anon.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json"),
        401,
        "UNAUTHORIZED",
    )
    other = UserFactory(username="other")
    other_tokens = login(APIClient(), username="other").json()
    response = bearer(tokens["access_token"]).post(
        "/api/v1/auth/logout", {"refresh_token": other_tokens["refresh_token"]}, format="json"
    )
    assert_error(response, 401, "UNAUTHORIZED")
    assert other.pk


def test_deactivated_user_is_locked_out_at_once(user):
    tokens = login(APIClient()).json()
    client = bearer(tokens["access_token"])
    assert client.get("/api/v1/workorders/").status_code == 200
    user.is_active = False
    user.save()
    assert_error(client.get("/api/v1/workorders/"), 401, "UNAUTHORIZED")


def _forge(payload, key, algorithm="HS256"):
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize("kind", ["tampered", "expired", "alg_none", "wrong_key", "secret_key", "garbage"])
def test_bad_access_tokens_are_401(user, kind):
    good = AccessToken.for_user(user)
    payload = dict(good.payload)
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    if kind == "tampered":
        head, body, sig = str(good).split(".")
        token = ".".join([head, body[:-2] + ("AA" if body[-2:] != "AA" else "BB"), sig])
    elif kind == "expired":
        payload["exp"] = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp())
        token = _forge(payload, key)
    elif kind == "alg_none":
        token = _forge(payload, None, algorithm="none")
    elif kind == "wrong_key":
        token = _forge(payload, "another-key-that-is-long-enough-for-hs256-0123456789")
    elif kind == "secret_key":
        token = _forge(payload, settings.SECRET_KEY)  # tokens have their own key, not SECRET_KEY
    else:
        token = "not.a.token"
    assert_error(bearer(token).get("/api/v1/workorders/"), 401, "UNAUTHORIZED")


def test_missing_credentials_have_www_authenticate(anon, db):
    response = anon.get("/api/v1/workorders/")
    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_session_login_works_for_the_browsable_api(client, user):
    assert client.login(username="welder1", password=PASSWORD)
    assert client.get("/api/v1/workorders/", HTTP_ACCEPT="application/json").status_code == 200
