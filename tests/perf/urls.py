"""The app's URLs plus `/bench/bare-workorders`: the fair floor for the work-order list.

The bare view answers the same 50 rows as
`GET /api/v1/workorders/?page_size=50&status=pending&sort_by=due_date` (same filter, same
order, same columns including the welder's employee_id and name, and the same envelope),
with `.values()` and `JsonResponse`: no DRF, no authentication, no serializer. It leaves
out what `.values()` cannot give: the nested inspections and the computed `is_overdue`.
"""

import math

from django.http import JsonResponse
from django.urls import path

from workorders.models import WorkOrder
from workshop.urls import urlpatterns as app_urlpatterns

PAGE_SIZE = 50
BARE_COLUMNS = (
    "id",
    "order_id",
    "client",
    "description",
    "status",
    "due_date",
    "assigned_welder__employee_id",
    "assigned_welder__name",
    "created_at",
    "updated_at",
    "created_by",
)


def bare_workorders(request):
    pending = WorkOrder.objects.filter(status="pending")
    total = pending.count()
    rows = list(pending.order_by("due_date", "id").values(*BARE_COLUMNS)[:PAGE_SIZE])
    return JsonResponse(
        {
            "items": rows,
            "total": total,
            "page": 1,
            "page_size": PAGE_SIZE,
            "pages": math.ceil(total / PAGE_SIZE) if total else 0,
        }
    )


# First, so that no pattern of the app (workshop.urls ends with a catch-all) can shadow it.
urlpatterns = [path("bench/bare-workorders", bare_workorders, name="bench-bare-workorders"), *app_urlpatterns]
