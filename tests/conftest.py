import os

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

if os.environ.get("WELDSHOP_TEST_ASGI"):
    from tests.asgi_client import install

    install()  # every request of the suite over the ASGI path (tests/asgi_client.py)


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    from workshop import roles

    cache.clear()
    roles._GROUP_PERMISSIONS.clear()  # a test that edits a group must not leak into the next


@pytest.fixture(autouse=True)
def _jobs_in_process(request):
    """Jobs run eagerly, in the test's process and transaction, as in the default run without
    Redis; tests marked `real_worker` send them to a real Celery worker instead."""
    from workshop.celery import app

    eager = "real_worker" not in request.keywords
    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = before


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.user = user
    return client


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True, role="admin")


@pytest.fixture
def api(admin_user) -> APIClient:
    """A client logged in with a JWT as an admin."""
    return bearer_client(admin_user)


@pytest.fixture
def client_for(db):
    """`client_for("operator")`: a JWT client for a new user with that role."""

    def make(role: str, **kwargs) -> APIClient:
        return bearer_client(UserFactory(role=role, **kwargs))

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
