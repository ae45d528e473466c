"""`/api/v1/dashboard/…` and `/admin/dashboard/` (workshop/urls.py mounts this module's
`api_urlpatterns` and `admin_urlpatterns`); a trailing slash is optional."""

from django.urls import include, path, re_path

from dashboard import views

urlpatterns = [
    re_path(r"^stats/?$", views.StatsView.as_view(), name="dashboard-stats"),
    re_path(r"^workorders/?$", views.WorkOrdersView.as_view(), name="dashboard-workorders"),
    re_path(r"^equipment/?$", views.EquipmentView.as_view(), name="dashboard-equipment"),
    re_path(r"^inspections/?$", views.InspectionsView.as_view(), name="dashboard-inspections"),
    re_path(r"^inventory/alerts/?$", views.InventoryAlertsView.as_view(), name="dashboard-inventory-alerts"),
    re_path(r"^employees/?$", views.EmployeesView.as_view(), name="dashboard-employees"),
    re_path(r"^welding/?$", views.WeldingView.as_view(), name="dashboard-welding"),
]

api_urlpatterns = [
    path("dashboard/", include(urlpatterns)),
    path("analytics/", include("dashboard.analytics.urls")),
]
admin_urlpatterns = [path("dashboard/", include("dashboard.admin_urls"))]
