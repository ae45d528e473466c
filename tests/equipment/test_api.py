import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equipment.models import Equipment
from equipment.views import EquipmentViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import EquipmentFactory

URL = "/api/v1/equipment/"


def today() -> dt.date:
    return timezone.localdate()


def due_in(days: int | None, interval: int | None = 30, **kwargs) -> Equipment:
    """Equipment whose next service is `days` from today (negative: in the past)."""
    last = None if days is None else today() + dt.timedelta(days=days - (interval or 0))
    return EquipmentFactory(last_service_date=last, service_interval_days=interval, **kwargs)


class TestEquipmentContract(ResourceContract):
    url = URL
    viewset = EquipmentViewSet
    factory = EquipmentFactory
    business_key = "equipment_id"
    sort_field = "next_service_due"
    max_list_queries = 3  # auth user, count, page

    def create_payload(self):
        return {
            "equipment_id": "EQ-900",
            "name": "TIG Welder 300A",
            "status": "maintenance",
            "last_service_date": "2030-01-30",
            "service_interval_days": 30,
        }

    def patch_payload(self, obj):
        return {"status": "out_of_order"}

    def invalid_payloads(self):
        ok = {"equipment_id": "EQ-1", "name": "Grinder"}
        return [
            ("no name", {"equipment_id": "EQ-1"}),
            ("no key", {"name": "Grinder"}),
            ("blank key", {**ok, "equipment_id": "   "}),
            ("key over 32", {**ok, "equipment_id": "E" * 33}),
            ("blank name", {**ok, "name": ""}),
            ("unknown status", {**ok, "status": "exploded"}),
            ("null status", {**ok, "status": None}),
            ("status not a string", {**ok, "status": 1}),
            ("interval zero", {**ok, "service_interval_days": 0}),
            ("interval negative", {**ok, "service_interval_days": -30}),
            ("interval not a number", {**ok, "service_interval_days": "monthly"}),
            ("interval a fraction", {**ok, "service_interval_days": 1.5}),
            ("interval over the column", {**ok, "service_interval_days": 2_147_483_648}),
            ("bad date", {**ok, "last_service_date": "2025-02-30"}),
            ("date not ISO", {**ok, "last_service_date": "30/01/2025"}),
            (
                "next service past 9999",
                {**ok, "last_service_date": "9999-12-01", "service_interval_days": 90},
            ),
        ]


@pytest.mark.django_db
class TestStatus:
    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("operational", "operational"),
            ("Operational", "operational"),
            ("MAINTENANCE", "maintenance"),
            ("Maintenance", "maintenance"),
            ("Maintenance Required", "maintenance"),
            ("maintenance required", "maintenance"),
            ("Under Maintenance", "maintenance"),
            ("Out of Order", "out_of_order"),
            ("out-of-order", "out_of_order"),
            ("OUT_OF_ORDER", "out_of_order"),
            ("Out of Service", "out_of_order"),
            ("Broken", "out_of_order"),
        ],
    )
    def test_values_labels_and_aliases_are_stored_as_the_value(self, api, sent, stored):
        response = api.post(URL, {"equipment_id": "EQ-1", "name": "Welder", "status": sent}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == stored
        assert Equipment.objects.get().status == stored

    def test_patch_takes_an_alias(self, api):
        equipment = EquipmentFactory(status="operational")
        response = api.patch(f"{URL}{equipment.pk}/", {"status": "Out of Service"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "out_of_order"

    def test_default_is_operational(self, api):
        body = api.post(URL, {"equipment_id": "EQ-1", "name": "Welder"}, format="json").json()
        assert body["status"] == "operational"
        assert body["last_service_date"] is None and body["service_interval_days"] is None
        assert body["next_service_due"] is None and body["service_overdue"] is False

    def test_bad_patch_changes_nothing(self, api):
        equipment = EquipmentFactory(status="maintenance", service_interval_days=90)
        before = Equipment.objects.values().get(pk=equipment.pk)
        for payload in (
            {"status": "exploded"},
            {"status": None},
            {"service_interval_days": 0},
            {"service_interval_days": -1},
            {"last_service_date": "not a date"},
            {"name": ""},
        ):
            response = api.patch(f"{URL}{equipment.pk}/", payload, format="json")
            body = assert_error(response, 422, "VALIDATION_ERROR")
            assert set(body["errors"]) == set(payload), (payload, body)
        # A date that only overflows with the stored interval is reported on the interval.
        response = api.patch(f"{URL}{equipment.pk}/", {"last_service_date": "9999-12-30"}, format="json")
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["errors"] == {"service_interval_days": ["The next service would fall after 9999-12-31."]}
        assert Equipment.objects.values().get(pk=equipment.pk) == before


@pytest.mark.django_db
class TestNextServiceDue:
    def test_create_returns_the_generated_date_without_a_second_read(self, api):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(
                URL,
                {
                    "equipment_id": "EQ-1",
                    "name": "A",
                    "last_service_date": "2024-01-30",
                    "service_interval_days": 30,
                },
                format="json",
            )
        sql = [q["sql"] for q in queries.captured_queries]  # before any other request resets the log
        assert response.status_code == 201
        assert response.json()["next_service_due"] == "2024-02-29"
        assert response.json()["service_overdue"] is True
        # The INSERT ... RETURNING brings the generated column back; nothing reads the row again.
        inserts = [q for q in sql if q.startswith('INSERT INTO "equipment_equipment"')]
        assert len(inserts) == 1 and '"next_service_due"' in inserts[0].split("RETURNING")[1]
        assert not [q for q in sql if '"next_service_due" FROM "equipment_equipment"' in q]

    def test_create_reads_the_date_back_where_insert_returns_nothing(self, api, monkeypatch):
        if connection.vendor != "sqlite":
            pytest.skip("only SQLite can insert without RETURNING (older versions do)")
        monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
        with CaptureQueriesContext(connection) as queries:
            response = api.post(
                URL,
                {
                    "equipment_id": "EQ-1",
                    "name": "A",
                    "last_service_date": "2024-01-30",
                    "service_interval_days": 30,
                },
                format="json",
            )
        sql = [q["sql"] for q in queries.captured_queries]
        assert response.status_code == 201
        assert response.json()["next_service_due"] == "2024-02-29"
        assert not [q for q in sql if "RETURNING" in q]
        assert len([q for q in sql if '"next_service_due" FROM "equipment_equipment"' in q]) == 1

    def test_update_shows_the_new_date_with_one_extra_query(self, api):
        equipment = EquipmentFactory(last_service_date=dt.date(2024, 1, 30), service_interval_days=30)
        with CaptureQueriesContext(connection) as queries:
            response = api.patch(f"{URL}{equipment.pk}/", {"service_interval_days": 31}, format="json")
        sql = [q["sql"] for q in queries.captured_queries]
        assert response.status_code == 200
        assert response.json()["next_service_due"] == "2024-03-01"
        assert response.json() == api.get(f"{URL}{equipment.pk}/").json()
        # auth user, savepoint, the row, UPDATE, its history version, re-read of
        # next_service_due, release
        assert len(sql) == 7, sql
        assert sql[5].startswith(
            'SELECT "equipment_equipment"."id", "equipment_equipment"."next_service_due" FROM'
        )

    def test_put_recomputes_and_clearing_the_interval_clears_the_date(self, api):
        equipment = due_in(-5)
        assert api.get(f"{URL}{equipment.pk}/").json()["service_overdue"] is True
        body = api.put(
            f"{URL}{equipment.pk}/",
            {"equipment_id": equipment.equipment_id, "name": "Renamed", "last_service_date": str(today())},
            format="json",
        ).json()
        # PUT without service_interval_days keeps it (30), from today
        assert body["next_service_due"] == str(today() + dt.timedelta(days=30))
        assert body["service_overdue"] is False
        body = api.patch(f"{URL}{equipment.pk}/", {"service_interval_days": None}, format="json").json()
        assert body["service_interval_days"] is None
        assert body["next_service_due"] is None and body["service_overdue"] is False

    def test_generated_fields_are_read_only(self, api):
        body = api.post(
            URL,
            {
                "equipment_id": "EQ-1",
                "name": "A",
                "last_service_date": "2030-01-01",
                "service_interval_days": 10,
                "next_service_due": "2000-01-01",
                "service_overdue": True,
            },
            format="json",
        ).json()
        assert body["next_service_due"] == "2030-01-11" and body["service_overdue"] is False
        equipment = Equipment.objects.get()
        body = api.patch(
            f"{URL}{equipment.pk}/",
            {"next_service_due": "2000-01-01", "service_overdue": True},
            format="json",
        ).json()
        assert body["next_service_due"] == "2030-01-11" and body["service_overdue"] is False

    def test_flutter_datetime_is_a_date(self, api):
        body = api.post(
            URL,
            {
                "equipment_id": "EQ-1",
                "name": "A",
                "last_service_date": "2025-11-25T00:00:00.000",
                "service_interval_days": "7",
            },
            format="json",
        ).json()
        assert body["last_service_date"] == "2025-11-25"
        assert body["service_interval_days"] == 7
        assert body["next_service_due"] == "2025-12-02"

    @pytest.mark.parametrize(
        ("last", "days", "due"),
        [
            ("2024-01-30", 30, "2024-02-29"),  # into a leap day
            ("2023-01-30", 30, "2023-03-01"),  # no leap day
            ("2024-01-31", 29, "2024-02-29"),
            ("2024-02-28", 1, "2024-02-29"),
            ("2023-02-28", 1, "2023-03-01"),
            ("2024-02-29", 365, "2025-02-28"),
            ("2000-02-28", 1, "2000-02-29"),  # divisible by 400: leap
            ("1900-02-28", 1, "1900-03-01"),  # divisible by 100: not leap
            ("2024-12-31", 1, "2025-01-01"),  # year end
            ("2024-04-30", 1, "2024-05-01"),  # 30-day month end
            ("2024-03-31", 365, "2025-03-31"),
            ("2025-01-01", 3650, "2034-12-30"),
            ("9999-10-02", 90, "9999-12-31"),  # the last date there is
        ],
    )
    def test_database_date_arithmetic(self, api, last, days, due):
        assert dt.date.fromisoformat(last) + dt.timedelta(days=days) == dt.date.fromisoformat(due)
        response = api.post(
            URL,
            {"equipment_id": "EQ-1", "name": "A", "last_service_date": last, "service_interval_days": days},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["next_service_due"] == due
        assert Equipment.objects.filter(next_service_due=dt.date.fromisoformat(due)).count() == 1


@pytest.mark.django_db
class TestServiceOverdue:
    def make_all(self):
        return {
            "yesterday": due_in(-1, equipment_id="yesterday"),
            "long_ago": due_in(-400, interval=365, equipment_id="long_ago"),
            "today": due_in(0, equipment_id="today"),
            "tomorrow": due_in(1, equipment_id="tomorrow"),
            "no_interval": EquipmentFactory(
                equipment_id="no_interval", last_service_date=dt.date(2000, 1, 1), service_interval_days=None
            ),
            "never_serviced": EquipmentFactory(
                equipment_id="never_serviced", last_service_date=None, service_interval_days=30
            ),
        }

    def listed(self, api, **params) -> dict[str, bool]:
        body = api.get(URL, {"page_size": 100, **params}).json()
        return {item["equipment_id"]: item["service_overdue"] for item in body["items"]}

    def test_boundaries(self, api):
        self.make_all()
        assert self.listed(api) == {
            "yesterday": True,
            "long_ago": True,
            "today": False,  # due today is not overdue yet
            "tomorrow": False,
            "no_interval": False,
            "never_serviced": False,
        }

    def test_filter_true_and_false_split_every_row(self, api):
        made = self.make_all()
        overdue = self.listed(api, service_overdue="true")
        not_overdue = self.listed(api, service_overdue="false")
        assert set(overdue) == {"yesterday", "long_ago"} and all(overdue.values())
        assert set(not_overdue) == {"today", "tomorrow", "no_interval", "never_serviced"}
        assert not any(not_overdue.values())
        assert set(overdue) | set(not_overdue) == set(made)
        assert set(self.listed(api, service_overdue="1")) == set(overdue)
        assert set(self.listed(api, service_overdue="no")) == set(not_overdue)

    @pytest.mark.parametrize("value", ["maybe", "overdue", "2", "tru"])
    def test_bad_filter_value_is_422(self, api, value):
        body = assert_error(api.get(URL, {"service_overdue": value}), 422, "VALIDATION_ERROR")
        assert "service_overdue" in body["errors"]

    def test_today_is_in_time_zone(self, api, settings):
        # At any moment the date at UTC+14 is one or two days after the date at UTC-12.
        settings.TIME_ZONE = "Pacific/Kiritimati"
        east_today = timezone.localdate()
        EquipmentFactory(
            equipment_id="EQ-TZ", last_service_date=east_today - dt.timedelta(days=2), service_interval_days=1
        )
        assert self.listed(api, service_overdue="true") == {"EQ-TZ": True}
        settings.TIME_ZONE = "Etc/GMT+12"
        assert timezone.localdate() < east_today
        assert self.listed(api, service_overdue="true") == {}
        assert all(v is False for v in self.listed(api).values())


@pytest.mark.django_db
class TestListFilters:
    def test_status_filter_takes_comma_lists_labels_and_aliases(self, api):
        ok = EquipmentFactory(status="operational")
        maintenance = EquipmentFactory(status="maintenance")
        broken = EquipmentFactory(status="out_of_order")

        def ids(**params):
            return [item["id"] for item in api.get(URL, params).json()["items"]]

        assert ids(status="operational") == [ok.pk]
        assert ids(status="Maintenance Required") == [maintenance.pk]
        assert ids(status="Out of Service") == [broken.pk]
        assert ids(status="Out of Order") == [broken.pk]
        assert ids(status="maintenance,Out of Order") == [maintenance.pk, broken.pk]
        assert ids(status="Under Maintenance, operational") == [ok.pk, maintenance.pk]
        body = assert_error(api.get(URL, {"status": "exploded"}), 422, "VALIDATION_ERROR")
        assert "status" in body["errors"]
        assert_error(api.get(URL, {"status": "operational,exploded"}), 422, "VALIDATION_ERROR")

    def test_search_and_sort(self, api):
        mig = EquipmentFactory(
            equipment_id="EQ-MIG", name="MIG Welder", last_service_date=dt.date(2030, 1, 1)
        )
        tig = EquipmentFactory(
            equipment_id="EQ-TIG", name="TIG Welder", last_service_date=dt.date(2030, 6, 1)
        )
        EquipmentFactory(equipment_id="EQ-GRD", name="Angle grinder", last_service_date=None)

        def ids(**params):
            return [item["id"] for item in api.get(URL, params).json()["items"]]

        assert ids(search="welder") == [mig.pk, tig.pk]
        assert ids(search="eq-tig") == [tig.pk]
        assert ids(sort_by="next_service_due", order="desc", search="welder") == [tig.pk, mig.pk]
        assert ids(ordering="name", search="welder") == [mig.pk, tig.pk]
        assert_error(api.get(URL, {"sort_by": "service_overdue"}), 422, "VALIDATION_ERROR")


@pytest.mark.django_db
class TestAdmin:
    def test_changelist_and_overdue_filter(self, client, admin_user):
        client.force_login(admin_user)
        due_in(-1, equipment_id="EQ-LATE")
        due_in(5, equipment_id="EQ-FINE")
        EquipmentFactory(equipment_id="EQ-NONE", service_interval_days=None)
        page = client.get("/admin/equipment/equipment/", {"service_overdue": "yes"}).content.decode()
        assert "EQ-LATE" in page and "EQ-FINE" not in page and "EQ-NONE" not in page
        page = client.get("/admin/equipment/equipment/", {"service_overdue": "no"}).content.decode()
        assert "EQ-LATE" not in page and "EQ-FINE" in page and "EQ-NONE" in page

    def test_admin_form_refuses_a_zero_interval(self, client, admin_user):
        client.force_login(admin_user)
        equipment = EquipmentFactory(service_interval_days=30)
        response = client.post(
            f"/admin/equipment/equipment/{equipment.pk}/change/",
            {
                "equipment_id": equipment.equipment_id,
                "name": "A",
                "status": "operational",
                "service_interval_days": 0,
            },
        )
        assert response.status_code == 200  # the form again, with the error
        assert "at least 1 day" in response.content.decode()
        equipment.refresh_from_db()
        assert equipment.service_interval_days == 30
