"""`HISTORY_RETENTION_DAYS` and `manage.py prune_history` (SPEC §7)."""

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Item
from tests.factories import ItemFactory
from workshop.history.tasks import prune_history

pytestmark = pytest.mark.django_db


def age(item, days: int, pk=None) -> None:
    Item.history.filter(id=pk or item.pk).update(history_date=timezone.now() - dt.timedelta(days=days))


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_history", *args, stdout=out)
    return out.getvalue()


def test_default_keeps_everything():
    assert django_settings.HISTORY_RETENTION_DAYS is None
    item = ItemFactory()
    item.item_name = "changed"
    item.save()
    age(item, 1000)
    assert "kept whole" in prune()
    assert prune_history() == 0
    assert Item.history.filter(id=item.pk).count() == 2


def test_old_versions_go_but_each_record_keeps_its_latest(settings):
    settings.HISTORY_RETENTION_DAYS = 30
    old = ItemFactory()
    old.item_name = "v2"
    old.save()
    age(old, 40)
    fresh = ItemFactory()
    gone = ItemFactory()
    gone_pk = gone.pk
    gone.delete()
    age(gone, 40, pk=gone_pk)
    out = prune("--dry-run")
    assert "inventory.HistoricalItem: would delete 3" in out
    assert Item.history.count() == 5  # nothing deleted on a dry run
    assert "inventory.HistoricalItem: deleted 3" in prune()
    assert [v.item_name for v in Item.history.filter(id=old.pk)] == ["v2"]
    assert Item.history.filter(id=fresh.pk).count() == 1
    assert not Item.history.filter(id=gone_pk).exists()


def test_days_option_and_bad_days(settings):
    item = ItemFactory()
    item.save()
    age(item, 5)
    assert "deleted 1" in prune("--days", "3")
    with pytest.raises(Exception, match="at least one day"):
        prune("--days", "0")


def test_beat_sends_it_daily():
    assert django_settings.CELERY_BEAT_SCHEDULE["history-prune"]["task"] == "history.prune"
