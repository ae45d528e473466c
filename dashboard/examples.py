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
