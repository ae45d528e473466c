"""`/api/v1/analytics/<name>` (a trailing slash is optional)."""

from django.urls import re_path

from dashboard.analytics import equipment, inventory, quality, welders, workorders
from dashboard.analytics.views import view_for

ENDPOINTS = [
    workorders.ENDPOINT,
    quality.ENDPOINT,
    welders.ENDPOINT,
    inventory.ENDPOINT,
    equipment.ENDPOINT,
]

urlpatterns = [
    re_path(rf"^{endpoint.name}/?$", view_for(endpoint).as_view(), name=f"analytics-{endpoint.name}")
    for endpoint in ENDPOINTS
]
