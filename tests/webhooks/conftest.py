import pytest

from tests.webhooks.receiver import Receiver
from workshop.webhooks import services


@pytest.fixture
def receiver(settings):
    """A receiver on 127.0.0.1 (so private addresses are allowed for the test)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    instance = Receiver().start()
    yield instance
    instance.stop()


@pytest.fixture(autouse=True)
def sent_inline(request, monkeypatch):
    """Messages dispatched after the commit are attempted at once, in the test's thread (not
    in a thread of their own, as Celery's eager mode does); the ids dispatched are listed.
    Tests marked `real_worker` send them to the broker."""
    dispatched: list[int] = []
    if "real_worker" in request.keywords:
        yield dispatched
        return

    def dispatch(ids):
        dispatched.extend(ids)
        for pk in ids:
            services.message_deliver(message_id=pk)

    monkeypatch.setattr(services, "dispatch", dispatch)
    yield dispatched
