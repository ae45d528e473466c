"""`/admin/dashboard/` (dashboard/urls.py `admin_urlpatterns`, mounted before the admin site's own URLs)."""

from django.contrib import admin
from django.urls import path

from dashboard.admin import dashboard_page, welding_dashboard_page

urlpatterns = [
    path("", admin.site.admin_view(dashboard_page), name="admin-dashboard"),
    path("welding/", admin.site.admin_view(welding_dashboard_page), name="admin-dashboard-welding"),
]
