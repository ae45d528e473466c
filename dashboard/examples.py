"""Example answers for the OpenAPI schema (a small shop; tests check they fit the serializers)."""

_ALERTS = [
    {
        "id": 7,
        "item_id": "INV-007",
        "item_name": "ER70S-6 wire 1.2 mm",
        "quantity": 2,
        "reorder_level": 10,
        "unit": "spool",
        "shortfall": 8,
    },
    {
        "id": 3,
        "item_id": "INV-003",
        "item_name": "Argon cylinder",
        "quantity": 4,
        "reorder_level": 4,
        "unit": "cylinder",
        "shortfall": 0,
    },
]


def _rates(method_or_inspector: dict, passed: int, failed: int) -> dict:
    total = passed + failed
    return {
        **method_or_inspector,
        "total": total,
        "passed": passed,
        "failed": failed,
        "pass_rate": round(passed / total, 4) if total else None,
        "fail_rate": round(failed / total, 4) if total else None,
    }


EXAMPLES = {
    "stats": {
        "work_orders": {
            "total": 42,
            "pending": 12,
            "in_progress": 9,
            "on_hold": 2,
            "completed": 17,
            "cancelled": 2,
            "overdue": 5,
        },
        "equipment": {
            "total": 14,
            "operational": 11,
            "maintenance": 2,
            "out_of_order": 1,
            "service_overdue": 3,
        },
        "inspections": {"total": 60, "passed": 52, "failed": 8, "pass_rate": 0.8667, "fail_rate": 0.1333},
        "employees": {"total": 18, "certifications_expiring": 2, "certifications_expired": 1},
        "inventory_alerts": _ALERTS,
    },
    "workorders": {
        "total": 42,
        "by_status": {"pending": 12, "in_progress": 9, "on_hold": 2, "completed": 17, "cancelled": 2},
        "by_client": {
            "count": 9,
            "items": [
                {"client": "Acme Pipelines", "total": 11, "open": 6, "overdue": 2},
                {"client": "Northern Steel", "total": 8, "open": 3, "overdue": 0},
            ],
        },
        "overdue": {
            "count": 5,
            "items": [
                {
                    "id": 31,
                    "order_id": "WO-1031",
                    "client": "Acme Pipelines",
                    "status": "in_progress",
                    "due_date": "2025-11-18",
                    "assigned_welder": "EMP-01",
                    "assigned_welder_name": "John Doe",
                    "days_overdue": 8,
                }
            ],
        },
        "due_next_7_days": {
            "count": 4,
            "items": [
                {
                    "id": 40,
                    "order_id": "WO-1040",
                    "client": "Northern Steel",
                    "status": "pending",
                    "due_date": "2025-11-28",
                    "assigned_welder": None,
                    "assigned_welder_name": None,
                    "days_left": 2,
                }
            ],
        },
    },
    "equipment": {
        "total": 14,
        "by_status": {"operational": 11, "maintenance": 2, "out_of_order": 1},
        "no_service_schedule": 2,
        "service_overdue": {
            "count": 3,
            "items": [
                {
                    "id": 4,
                    "equipment_id": "EQ-004",
                    "name": "TIG welder Miller Dynasty 280",
                    "status": "operational",
                    "last_service_date": "2025-05-01",
                    "service_interval_days": 180,
                    "next_service_due": "2025-10-28",
                    "days_overdue": 29,
                }
            ],
        },
    },
    "inspections": {
        "total": 60,
        "passed": 52,
        "failed": 8,
        "pass_rate": 0.8667,
        "fail_rate": 0.1333,
        "by_defect_type": [
            {"defect_type": "porosity", "count": 5, "share": 0.625},
            {"defect_type": "undercut", "count": 3, "share": 0.375},
            {"defect_type": "crack", "count": 0, "share": 0.0},
        ],
        "by_method": [
            _rates({"method": "VT"}, 40, 6),
            _rates({"method": "UT"}, 12, 2),
            _rates({"method": "RT"}, 0, 0),
        ],
        "by_inspector": {
            "count": 3,
            "items": [_rates({"inspector": "Anna Berg"}, 30, 3), _rates({"inspector": "Lee Chan"}, 22, 5)],
        },
    },
    "inventory-alerts": {"count": 2, "total_items": 36, "out_of_stock": 0, "items": _ALERTS},
    "employees": {
        "total": 18,
        "certification_status": {"valid": 13, "expiring": 2, "expired": 1, "none": 2},
        "expiring_within_days": 30,
        "by_role": {
            "count": 3,
            "items": [
                {"role": "Welder", "total": 10, "valid": 8, "expiring": 1, "expired": 1, "none": 0},
                {"role": "Senior Welder", "total": 4, "valid": 4, "expiring": 0, "expired": 0, "none": 0},
            ],
        },
        "expiring": {
            "count": 2,
            "items": [
                {
                    "id": 5,
                    "employee_id": "EMP-05",
                    "name": "Jane Smith",
                    "role": "Welder",
                    "certification_expiry": "2025-12-10",
                    "days_left": 14,
                }
            ],
        },
        "expired": {
            "count": 1,
            "items": [
                {
                    "id": 9,
                    "employee_id": "EMP-09",
                    "name": "Mike Johnson",
                    "role": "Welder",
                    "certification_expiry": "2025-11-01",
                    "days_left": -25,
                }
            ],
        },
    },
}

_WELDER_RATES = {
    "employee_id": "EMP-01",
    "name": "John Doe",
    "welds": 10,
    "failed": 2,
    "joint": 0.2,
    "rejected_length_mm": 50.0,
    "examined_length_mm": 5000.0,
    "length": 0.01,
    "length_unknown": 0,
}
_RATES = {k: v for k, v in _WELDER_RATES.items() if k not in ("employee_id", "name")}

# `GET dashboard/welding` (WELDING.md §6 cases 35 and 36).
WELDING_EXAMPLE = {
    "from": "2025-11-01",
    "to": "2025-11-30",
    "methods": ["UT", "RT"],
    "as_of": "2025-11-30",
    "qualifications": {
        "total": 6,
        "valid": 3,
        "expiring": 1,
        "lapsed": 1,
        "expired": 0,
        "revoked": 1,
        "pending": 0,
        "undetermined": 0,
        "expiring_in": {"30": 1, "60": 2, "90": 3},
    },
    "continuity_at_risk": {
        "count": 1,
        "items": [
            {
                "qualification_id": "ISO-135-01",
                "employee_id": "EMP-01",
                "name": "John Doe",
                "process": "135",
                "continuity_due": "2025-12-20",
                "days_left": 20,
            }
        ],
    },
    "lapsed": {
        "count": 1,
        "items": [
            {
                "qualification_id": "ASME-141-03",
                "employee_id": "EMP-03",
                "name": "Mike Johnson",
                "process": "141",
                "continuity_due": "2025-11-01",
                "days_lapsed": 29,
            }
        ],
    },
    "repair_rate": {
        **_RATES,
        "by_welder": [_WELDER_RATES],
        "by_process": [{"process": "135", **_RATES}],
        "by_wps": [{"wps_id": "WPS-135-01", **_RATES}],
    },
    "first_pass_yield": 0.8,
    "first_pass": {"inspected": 10, "passed": 8},
    "findings_by_code": [
        {"code": "2011", "label": "Gas pore", "count": 1, "share": 0.5, "cumulative_share": 0.5},
        {"code": "401", "label": "Lack of fusion", "count": 1, "share": 0.5, "cumulative_share": 1.0},
    ],
    "awaiting_ndt": {
        "count": 1,
        "items": [
            {
                "id": 12,
                "weld_id": "WO-1000-W12",
                "order_id": "WO-1000",
                "ndt_required": ["VT", "RT"],
                "last_welded_on": "2025-11-25",
                "days_waiting": 5,
            }
        ],
    },
    "calibration": {"overdue": 1, "due_soon": 2, "failed": 0},
    "productivity": [
        {
            "employee_id": "EMP-01",
            "name": "John Doe",
            "arc_hours": 12.5,
            "welds": 10,
            "log_arc_seconds": 36000,
            "machine_arc_seconds": 9000.0,
        }
    ],
}
