"""The generic contract for the welding resources of workorders: wps, welds, weld-log."""

import pytest

from tests.contract import ExtraAction, ResourceContract
from tests.factories import (
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
    WorkOrderFactory,
    WpsFactory,
)
from workorders.views import WeldActivityViewSet, WeldViewSet, WpsViewSet

pytestmark = pytest.mark.django_db

MANAGERS = frozenset({"manager", "admin"})


class ListCellsMixin:
    def excel_upload(self):
        """A one-row workbook from `create_payload()`, lists written as exports write them."""
        from tests.workbooks import workbook_upload
        from workshop.imports.spec import registry

        spec = registry()[self.viewset.excel_resource]
        payload = self.create_payload()
        columns = [c for c in spec.columns if c.field in payload]
        cells = [", ".join(v) if isinstance(v, list) else v for v in (payload[c.field] for c in columns)]
        return workbook_upload([[c.header for c in columns], cells])


EVERYONE = frozenset({"viewer", "operator", "manager", "admin"})


class TestWpsContract(ListCellsMixin, ResourceContract):
    url = "/api/v1/wps/"
    viewset = WpsViewSet
    factory = WpsFactory
    business_key = "wps_id"
    sort_field = "wps_id"
    max_list_queries = 3  # count, page (+ auth user)

    def make(self, **kwargs):
        kwargs.setdefault("status", "draft")  # an approved WPS is immutable (409)
        return WpsFactory(**kwargs)

    def create_payload(self):
        return {
            "wps_id": "WPS-141-01",
            "status": "draft",
            "process": "141",
            "product_forms": ["P", "T"],
            "weld_types": ["BW", "FW"],
            "filler_group": "FM5",
            "thickness_min_mm": 1.0,
            "thickness_max_mm": 8.0,
            "positions": ["PA", "3G"],
        }

    def patch_payload(self, obj):
        return {"filler_designation": "ISO 14343-A W 19 9 L"}

    def invalid_payloads(self):
        base = self.create_payload()
        return [
            ("unknown process", {**base, "process": "999"}),
            ("empty positions", {**base, "positions": []}),
            ("unknown position", {**base, "positions": ["PZ"]}),
            ("max below min", {**base, "thickness_min_mm": 10.0, "thickness_max_mm": 5.0}),
            ("no product forms", {k: v for k, v in base.items() if k != "product_forms"}),
            ("parameters a list", {**base, "parameters": [200, 24]}),
            ("parameters a text", {**base, "parameters": "200 A"}),
            ("parameters null", {**base, "parameters": None}),
            ("material groups a text", {**base, "material_groups": "1.1"}),
            ("material groups of numbers", {**base, "material_groups": [{"group": 1.1}]}),
            ("material group blank", {**base, "material_groups": [" "]}),
        ]

    def make_protected(self):
        return WeldFactory(wps=self.make()).wps

    def extra_actions(self):
        return [ExtraAction("approve", "post", "approve/", allowed=MANAGERS)]


class TestWeldContract(ListCellsMixin, ResourceContract):
    url = "/api/v1/welds/"
    viewset = WeldViewSet
    factory = WeldFactory
    business_key = "weld_id"
    sort_field = "thickness_mm"
    max_list_queries = 5  # count, page with order and WPS, entries with welders, inspections (+ auth user)
    operator_creates = True
    operator_changes_own = True

    def make_listed(self):
        weld = self.make()
        WeldActivityFactory.create_batch(2, weld=weld, layer="repair")
        return weld

    def create_payload(self):
        order = WorkOrderFactory(quality_level="B")
        return {
            "weld_id": "WO-2000-W01",
            "order_id": order.order_id,
            "wps": WpsFactory().wps_id,
            "joint_type": "BW",
            "product_form": "P",
            "thickness_mm": 10.0,
            "position": "PF",
            "length_mm": 500.0,
            "ndt_required": ["VT", "RT"],
        }

    def patch_payload(self, obj):
        return {"length_mm": 250.0}

    def invalid_payloads(self):
        base = self.create_payload()
        return [
            ("thickness zero", {**base, "thickness_mm": "0"}),
            ("pipe without diameter", {**base, "product_form": "T"}),
            ("unknown order", {**base, "order_id": "WO-404"}),
            ("unknown NDT", {**base, "ndt_required": ["XR"]}),
            ("unknown position", {**base, "position": "9G"}),
        ]

    def make_protected(self):
        return WeldActivityFactory().weld

    def extra_actions(self):
        return [
            ExtraAction("eligible_welders", "get", "eligible-welders/", allowed=EVERYONE),
            ExtraAction("trace_weld", "get", "trace/", allowed=EVERYONE),
        ]


class TestWeldLogContract(ResourceContract):
    url = "/api/v1/weld-log/"
    viewset = WeldActivityViewSet
    factory = WeldActivityFactory
    sort_field = "welded_on"
    max_list_queries = 4  # count, page with every related record (+ auth user)
    operator_creates = True
    operator_changes_own = True
    recomputed_on_write = ("qualification", "check")  # the factory writes entries unchecked

    def make(self, **kwargs):
        # a welder holding Q1, so that a change's re-run check passes
        kwargs.setdefault("welder", WelderQualificationFactory().employee)
        return WeldActivityFactory(**kwargs)

    def create_payload(self):
        q = WelderQualificationFactory()
        return {
            "weld": WeldFactory().weld_id,
            "welder": q.employee.employee_id,
            "layer": "root",
            "welded_on": "2025-06-01",
            "arc_seconds": 1800,
        }

    def patch_payload(self, obj):
        return {"arc_seconds": 600}

    def invalid_payloads(self):
        base = self.create_payload()
        return [
            ("in the future", {**base, "welded_on": "2999-01-01"}),
            ("unknown weld", {**base, "weld": "W-404"}),
            ("unknown welder", {**base, "welder": "EMP-404"}),
            ("unknown layer", {**base, "layer": "middle"}),
            ("unknown lot", {**base, "consumable_lot": "LOT-404"}),
        ]
