"""Caching: answers are cached, every write shows on the next read, and a cache outage
means computing directly (never an error)."""

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import cache as dashboard_cache
from inventory.services import item_adjust_stock
from tests.dashboard.conftest import ENDPOINTS
from tests.events.conftest import without_live_events
from tests.factories import (
    EmployeeFactory,
    EquipmentFactory,
    ExcelImportFactory,
    ImportTemplateFactory,
    InspectionFactory,
    ItemFactory,
    WorkOrderFactory,
)
from tests.workbooks import workbook_upload
from workorders.models import WorkOrder

STATS = ENDPOINTS["stats"]


@pytest.fixture(autouse=True)
def _cached(settings):
    # Caching is on by default only with a shared cache (REDIS_URL); these tests check the
    # mechanism itself, on Redis and on local memory alike.
    settings.DASHBOARD_CACHE_SECONDS = 60


def queries(client, url, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries), response.json()


def dashboard_queries(client, url, **params) -> int:
    """How many of the request's queries are the dashboard's (touch its tables)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    tables = ("workorders_", "equipment_", "inspections_", "staff_employee", "inventory_item")
    return sum(any(t in q["sql"] for t in tables) for q in captured.captured_queries)


@pytest.mark.django_db
class TestCaching:
    @pytest.mark.parametrize("name", sorted(ENDPOINTS))
    def test_the_second_read_comes_from_the_cache(self, api, name):
        WorkOrderFactory()
        assert dashboard_queries(api, ENDPOINTS[name]) > 0
        assert dashboard_queries(api, ENDPOINTS[name]) == 0

    def test_parameters_are_part_of_the_key(self, api):
        WorkOrderFactory(due_date=dt.date(2025, 6, 1))
        assert api.get(STATS).json()["work_orders"]["total"] == 1
        assert api.get(STATS, {"from": "2025-06-02"}).json()["work_orders"]["total"] == 0
        assert api.get(STATS, {"to": "2025-06-01"}).json()["work_orders"]["total"] == 1
        assert len(api.get(STATS, {"limit": 1}).json()["inventory_alerts"]) == 0

    def test_cache_seconds_zero_turns_it_off(self, api, settings):
        settings.DASHBOARD_CACHE_SECONDS = 0
        WorkOrderFactory()
        assert dashboard_queries(api, STATS) > 0
        assert dashboard_queries(api, STATS) > 0

    def test_a_lost_version_counter_does_not_serve_old_figures(self, api, django_capture_on_commit_callbacks):
        WorkOrderFactory()
        assert api.get(STATS).json()["work_orders"]["total"] == 1
        cache.delete(dashboard_cache.VERSION_KEY)  # evicted
        with django_capture_on_commit_callbacks(execute=True):
            WorkOrderFactory()
        assert api.get(STATS).json()["work_orders"]["total"] == 2


@pytest.mark.django_db
class TestInvalidation:
    """A write is on the next read: through the API, the admin, services and imports."""

    def test_api_write_shows_on_the_next_read(self, api, django_capture_on_commit_callbacks):
        assert api.get(STATS).json()["work_orders"]["total"] == 0
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/workorders/", {"order_id": "WO-1", "client": "A"}, format="json")
        assert response.status_code == 201
        assert api.get(STATS).json()["work_orders"]["total"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            api.patch(f"/api/v1/workorders/{response.json()['id']}/", {"status": "completed"}, format="json")
        assert api.get(STATS).json()["work_orders"]["completed"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            api.delete(f"/api/v1/workorders/{response.json()['id']}/")
        assert api.get(STATS).json()["work_orders"]["total"] == 0

    @pytest.mark.parametrize(
        ("make", "endpoint", "figure"),
        [
            (lambda: WorkOrderFactory(), "workorders", lambda b: b["total"]),
            (lambda: EquipmentFactory(), "equipment", lambda b: b["total"]),
            (lambda: InspectionFactory(), "inspections", lambda b: b["total"]),
            (lambda: EmployeeFactory(), "employees", lambda b: b["total"]),
            (lambda: ItemFactory(quantity=0), "inventory-alerts", lambda b: b["count"]),
        ],
        ids=["workorder", "equipment", "inspection", "employee", "item"],
    )
    def test_save_and_delete_of_each_model(
        self, api, django_capture_on_commit_callbacks, make, endpoint, figure
    ):
        url = ENDPOINTS[endpoint]
        before = figure(api.get(url).json())
        with django_capture_on_commit_callbacks(execute=True):
            obj = make()
        assert figure(api.get(url).json()) == before + 1
        with django_capture_on_commit_callbacks(execute=True):
            type(obj).objects.filter(pk=obj.pk).first().delete()
        assert figure(api.get(url).json()) == before

    def test_nothing_is_invalidated_before_the_commit(self, api, django_capture_on_commit_callbacks):
        api.get(STATS)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            WorkOrderFactory()
            WorkOrderFactory()
        assert api.get(STATS).json()["work_orders"]["total"] == 0  # not committed yet: still cached
        assert without_live_events(callbacks) == [dashboard_cache.invalidate]  # once per transaction
        without_live_events(callbacks)[0]()
        assert api.get(STATS).json()["work_orders"]["total"] == 2

    def test_stock_adjustment_through_the_api(self, api, django_capture_on_commit_callbacks):
        item = ItemFactory(quantity=12, reorder_level=10)
        assert api.get(ENDPOINTS["inventory-alerts"]).json()["count"] == 0
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/v1/items/{item.pk}/adjust", {"delta": -5, "reason": "consumption"}, format="json"
            )
        assert response.status_code in (200, 201), response.content
        body = api.get(ENDPOINTS["inventory-alerts"]).json()
        assert body["count"] == 1
        assert body["items"][0]["shortfall"] == 3

    def test_stock_adjustment_service(self, api, django_capture_on_commit_callbacks):
        """item_adjust_stock changes the quantity with a queryset UPDATE (no signal); the
        movement it records is what invalidates."""
        item = ItemFactory(quantity=12, reorder_level=10)
        assert api.get(STATS).json()["inventory_alerts"] == []
        with django_capture_on_commit_callbacks(execute=True):
            item_adjust_stock(item_id=item.pk, delta=-12, reason="consumption")
        assert api.get(STATS).json()["inventory_alerts"][0]["quantity"] == 0

    def test_excel_import(self, api, django_capture_on_commit_callbacks):
        assert api.get(STATS).json()["work_orders"]["total"] == 0
        rows = [["OrderID", "Client", "Status"], ["WO-1", "A", "pending"], ["WO-2", "B", "completed"]]

        def upload(**extra):
            data = workbook_upload(rows, name="orders.xlsx")
            return api.post("/api/v1/workorders/import/", {"file": data, **extra}, format="multipart")

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert upload(dry_run="true").status_code in (200, 201)
        assert dashboard_cache.invalidate not in callbacks  # a dry run writes nothing
        assert WorkOrder.objects.count() == 0
        with django_capture_on_commit_callbacks(execute=True):
            response = upload()
        assert response.status_code in (200, 201), response.content[:300]
        assert WorkOrder.objects.count() == 2
        assert api.get(STATS).json()["work_orders"]["total"] == 2

    def test_only_imports_that_write_invalidate(self, django_capture_on_commit_callbacks):
        """Deleting an import leaves the rows it made; a dry run wrote nothing. A template
        upload writes machine-log entries, which the welding dashboard's arc hours count."""
        template = ImportTemplateFactory()
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            ExcelImportFactory(template=None, resource="items", dry_run=True)
            ExcelImportFactory(resource="", template=template, dry_run=True)
        assert without_live_events(callbacks) == []
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            ExcelImportFactory(resource="", template=template)
        assert without_live_events(callbacks) == [dashboard_cache.invalidate]
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            record = ExcelImportFactory(template=None, resource="items")
        assert without_live_events(callbacks) == [dashboard_cache.invalidate]
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            record.delete()
        assert without_live_events(callbacks) == []

    def test_invalidate_can_be_called_directly(self, api):
        WorkOrderFactory()
        api.get(STATS)
        WorkOrder.objects.update(status="completed")  # a queryset update: no signal
        assert api.get(STATS).json()["work_orders"]["completed"] == 0  # cached
        dashboard_cache.invalidate()
        assert api.get(STATS).json()["work_orders"]["completed"] == 1


# ------------------------------------------------------------------------------ outage
class BrokenCache:
    """Every call fails, as a client of an unreachable Redis does."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError(f"cache down ({name})")

        return fail


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.mark.django_db
class TestCacheOutage:
    def test_a_failing_cache_means_computing_directly(
        self, api, monkeypatch, django_capture_on_commit_callbacks
    ):
        WorkOrderFactory()
        monkeypatch.setattr(dashboard_cache, "cache", BrokenCache())
        for url in ENDPOINTS.values():
            assert api.get(url).status_code == 200
        assert api.get(STATS).json()["work_orders"]["total"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            WorkOrderFactory()  # invalidation fails quietly too
        assert api.get(STATS).json()["work_orders"]["total"] == 2
        dashboard_cache.invalidate()

    def test_outage_is_logged_as_a_warning(self, api, monkeypatch):
        events = []
        monkeypatch.setattr(dashboard_cache, "cache", BrokenCache())
        monkeypatch.setattr(dashboard_cache.log, "warning", lambda event, **kw: events.append((event, kw)))
        api.get(STATS)
        assert events and events[0][0] == "dashboard.cache_unavailable"
        assert events[0][1]["error"] == "ConnectionError"

    def test_a_failing_set_still_answers(self, api, monkeypatch):
        def refuse(*args, **kwargs):
            raise TimeoutError("slow cache")

        monkeypatch.setattr(cache, "set", refuse)
        WorkOrderFactory()
        assert api.get(STATS).json()["work_orders"]["total"] == 1

    def test_redis_on_a_dead_port(self, api, settings, django_capture_on_commit_callbacks):
        """The production backend (django-redis) pointed at a port nothing listens on."""
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
            }
        }
        from django.core.cache import caches

        assert dashboard_cache.current_version() is None  # really unreachable
        WorkOrderFactory(due_date=timezone.localdate() - dt.timedelta(days=1))
        for url in ENDPOINTS.values():
            assert api.get(url).status_code == 200, url
        assert api.get(STATS).json()["work_orders"]["overdue"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            WorkOrderFactory()
        assert api.get(STATS).json()["work_orders"]["total"] == 2
        caches["default"].close()


@pytest.mark.parametrize(("redis_url", "seconds"), [("", 0), ("redis://127.0.0.1:1/0", 60)])
def test_caching_is_on_by_default_only_with_a_shared_cache(redis_url, seconds):
    # Local memory is per process: another worker's or a command's write could not clear it.
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_CACHE_SECONDS"}
    env.update(REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="workshop.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from django.conf import settings; print(settings.DASHBOARD_CACHE_SECONDS)"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(seconds)
