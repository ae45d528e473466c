"""ISO 6520-1 findings (WELDING.md §1, §2, R9, §4, §5): nested in inspections, and the
`findings` resource. Cases 31, 32, 33 and the repair_cycle of 34 of §6."""

import datetime as dt

import pytest
from django.conf import settings

from inspections.models import Inspection, WeldFinding
from inspections.views import WeldFindingViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import InspectionFactory, WeldFactory, WeldFindingFactory, WorkOrderFactory
from tests.imports import workbooks as wb

URL = "/api/v1/inspections/"
FINDINGS = "/api/v1/findings/"
SHOP_FILE = settings.BASE_DIR / "workshop" / "demo" / "04_QC_Logs.xlsx"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False


class TestFindingContract(ResourceContract):
    url = FINDINGS
    viewset = WeldFindingViewSet
    factory = WeldFindingFactory
    sort_field = "code"
    max_list_queries = 3  # auth user, count, page with inspection and weld joined
    operator_creates = True
    operator_changes_own = True

    def create_payload(self):
        inspection = InspectionFactory()
        return {
            "inspection_id": inspection.inspection_id,
            "code": "2013",
            "size_mm": 2.5,
            "length_mm": 30.0,
            "location": "3 o'clock",
            "verdict": "reject",
        }

    def update_payload(self, obj):
        return {"inspection_id": obj.inspection.inspection_id, "code": "5011", "verdict": "reject"}

    def patch_payload(self, obj):
        return {"location": "root, 40 mm from the datum"}

    def invalid_payloads(self):
        base = self.create_payload()
        return [
            ("unknown code", {**base, "code": "999"}),
            ("no code", {k: v for k, v in base.items() if k != "code"}),
            ("no verdict", {k: v for k, v in base.items() if k != "verdict"}),
            ("unknown verdict", {**base, "verdict": "maybe"}),
            ("unknown inspection", {**base, "inspection_id": "QC-404"}),
            ("negative length", {**base, "length_mm": "-1"}),
            ("unknown quality level", {**base, "quality_level": "E"}),
        ]

    def make_listed(self):
        weld = WeldFactory()
        return WeldFindingFactory(inspection=InspectionFactory(work_order=weld.order, weld=weld))


def weld_at(level="C", order_id="WO-1000", weld_id="W1"):
    order = WorkOrderFactory(order_id=order_id)
    return WeldFactory(weld_id=weld_id, order=order, quality_level=level)


def inspection(**fields):
    return {"inspection_id": "QC-1", "order_id": "WO-1000", "method": "RT", **fields}


def findings_of(inspection_id):
    return list(
        WeldFinding.objects.filter(inspection__inspection_id=inspection_id)
        .order_by("pk")
        .values_list("code", "verdict")
    )


def nothing_written():
    return not Inspection.objects.exists() and not WeldFinding.objects.exists()


@pytest.mark.django_db
class TestNestedFindings:
    def test_findings_decide_the_defect_type(self, api):
        weld_at()
        sent = [
            {"code": "5011", "verdict": "accept", "length_mm": "12.5"},
            {"code": 2013, "verdict": "reject", "size_mm": 2.5, "location": "3 o'clock"},
            {"code": "Longitudinal crack", "verdict": "reject"},
        ]
        response = api.post(URL, inspection(weld_id="W1", result="fail", findings=sent), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["result"], body["defect_type"]) == ("fail", "porosity")
        assert [(f["code"], f["group"], f["label"], f["verdict"]) for f in body["findings"]] == [
            ("5011", 5, "Continuous undercut", "accept"),
            ("2013", 2, "Clustered (localized) porosity", "reject"),
            ("101", 1, "Longitudinal crack", "reject"),
        ]
        assert body["findings"][0]["length_mm"] == 12.5
        assert api.get(f"{URL}{body['id']}/").json() == body
        assert Inspection.objects.get().defect_type == "porosity"

    def test_a_sent_defect_type_gives_way_to_the_findings(self, api):
        weld_at()
        body = api.post(
            URL,
            inspection(result="fail", defect_type="crack", findings=[{"code": "401", "verdict": "reject"}]),
            format="json",
        ).json()
        assert body["defect_type"] == "lack_of_fusion"

    def test_accepted_findings_on_a_pass(self, api):
        weld_at()
        body = api.post(
            URL, inspection(result="pass", findings=[{"code": "2011", "verdict": "accept"}]), format="json"
        ).json()
        assert (body["result"], body["defect_type"], len(body["findings"])) == ("pass", None, 1)

    def test_case_31_fail_whose_only_finding_is_accepted_is_422(self, api):
        weld_at()
        body = assert_error(
            api.post(
                URL,
                inspection(result="fail", findings=[{"code": "2011", "verdict": "accept"}]),
                format="json",
            ),
            422,
            "RESULT_CONTRADICTS_FINDINGS",
        )
        assert list(body["errors"]) == ["result"]
        assert nothing_written()

    def test_pass_with_a_rejected_finding_is_422(self, api):
        weld_at()
        assert_error(
            api.post(
                URL,
                inspection(result="pass", findings=[{"code": "2011", "verdict": "reject"}]),
                format="json",
            ),
            422,
            "RESULT_CONTRADICTS_FINDINGS",
        )
        assert nothing_written()

    @pytest.mark.parametrize("code", ["100", "101", "102", "104"])
    def test_case_32_a_crack_accepted_at_c_is_422(self, api, code):
        weld_at("C")
        body = assert_error(
            api.post(
                URL,
                inspection(weld_id="W1", result="pass", findings=[{"code": code, "verdict": "accept"}]),
                format="json",
            ),
            422,
            "CRACK_NOT_ACCEPTABLE",
        )
        assert list(body["errors"]) == ["findings"]
        assert nothing_written()

    def test_case_32_a_crater_crack_accepted_at_d_is_201(self, api):
        weld_at("D")
        response = api.post(
            URL,
            inspection(weld_id="W1", result="pass", findings=[{"code": "104", "verdict": "accept"}]),
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert findings_of("QC-1") == [("104", "accept")]

    def test_the_findings_own_level_and_the_orders(self, api):
        weld_at("C")
        ok = [{"code": "104", "verdict": "accept", "quality_level": "D"}]
        response = api.post(URL, inspection(weld_id="W1", result="pass", findings=ok), format="json")
        assert response.status_code == 201, response.json()
        # No weld: the work order's level.
        WorkOrderFactory(order_id="WO-D", quality_level="D")
        crater = [{"code": "104", "verdict": "accept"}]
        response = api.post(
            URL,
            inspection(inspection_id="QC-2", order_id="WO-D", result="pass", findings=crater),
            format="json",
        )
        assert response.status_code == 201, response.json()

    def test_case_33_legacy_fail_makes_a_rejected_finding(self, api):
        weld_at()
        response = api.post(URL, inspection(result="fail", defect_type="Porosity"), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["result"], body["defect_type"]) == ("fail", "porosity")
        assert [(f["code"], f["verdict"]) for f in body["findings"]] == [("2011", "reject")]
        assert findings_of("QC-1") == [("2011", "reject")]

    def test_legacy_writes_move_the_legacy_finding(self, api):
        weld_at()
        pk = api.post(URL, inspection(result="fail", defect_type="porosity"), format="json").json()["id"]
        body = api.patch(f"{URL}{pk}/", {"defect_type": "Crack"}, format="json").json()
        assert [(f["code"], f["verdict"]) for f in body["findings"]] == [("100", "reject")]
        body = api.patch(f"{URL}{pk}/", {"result": "pass", "defect_type": None}, format="json").json()
        assert (body["result"], body["findings"]) == ("pass", [])
        assert findings_of("QC-1") == []

    def test_put_replaces_the_findings_and_patch_without_keeps_them(self, api):
        weld_at()
        pk = api.post(
            URL,
            inspection(result="fail", findings=[{"code": "2011", "verdict": "reject", "length_mm": 5}]),
            format="json",
        ).json()["id"]
        body = api.patch(f"{URL}{pk}/", {"notes": "seen"}, format="json").json()
        assert [f["code"] for f in body["findings"]] == ["2011"]
        body = api.put(
            f"{URL}{pk}/",
            inspection(
                result="fail",
                findings=[{"code": "401", "verdict": "reject"}, {"code": "602", "verdict": "accept"}],
            ),
            format="json",
        ).json()
        assert (body["defect_type"], [f["code"] for f in body["findings"]]) == (
            "lack_of_fusion",
            ["401", "602"],
        )
        assert findings_of("QC-1") == [("401", "reject"), ("602", "accept")]
        body = api.patch(
            f"{URL}{pk}/", {"result": "pass", "findings": [], "defect_type": None}, format="json"
        ).json()
        assert (body["result"], body["findings"]) == ("pass", [])

    def test_patch_against_the_findings_is_422_and_changes_nothing(self, api):
        weld_at()
        pk = api.post(
            URL,
            inspection(result="fail", findings=[{"code": "2011", "verdict": "reject", "length_mm": 5}]),
            format="json",
        ).json()["id"]
        before = list(Inspection.objects.values()), list(WeldFinding.objects.values())
        assert_error(
            api.patch(f"{URL}{pk}/", {"result": "pass", "defect_type": None}, format="json"),
            422,
            "RESULT_CONTRADICTS_FINDINGS",
        )
        assert_error(
            api.patch(
                f"{URL}{pk}/",
                {"findings": [{"code": "100", "verdict": "accept"}], "result": "pass"},
                format="json",
            ),
            422,
            "CRACK_NOT_ACCEPTABLE",
        )
        assert (list(Inspection.objects.values()), list(WeldFinding.objects.values())) == before

    @pytest.mark.parametrize(
        ("what", "finding"),
        [
            ("code", {"code": "999", "verdict": "reject"}),
            ("verdict", {"code": "2011"}),
            ("verdict", {"code": "2011", "verdict": "ok"}),
            ("size_mm", {"code": "2011", "verdict": "reject", "size_mm": -1}),
        ],
    )
    def test_bad_findings_are_422_naming_findings(self, api, what, finding):
        """A nested finding's error is named by its path, a list of messages as every field's."""
        weld_at()
        body = assert_error(
            api.post(URL, inspection(result="fail", findings=[finding]), format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert list(body["errors"]) == [f"findings[0].{what}"], body
        assert all(isinstance(m, str) for m in body["errors"][f"findings[0].{what}"])
        assert nothing_written()

    def test_report_no_and_examined_length(self, api):
        weld_at()
        body = api.post(
            URL, inspection(result="pass", report_no="RT-2025-7", examined_length_mm="250"), format="json"
        ).json()
        assert (body["report_no"], body["examined_length_mm"]) == ("RT-2025-7", 250.0)
        assert_error(
            api.post(
                URL, inspection(inspection_id="QC-2", result="pass", examined_length_mm=0), format="json"
            ),
            422,
            "VALIDATION_ERROR",
        )


@pytest.mark.django_db
class TestRepairCycle:
    def test_case_34_rt_fail_then_rt_pass_is_cycle_1(self, api):
        weld_at()
        first = api.post(
            URL,
            inspection(weld_id="W1", result="fail", defect_type="crack", inspected_at="2025-06-02T10:00:00Z"),
            format="json",
        ).json()
        assert first["repair_cycle"] == 0
        second = api.post(
            URL,
            inspection(
                inspection_id="QC-2", weld_id="W1", result="pass", inspected_at="2025-06-05T10:00:00Z"
            ),
            format="json",
        ).json()
        assert second["repair_cycle"] == 1
        visual = api.post(
            URL,
            inspection(
                inspection_id="QC-3",
                weld_id="W1",
                method="VT",
                result="pass",
                inspected_at="2025-06-05T11:00:00Z",
            ),
            format="json",
        ).json()
        assert visual["repair_cycle"] == 0
        loose = api.post(URL, inspection(inspection_id="QC-4", result="pass"), format="json").json()
        assert loose["repair_cycle"] is None
        listed = {i["inspection_id"]: i["repair_cycle"] for i in api.get(URL).json()["items"]}
        assert listed == {"QC-1": 0, "QC-2": 1, "QC-3": 0, "QC-4": None}
        assert api.get(f"{URL}{first['id']}/").json()["repair_cycle"] == 0

    def test_an_update_answers_the_new_cycle(self, api):
        weld = weld_at()
        first = InspectionFactory(
            work_order=weld.order, weld=weld, method="RT", inspected_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
        )
        second = InspectionFactory(
            work_order=weld.order, weld=weld, method="RT", inspected_at=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
        )
        assert api.get(f"{URL}{second.pk}/").json()["repair_cycle"] == 1
        body = api.patch(f"{URL}{second.pk}/", {"inspected_at": "2025-05-01T00:00:00Z"}, format="json").json()
        assert body["repair_cycle"] == 0
        assert api.get(f"{URL}{first.pk}/").json()["repair_cycle"] == 1
        body = api.patch(f"{URL}{second.pk}/", {"method": "UT"}, format="json").json()
        assert body["repair_cycle"] == 0

    def test_counts_by_inspection_time_not_by_entry(self, api):
        weld = weld_at()
        late = InspectionFactory(
            work_order=weld.order, weld=weld, method="RT", inspected_at=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
        )
        early = InspectionFactory(
            work_order=weld.order, weld=weld, method="RT", inspected_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
        )
        assert api.get(f"{URL}{late.pk}/").json()["repair_cycle"] == 1
        assert api.get(f"{URL}{early.pk}/").json()["repair_cycle"] == 0


@pytest.mark.django_db
class TestFindingsResource:
    def test_a_rejected_finding_fails_its_inspection_and_its_delete_passes_it(self, api):
        weld = weld_at()
        target = InspectionFactory(inspection_id="QC-1", work_order=weld.order, weld=weld)
        response = api.post(
            FINDINGS, {"inspection_id": "QC-1", "code": "4011", "verdict": "reject"}, format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["weld_id"], body["group"], body["label"]) == ("W1", 4, "Lack of side-wall fusion")
        target.refresh_from_db()
        assert (target.result, target.defect_type) == ("fail", "lack_of_fusion")
        response = api.patch(f"{FINDINGS}{body['id']}/", {"verdict": "accept"}, format="json")
        assert response.status_code == 200, response.json()
        target.refresh_from_db()
        assert (target.result, target.defect_type) == ("pass", None)
        api.patch(f"{FINDINGS}{body['id']}/", {"verdict": "reject"}, format="json")
        assert api.delete(f"{FINDINGS}{body['id']}/").status_code == 200
        target.refresh_from_db()
        assert (target.result, target.defect_type) == ("pass", None)

    def test_an_accepted_crack_is_422_and_changes_nothing(self, api):
        weld_at("C")
        InspectionFactory(inspection_id="QC-1", work_order=WorkOrderFactory(), failed=True)
        before = list(Inspection.objects.values())
        body = assert_error(
            api.post(FINDINGS, {"inspection_id": "QC-1", "code": "102", "verdict": "accept"}, format="json"),
            422,
            "CRACK_NOT_ACCEPTABLE",
        )
        assert list(body["errors"]) == ["verdict"]
        assert not WeldFinding.objects.exists() and list(Inspection.objects.values()) == before
        finding = WeldFindingFactory(inspection=Inspection.objects.get(), code="104", verdict="reject")
        assert_error(
            api.patch(f"{FINDINGS}{finding.pk}/", {"verdict": "accept"}, format="json"),
            422,
            "CRACK_NOT_ACCEPTABLE",
        )
        finding.refresh_from_db()
        assert finding.verdict == "reject"

    def test_a_finding_stays_with_its_inspection(self, api):
        finding = WeldFindingFactory()
        InspectionFactory(inspection_id="QC-OTHER")
        body = assert_error(
            api.patch(f"{FINDINGS}{finding.pk}/", {"inspection_id": "QC-OTHER"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert list(body["errors"]) == ["inspection_id"]

    def test_filters(self, api):
        w1, w2 = weld_at(), weld_at(order_id="WO-2", weld_id="W2")
        a = WeldFindingFactory(
            inspection=InspectionFactory(work_order=w1.order, weld=w1), code="100", verdict="reject"
        )
        b = WeldFindingFactory(inspection=InspectionFactory(work_order=w2.order, weld=w2), code="2011")
        c = WeldFindingFactory(code="5011", verdict="reject")

        def ids(**params):
            return [f["id"] for f in api.get(FINDINGS, params).json()["items"]]

        assert ids(code="100") == [a.pk]
        assert ids(code="2011,5011") == [b.pk, c.pk]
        assert ids(verdict="reject") == [a.pk, c.pk]
        assert ids(weld="w2") == [b.pk]
        assert ids(inspection_id=a.inspection.inspection_id) == [a.pk]
        for bad in ({"code": "999"}, {"verdict": "maybe"}):
            body = assert_error(api.get(FINDINGS, bad), 422, "VALIDATION_ERROR")
            assert list(body["errors"]) == list(bad)

    def test_operator_may_add_but_viewer_may_not(self, client_for):
        InspectionFactory(inspection_id="QC-1")
        payload = {"inspection_id": "QC-1", "code": "2011", "verdict": "accept"}
        assert client_for("operator").post(FINDINGS, payload, format="json").status_code == 201
        assert_error(client_for("viewer").post(FINDINGS, payload, format="json"), 403, "FORBIDDEN")

    def test_list_queries_do_not_grow(self, api, django_assert_max_num_queries):
        for _ in range(8):
            weld = WeldFactory()
            WeldFindingFactory(inspection=InspectionFactory(work_order=weld.order, weld=weld))
        with django_assert_max_num_queries(3):
            items = api.get(FINDINGS).json()["items"]
        assert len({i["weld_id"] for i in items}) == 8


@pytest.mark.django_db
def test_inspection_list_with_nested_findings_in_constant_queries(api, django_assert_max_num_queries):
    for n in range(10):
        weld = WeldFactory()
        target = InspectionFactory(work_order=weld.order, weld=weld, method="RT")
        for code in ("2011", "5011")[: 1 + n % 2]:
            WeldFindingFactory(inspection=target, code=code)
    with django_assert_max_num_queries(4):  # auth user, count, page (order, weld, repair_cycle), findings
        items = api.get(URL).json()["items"]
    assert sum(len(i["findings"]) for i in items) == 15


def post_file(client, url, rows):
    return client.post(f"{url}import/", {"file": wb.upload(wb.xlsx(rows))}, format="multipart")


@pytest.mark.django_db
class TestInspectionsFile:
    HEADER = [
        "InspectionID",
        "OrderID",
        "WeldID",
        "Result",
        "DefectType",
        "Method",
        "ISO6520",
        "FindingLength",
    ]

    def test_iso6520_rows_make_findings(self, api):
        weld_at()
        rows = [
            self.HEADER,
            ["QC-1", "WO-1000", "W1", "Fail", None, "RT", 2013, 30],
            ["QC-2", "WO-1000", "W1", "Pass", None, "RT", "5011", None],
            ["QC-3", "WO-1000", None, "Fail", "Crack", "VT", None, None],
            ["QC-4", "WO-1000", None, "Fail", "Porosity", "VT", "2014", 12.5],
        ]
        response = post_file(api, URL, rows)
        assert response.status_code == 201, response.json()
        got = {
            i.inspection_id: (
                i.result,
                i.defect_type,
                [(f.code, f.verdict, f.length_mm) for f in i.findings.all()],
            )
            for i in Inspection.objects.prefetch_related("findings")
        }
        assert got == {
            "QC-1": ("fail", "porosity", [("2013", "reject", 30)]),
            "QC-2": ("pass", None, [("5011", "accept", None)]),
            "QC-3": ("fail", "crack", [("100", "reject", None)]),
            "QC-4": ("fail", "porosity", [("2014", "reject", 12.5)]),
        }

    def test_bad_rows_are_row_errors_and_nothing_is_written(self, api):
        weld_at("C")
        rows = [
            self.HEADER,
            ["QC-1", "WO-1000", "W1", "Pass", None, "RT", "100", None],
            ["QC-2", "WO-1000", "W1", "Fail", "Porosity", "RT", "401", None],
            ["QC-3", "WO-1000", "W1", "Pass", None, "RT", None, 30],
            ["QC-4", "WO-1000", "W1", "Fail", "Porosity", "RT", "999", None],
        ]
        body = assert_error(post_file(api, URL, rows), 422, "VALIDATION_ERROR")
        assert [(e["row"], e["column"]) for e in body["errors"]] == [
            (2, "ISO6520"),
            (3, "DefectType"),
            (4, "FindingLength"),
            (5, "ISO6520"),
        ]
        assert nothing_written()

    def test_export_then_import_changes_nothing(self, api):
        from tests.imports.test_export import body as content_of

        weld = weld_at()
        first = InspectionFactory(inspection_id="QC-1", work_order=weld.order, weld=weld, failed=True)
        WeldFindingFactory(inspection=first, code="602", verdict="accept", length_mm=3)
        WeldFindingFactory(inspection=first, code="2013", verdict="reject", length_mm=30, size_mm=2)
        InspectionFactory(inspection_id="QC-2", work_order=weld.order, failed=True)
        WeldFindingFactory(
            inspection=InspectionFactory(inspection_id="QC-3", work_order=weld.order), code="5011"
        )
        Inspection.objects.filter(inspection_id="QC-3").update(report_no="R-1", examined_length_mm=100)
        before = (
            list(Inspection.objects.order_by("pk").values()),
            list(WeldFinding.objects.order_by("pk").values()),
        )
        content = content_of(api.get(f"{URL}export/"))
        from tests.imports.test_export import xlsx_rows

        rows = xlsx_rows(content)
        codes = {r[0]: r[rows[0].index("ISO6520")] for r in rows[1:]}
        assert codes == {"QC-1": "2013", "QC-2": None, "QC-3": "5011"}
        response = api.post(f"{URL}import/", {"file": wb.upload(content)}, format="multipart")
        assert response.status_code == 201, response.json()
        assert (response.json()["rows_created"], response.json()["rows_updated"]) == (0, 0)
        after = (
            list(Inspection.objects.order_by("pk").values()),
            list(WeldFinding.objects.order_by("pk").values()),
        )
        assert after == before

    def test_the_shop_file_still_imports_with_legacy_findings(self, api):
        demo = SHOP_FILE.parent
        for resource, name in [("employees", "03_Personnel.xlsx"), ("workorders", "01_WorkOrders.xlsx")]:
            response = api.post(
                f"/api/v1/{resource}/import/",
                {"file": wb.upload((demo / name).read_bytes(), name)},
                format="multipart",
            )
            assert response.status_code == 201, response.json()
        response = api.post(
            f"{URL}import/", {"file": wb.upload(SHOP_FILE.read_bytes(), SHOP_FILE.name)}, format="multipart"
        )
        assert response.status_code == 201, response.json()
        from inspections.finding_rules import legacy_code

        failed = Inspection.objects.filter(result="fail").prefetch_related("findings")
        assert failed.exists()
        for target in failed:
            assert [(f.code, f.verdict) for f in target.findings.all()] == [
                (legacy_code(target.defect_type), "reject")
            ]
        assert not WeldFinding.objects.filter(inspection__result="pass").exists()


@pytest.mark.django_db
class TestFindingsFile:
    HEADER = ["InspectionID", "ISO6520", "Size", "Length", "Location", "QualityLevel", "Verdict"]

    def test_import_rederives_and_export_imports_back_unchanged(self, api):
        from tests.imports.test_export import body as content_of

        weld_at()
        InspectionFactory(inspection_id="QC-1", work_order=WorkOrderFactory())
        rows = [
            self.HEADER,
            ["QC-1", 2011, 1.5, 4, "root", None, "accept"],
            ["QC-1", "401", None, 20, "=cap", "B", "Reject"],
        ]
        response = post_file(api, FINDINGS, rows)
        assert response.status_code == 201, response.json()
        target = Inspection.objects.get()
        assert (target.result, target.defect_type) == ("fail", "lack_of_fusion")
        before = list(WeldFinding.objects.order_by("pk").values())
        content = content_of(api.get(f"{FINDINGS}export/"))
        response = api.post(f"{FINDINGS}import/", {"file": wb.upload(content)}, format="multipart")
        assert response.status_code == 201, response.json()
        assert (response.json()["rows_created"], response.json()["rows_updated"]) == (0, 0)
        assert list(WeldFinding.objects.order_by("pk").values()) == before

    def test_an_accepted_crack_row_is_a_row_error(self, api):
        InspectionFactory(inspection_id="QC-1")
        rows = [
            self.HEADER,
            ["QC-1", "2011", None, None, None, None, "accept"],
            ["QC-1", "101", None, None, None, "D", "accept"],
        ]
        body = assert_error(post_file(api, FINDINGS, rows), 422, "VALIDATION_ERROR")
        assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "Verdict")]
        assert not WeldFinding.objects.exists()


@pytest.mark.django_db
def test_a_finding_without_a_weld_answers_weld_id_null_also_to_a_patch(api):
    """Every answer carries every field the schema requires: `weld_id` is null when the
    inspection names no weld, in a PATCH's answer as in a GET's."""
    finding = WeldFindingFactory(inspection=InspectionFactory(weld=None))
    for response in (
        api.get(f"{FINDINGS}{finding.pk}/"),
        api.patch(f"{FINDINGS}{finding.pk}/", {"location": "root, 12 o'clock"}, format="json"),
    ):
        assert response.status_code == 200, response.json()
        assert response.json()["weld_id"] is None
