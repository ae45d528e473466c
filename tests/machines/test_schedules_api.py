import pytest

from tests.contract import ResourceContract, assert_error
from tests.factories import ImportScheduleFactory, ImportTemplateFactory
from workshop.imports.models import ImportSchedule
from workshop.imports.views import ImportScheduleViewSet

URL = "/api/v1/schedules/"

BAD_SOURCES = [
    "../x.xlsx",
    "..",
    ".",
    "a/b.xlsx",
    "dropbox/../../etc/passwd",
    "/etc/passwd",
    "/robot-log.xlsx",
    "C:\\logs\\robot.xlsx",
    "..\\x.xlsx",
    "robot\x00.xlsx",
    "",
    "   ",
    "x" * 256,
]


class TestImportScheduleContract(ResourceContract):
    url = URL
    viewset = ImportScheduleViewSet
    factory = ImportScheduleFactory
    sort_field = "hour"
    max_list_queries = 3  # auth user, count, page (template is its id only)

    def create_payload(self):
        template = ImportTemplateFactory()
        return {"template": template.pk, "source": "robot-log.xlsx", "hour": 5, "minute": 45, "active": True}

    def patch_payload(self, obj):
        return {"hour": 23, "minute": 59, "active": False}

    def invalid_payloads(self):
        template = ImportTemplateFactory().pk
        base = {"template": template, "source": "robot-log.xlsx"}
        cases = [(f"source {source!r}", {**base, "source": source}) for source in BAD_SOURCES]
        return cases + [
            ("no template", {"source": "robot-log.xlsx"}),
            ("no source", {"template": template}),
            ("source null", {**base, "source": None}),
            ("unknown template", {**base, "template": 999999}),
            ("hour 24", {**base, "hour": 24}),
            ("hour -1", {**base, "hour": -1}),
            ("hour not a number", {**base, "hour": "six"}),
            ("minute 60", {**base, "minute": 60}),
            ("minute -1", {**base, "minute": -1}),
            ("minute 1.5", {**base, "minute": 1.5}),
        ]


@pytest.mark.django_db
class TestImportScheduleSpecifics:
    def test_defaults_and_read_only_run_fields(self, api):
        template = ImportTemplateFactory()
        body = api.post(
            URL,
            {
                "template": template.pk,
                "source": " robot-log.xlsx ",
                "last_run_at": "2025-01-01T00:00:00Z",
                "last_status": "succeeded",
            },
            format="json",
        ).json()
        assert body["source"] == "robot-log.xlsx"
        assert (body["hour"], body["minute"], body["active"]) == (0, 0, True)
        assert body["last_run_at"] is None and body["last_status"] is None
        schedule = ImportSchedule.objects.get(pk=body["id"])
        assert schedule.last_run_at is None and schedule.last_status is None

    def test_last_run_fields_cannot_be_changed(self, api):
        schedule = ImportScheduleFactory()
        body = api.patch(
            f"{URL}{schedule.pk}/",
            {"last_status": "failed", "last_run_at": "2025-01-01T00:00:00Z"},
            format="json",
        ).json()
        assert body["last_status"] is None and body["last_run_at"] is None
        schedule.refresh_from_db()
        assert schedule.last_status is None and schedule.last_run_at is None

    def test_names_with_dots_and_spaces_are_fine(self, api):
        template = ImportTemplateFactory()
        for source in ("robot log 2025.11.xlsx", "..hidden.xls", "log..xlsx"):
            response = api.post(URL, {"template": template.pk, "source": source}, format="json")
            assert response.status_code == 201, (source, response.json())

    @pytest.mark.parametrize("source", BAD_SOURCES)
    def test_path_on_update_is_422(self, api, source):
        schedule = ImportScheduleFactory(source="robot-log.xlsx")
        body = assert_error(
            api.patch(f"{URL}{schedule.pk}/", {"source": source}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "source" in body["errors"]
        schedule.refresh_from_db()
        assert schedule.source == "robot-log.xlsx"

    @pytest.mark.parametrize(("field", "value"), [("hour", 24), ("hour", -1), ("minute", 60), ("minute", -5)])
    def test_time_out_of_range_on_update_is_422(self, api, field, value):
        schedule = ImportScheduleFactory(hour=6, minute=30)
        body = assert_error(
            api.patch(f"{URL}{schedule.pk}/", {field: value}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert field in body["errors"]
        schedule.refresh_from_db()
        assert (schedule.hour, schedule.minute) == (6, 30)

    def test_time_bounds_are_accepted(self, api):
        template = ImportTemplateFactory()
        for hour, minute in ((0, 0), (23, 59)):
            body = api.post(
                URL,
                {"template": template.pk, "source": "a.xlsx", "hour": hour, "minute": minute},
                format="json",
            ).json()
            assert (body["hour"], body["minute"]) == (hour, minute)

    def test_delete_leaves_template(self, api):
        schedule = ImportScheduleFactory()
        assert api.delete(f"{URL}{schedule.pk}/").json() == {
            "message": "Import schedule deleted successfully"
        }
        assert schedule.template.__class__.objects.filter(pk=schedule.template_id).exists()

    def test_search_and_sorting(self, api):
        a = ImportScheduleFactory(source="cell-a.xlsx", hour=7)
        b = ImportScheduleFactory(source="cell-b.xlsx", hour=5)
        c = ImportScheduleFactory(source="mig.xlsx", hour=6)

        def ids(**params):
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(search="cell") == [a.pk, b.pk]
        assert ids(sort_by="hour") == [b.pk, c.pk, a.pk]
        assert ids(ordering="-source") == [c.pk, b.pk, a.pk]
        assert_error(api.get(URL, {"template": a.template_id}), 422, "VALIDATION_ERROR")
