"""`/api/v1/dashboard/…` (included by workshop/urls.py); a trailing slash is optional."""

from django.urls import re_path

from dashboard import views

urlpatterns = [
    re_path(r"^stats/?$", views.StatsView.as_view(), name="dashboard-stats"),
    re_path(r"^workorders/?$", views.WorkOrdersView.as_view(), name="dashboard-workorders"),
    re_path(r"^equipment/?$", views.EquipmentView.as_view(), name="dashboard-equipment"),
    re_path(r"^inspections/?$", views.InspectionsView.as_view(), name="dashboard-inspections"),
    re_path(r"^inventory/alerts/?$", views.InventoryAlertsView.as_view(), name="dashboard-inventory-alerts"),
    re_path(r"^employees/?$", views.EmployeesView.as_view(), name="dashboard-employees"),
]
