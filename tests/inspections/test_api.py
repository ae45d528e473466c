import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from inspections.models import Inspection
from inspections.views import InspectionViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import InspectionFactory, WorkOrderFactory

URL = "/api/v1/inspections/"


class TestInspectionContract(ResourceContract):
    url = URL
    viewset = InspectionViewSet
    factory = InspectionFactory
    business_key = "inspection_id"
    sort_field = "order_id"
    max_list_queries = 4  # auth user, count, page with its work order joined, findings
    operator_creates = True
    operator_changes_own = True

    def create_payload(self):
        order = WorkOrderFactory()
        return {
            "inspection_id": "QC-900",
            "order_id": order.order_id,
            "inspector": "Jane Smith",
            "result": "fail",
            "defect_type": "porosity",
            "method": "UT",
            "notes": "Root pass, 3 pores over 1 mm",
        }

    def patch_payload(self, obj):
        return {"result": "fail", "defect_type": "crack"}

    def invalid_payloads(self):
        order = WorkOrderFactory()
        ok = {"inspection_id": "QC-1", "order_id": order.order_id, "result": "pass"}
        return [
            ("no order", {"inspection_id": "QC-1", "result": "pass"}),
            ("no result", {"inspection_id": "QC-1", "order_id": order.order_id}),
            ("no key", {"order_id": order.order_id, "result": "pass"}),
            ("unknown order", {**ok, "order_id": "WO-404"}),
            ("null order", {**ok, "order_id": None}),
            ("order as its pk", {**ok, "order_id": order.pk}),
            ("blank key", {**ok, "inspection_id": " "}),
            ("key over 32", {**ok, "inspection_id": "Q" * 33}),
            ("unknown result", {**ok, "result": "maybe"}),
            ("result not a label", {**ok, "result": "Passed"}),
            ("null result", {**ok, "result": None}),
            ("fail without defect", {**ok, "result": "fail"}),
            ("fail with null defect", {**ok, "result": "fail", "defect_type": None}),
            ("fail with 'None' defect", {**ok, "result": "fail", "defect_type": "None"}),
            ("fail with blank defect", {**ok, "result": "fail", "defect_type": ""}),
            ("pass with a defect", {**ok, "result": "pass", "defect_type": "crack"}),
            ("unknown defect", {**ok, "result": "fail", "defect_type": "rust"}),
            ("defect not a string", {**ok, "result": "fail", "defect_type": 3}),
            ("unknown method", {**ok, "method": "XR"}),
            ("null method", {**ok, "method": None}),
            ("bad datetime", {**ok, "inspected_at": "yesterday"}),
            ("impossible datetime", {**ok, "inspected_at": "2025-02-30T10:00:00"}),
            ("inspector not text", {**ok, "inspector": ["A", "B"]}),
            ("inspector too long", {**ok, "inspector": "x" * 201}),
        ]


def post(api, **fields):
    order = WorkOrderFactory()
    payload = {"inspection_id": "QC-1", "order_id": order.order_id, "result": "pass", **fields}
    return api.post(URL, payload, format="json")


@pytest.mark.django_db
class TestChoices:
    @pytest.mark.parametrize(
        ("sent", "stored"),
        [("pass", "pass"), ("Pass", "pass"), ("PASS", "pass"), ("Fail", "fail"), ("FAIL", "fail")],
    )
    def test_result_labels(self, api, sent, stored):
        defect = "crack" if stored == "fail" else None
        response = post(api, result=sent, defect_type=defect)
        assert response.status_code == 201, response.json()
        assert response.json()["result"] == stored
        assert Inspection.objects.get().result == stored

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("porosity", "porosity"),
            ("Porosity", "porosity"),
            ("lack of fusion", "lack_of_fusion"),
            ("Lack of Fusion", "lack_of_fusion"),
            ("LACK_OF_FUSION", "lack_of_fusion"),
            ("incomplete-penetration", "incomplete_penetration"),
            ("Slag Inclusion", "slag_inclusion"),
            ("other", "other"),
        ],
    )
    def test_defect_type_labels(self, api, sent, stored):
        response = post(api, result="Fail", defect_type=sent)
        assert response.status_code == 201, response.json()
        assert response.json()["defect_type"] == stored
        assert Inspection.objects.get().defect_type == stored

    @pytest.mark.parametrize("sent", [None, "None", "none", "", "  ", "null", "N/A"])
    def test_no_defect_words_are_null_on_a_pass(self, api, sent):
        response = post(api, result="pass", defect_type=sent)
        assert response.status_code == 201, response.json()
        assert response.json()["defect_type"] is None
        assert Inspection.objects.get().defect_type is None

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("VT", "VT"),
            ("ut", "UT"),
            ("Ultrasonic Testing", "UT"),
            ("radiographic testing", "RT"),
            ("Magnetic Particle Testing", "MT"),
            ("Penetrant-Testing", "PT"),
            ("Visual Testing", "VT"),
        ],
    )
    def test_method_labels(self, api, sent, stored):
        response = post(api, method=sent)
        assert response.status_code == 201, response.json()
        assert response.json()["method"] == stored

    def test_defaults(self, api):
        before = timezone.now()
        body = post(api).json()
        after = timezone.now()
        assert body["method"] == "VT"
        assert body["defect_type"] is None
        assert body["inspector"] == "" and body["notes"] == ""
        assert before <= dt.datetime.fromisoformat(body["inspected_at"]) <= after

    def test_order_id_names_the_work_order(self, api):
        order = WorkOrderFactory(order_id="WO-1234")
        body = api.post(
            URL,
            {"inspection_id": "QC-7", "order_id": "WO-1234", "result": "pass", "inspector": ""},
            format="json",
        ).json()
        assert body["order_id"] == "WO-1234"
        assert Inspection.objects.get().work_order == order
        assert "work_order" not in body
        assert api.get(f"{URL}{body['id']}/").json()["order_id"] == "WO-1234"
        body = assert_error(post(api, order_id="WO-404"), 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["order_id"]

    def test_datetimes_in_and_out(self, api, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        # The Flutter client sends naive datetimes: they are local time.
        body = post(api, inspection_id="QC-1", inspected_at="2025-11-25T00:00:00.000").json()
        stored = Inspection.objects.get(pk=body["id"]).inspected_at
        assert stored == dt.datetime(2025, 11, 24, 23, 0, tzinfo=dt.UTC)
        assert dt.datetime.fromisoformat(body["inspected_at"]) == stored
        body = post(api, inspection_id="QC-2", inspected_at="2025-11-25T10:30:00Z").json()
        assert Inspection.objects.get(pk=body["id"]).inspected_at == dt.datetime(
            2025, 11, 25, 10, 30, tzinfo=dt.UTC
        )

    def test_errors_name_the_field(self, api):
        cases = [
            ({"result": "fail"}, "defect_type"),
            ({"result": "fail", "defect_type": "None"}, "defect_type"),
            ({"result": "pass", "defect_type": "porosity"}, "defect_type"),
            ({"result": "maybe"}, "result"),
            ({"result": "fail", "defect_type": "rust"}, "defect_type"),
            ({"method": "XR"}, "method"),
            ({"inspected_at": "25/11/2025"}, "inspected_at"),
        ]
        for fields, field in cases:
            body = assert_error(post(api, **fields), 422, "VALIDATION_ERROR")
            assert list(body["errors"]) == [field], (fields, body)
        assert Inspection.objects.count() == 0


@pytest.mark.django_db
class TestResultAndDefectOnUpdate:
    def assert_unchanged(self, inspection):
        before = Inspection.objects.values().get(pk=inspection.pk)
        return lambda: Inspection.objects.values().get(pk=inspection.pk) == before

    @pytest.mark.parametrize(
        ("start", "payload"),
        [
            ("pass", {"result": "fail"}),
            ("pass", {"result": "Fail", "defect_type": "None"}),
            ("pass", {"defect_type": "crack"}),
            ("fail", {"result": "pass"}),
            ("fail", {"defect_type": None}),
            ("fail", {"defect_type": ""}),
        ],
    )
    def test_patch_breaking_the_rule_is_422_and_changes_nothing(self, api, start, payload):
        inspection = InspectionFactory(failed=start == "fail")
        unchanged = self.assert_unchanged(inspection)
        body = assert_error(
            api.patch(f"{URL}{inspection.pk}/", payload, format="json"), 422, "VALIDATION_ERROR"
        )
        assert list(body["errors"]) == ["defect_type"]
        assert unchanged()

    @pytest.mark.parametrize(
        "payload",
        [
            {"order_id": "WO-404"},
            {"order_id": None},
            {"result": "maybe"},
            {"method": "XR"},
            {"inspected_at": "soon"},
            {"inspection_id": ""},
        ],
    )
    def test_other_bad_patches_change_nothing(self, api, payload):
        inspection = InspectionFactory()
        unchanged = self.assert_unchanged(inspection)
        body = assert_error(
            api.patch(f"{URL}{inspection.pk}/", payload, format="json"), 422, "VALIDATION_ERROR"
        )
        assert list(body["errors"]) == list(payload)
        assert unchanged()

    def test_valid_switches(self, api):
        inspection = InspectionFactory()
        body = api.patch(
            f"{URL}{inspection.pk}/", {"result": "fail", "defect_type": "Lack of Fusion"}, format="json"
        ).json()
        assert (body["result"], body["defect_type"]) == ("fail", "lack_of_fusion")
        body = api.patch(f"{URL}{inspection.pk}/", {"defect_type": "undercut"}, format="json").json()
        assert (body["result"], body["defect_type"]) == ("fail", "undercut")
        body = api.patch(
            f"{URL}{inspection.pk}/", {"result": "Pass", "defect_type": "None"}, format="json"
        ).json()
        assert (body["result"], body["defect_type"]) == ("pass", None)
        inspection.refresh_from_db()
        assert (inspection.result, inspection.defect_type) == ("pass", None)

    def test_move_to_another_work_order(self, api):
        inspection = InspectionFactory()
        other = WorkOrderFactory(order_id="WO-7777")
        body = api.patch(f"{URL}{inspection.pk}/", {"order_id": "WO-7777"}, format="json").json()
        assert body["order_id"] == "WO-7777"
        inspection.refresh_from_db()
        assert inspection.work_order == other

    def test_put_needs_the_whole_record(self, api):
        inspection = InspectionFactory(failed=True)
        body = assert_error(
            api.put(f"{URL}{inspection.pk}/", {"inspection_id": "QC-X"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert {"order_id", "result"} <= set(body["errors"])
        inspection.refresh_from_db()
        assert inspection.inspection_id != "QC-X"


@pytest.mark.django_db
class TestListFilters:
    def ids(self, api, **params):
        response = api.get(URL, {"page_size": 100, **params})
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    @pytest.fixture
    def made(self):
        first = WorkOrderFactory(order_id="WO-1001")
        second = WorkOrderFactory(order_id="WO-1002")
        return {
            "a": InspectionFactory(
                work_order=first,
                inspector="John Doe",
                method="VT",
                notes="Cap looks clean",
                inspection_id="QC-A",
            ),
            "b": InspectionFactory(
                work_order=first,
                inspector="Jane Smith",
                method="UT",
                result="fail",
                defect_type="lack_of_fusion",
                inspection_id="QC-B",
            ),
            "c": InspectionFactory(
                work_order=second,
                inspector="jane smith",
                method="RT",
                result="fail",
                defect_type="porosity",
                inspection_id="QC-C",
            ),
        }

    def test_order_id_is_case_insensitive_and_exact(self, api, made):
        assert self.ids(api, order_id="WO-1001") == [made["a"].pk, made["b"].pk]
        assert self.ids(api, order_id="wo-1002") == [made["c"].pk]
        assert self.ids(api, order_id="WO-100") == []

    def test_result(self, api, made):
        assert self.ids(api, result="pass") == [made["a"].pk]
        assert self.ids(api, result="Fail") == [made["b"].pk, made["c"].pk]
        assert self.ids(api, result="pass,FAIL") == [made["a"].pk, made["b"].pk, made["c"].pk]

    def test_inspector_is_case_insensitive_and_exact(self, api, made):
        assert self.ids(api, inspector="JANE SMITH") == [made["b"].pk, made["c"].pk]
        assert self.ids(api, inspector="jane") == []

    def test_defect_type(self, api, made):
        assert self.ids(api, defect_type="Lack of Fusion") == [made["b"].pk]
        assert self.ids(api, defect_type="porosity,lack_of_fusion") == [made["b"].pk, made["c"].pk]
        assert self.ids(api, defect_type="crack") == []

    def test_method(self, api, made):
        assert self.ids(api, method="Ultrasonic Testing") == [made["b"].pk]
        assert self.ids(api, method="vt,RT") == [made["a"].pk, made["c"].pk]

    def test_filters_combine(self, api, made):
        assert self.ids(api, order_id="WO-1001", result="fail") == [made["b"].pk]

    @pytest.mark.parametrize(
        "params",
        [
            {"result": "maybe"},
            {"result": "pass,maybe"},
            {"defect_type": "rust"},
            {"defect_type": "None"},
            {"method": "XR"},
            {"method": "Laser Testing"},
            {"inspected_from": "yesterday"},
            {"inspected_to": "31/12/2025"},
            {"inspected_from": "2025-02-30"},
            {"inspected": "2025-01-01"},
        ],
    )
    def test_bad_filter_values_are_422(self, api, made, params):
        body = assert_error(api.get(URL, params), 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == list(params)

    def test_search(self, api, made):
        assert self.ids(api, search="qc-b") == [made["b"].pk]
        assert self.ids(api, search="smith") == [made["b"].pk, made["c"].pk]
        assert self.ids(api, search="clean") == [made["a"].pk]
        assert self.ids(api, search="wo-1002") == [made["c"].pk]

    def test_sort_by_order_id_and_inspected_at(self, api, made):
        assert self.ids(api, sort_by="order_id", order="desc") == [made["c"].pk, made["a"].pk, made["b"].pk]
        assert self.ids(api, ordering="order_id,-id") == [made["b"].pk, made["a"].pk, made["c"].pk]
        Inspection.objects.filter(pk=made["a"].pk).update(inspected_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        assert self.ids(api, ordering="-inspected_at")[-1] == made["a"].pk


@pytest.mark.django_db
class TestInspectedRange:
    BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

    def at(self, *parts):
        return InspectionFactory(inspected_at=dt.datetime(*parts, tzinfo=self.BERLIN))

    def ids(self, api, **params):
        return [item["id"] for item in api.get(URL, {"page_size": 100, **params}).json()["items"]]

    def test_days_are_inclusive_and_local(self, api, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        before = self.at(2025, 3, 9, 23, 59, 59)  # 22:59:59 UTC on the 9th
        first = self.at(2025, 3, 10, 0, 0)  # 23:00 UTC on the 9th
        last = self.at(2025, 3, 10, 23, 59, 59)
        after = self.at(2025, 3, 11, 0, 0)
        assert self.ids(api, inspected_from="2025-03-10", inspected_to="2025-03-10") == [first.pk, last.pk]
        assert self.ids(api, inspected_from="2025-03-10") == [first.pk, last.pk, after.pk]
        assert self.ids(api, inspected_to="2025-03-10") == [before.pk, first.pk, last.pk]
        assert self.ids(api, inspected_from="2025-03-11", inspected_to="2025-03-10") == []
        # the Flutter client's datetime form names the same day
        assert self.ids(
            api, inspected_from="2025-03-10T00:00:00.000", inspected_to="2025-03-10T00:00:00.000"
        ) == [
            first.pk,
            last.pk,
        ]

    def test_a_23_hour_day(self, api, settings):
        settings.TIME_ZONE = "Europe/Berlin"  # clocks go forward on 2025-03-30
        self.at(2025, 3, 29, 23, 30)
        start = self.at(2025, 3, 30, 0, 0)
        end = self.at(2025, 3, 30, 23, 59)  # 21:59 UTC
        self.at(2025, 3, 31, 0, 0)  # 22:00 UTC on the 30th
        assert self.ids(api, inspected_from="2025-03-30", inspected_to="2025-03-30") == [start.pk, end.pk]

    def test_same_moments_other_zone(self, api, settings):
        settings.TIME_ZONE = "UTC"
        late = self.at(2025, 3, 10, 0, 30)  # 23:30 UTC on the 9th
        assert self.ids(api, inspected_from="2025-03-10", inspected_to="2025-03-10") == []
        assert self.ids(api, inspected_from="2025-03-09", inspected_to="2025-03-09") == [late.pk]


@pytest.mark.django_db
class TestAdmin:
    def test_changelist_search_and_filter(self, client, admin_user):
        client.force_login(admin_user)
        InspectionFactory(inspection_id="QC-PASS", work_order=WorkOrderFactory(order_id="WO-5001"))
        InspectionFactory(inspection_id="QC-FAIL", failed=True)
        page = client.get("/admin/inspections/inspection/", {"result__exact": "fail"}).content.decode()
        assert "QC-FAIL" in page and "QC-PASS" not in page
        page = client.get("/admin/inspections/inspection/", {"q": "WO-5001"}).content.decode()
        assert "QC-PASS" in page and "QC-FAIL" not in page

    def test_admin_form_enforces_the_defect_rule(self, client, admin_user):
        client.force_login(admin_user)
        inspection = InspectionFactory()
        response = client.post(
            f"/admin/inspections/inspection/{inspection.pk}/change/",
            {
                "inspection_id": inspection.inspection_id,
                "work_order": inspection.work_order.pk,
                "inspector": "",
                "result": "fail",
                "defect_type": "",
                "method": "VT",
                "inspected_at_0": "2025-11-25",
                "inspected_at_1": "10:00:00",
                "notes": "",
            },
        )
        assert response.status_code == 200
        assert "A failed inspection needs a defect type." in response.content.decode()
        inspection.refresh_from_db()
        assert inspection.result == "pass"
