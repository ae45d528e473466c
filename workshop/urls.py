from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from machines.views import ImportTemplateViewSet
from workshop import auth, health
from workshop.api.exceptions import not_found
from workshop.api.ratelimit import limit_login_form
from workshop.api.router import router

auth_urls = [
    re_path(r"^login/?$", auth.LoginView.as_view(), name="login"),
    re_path(r"^refresh/?$", auth.RefreshView.as_view(), name="refresh"),
    re_path(r"^logout/?$", auth.LogoutView.as_view(), name="logout"),
    re_path(r"^me/?$", auth.MeView.as_view(), name="me"),
    re_path(r"^password/?$", auth.PasswordChangeView.as_view(), name="password"),
    re_path(r"^ws-ticket/?$", auth.WsTicketView.as_view(), name="ws-ticket"),
]

urlpatterns = [
    path("admin/dashboard/", include("dashboard.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include((auth_urls, "auth"))),
    path("api/v1/dashboard/", include("dashboard.urls")),
    path("api/v1/", include(router.urls)),
    # The prototype's URL for a template upload, kept for existing clients.
    re_path(
        r"^api/v1/upload/(?P<pk>[0-9]+)/?$",
        ImportTemplateViewSet.as_view({"post": "upload"}, **ImportTemplateViewSet.upload.kwargs),
        name="template-upload-legacy",
    ),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    re_path(
        r"^api/redoc/?$",
        SpectacularRedocView.as_view(url_name="schema", template_name="weldshop/redoc.html"),
        name="redoc",
    ),
    re_path(r"^health/?$", health.HealthView.as_view(), name="health"),
    re_path(r"^health/db/?$", health.HealthDatabaseView.as_view(), name="health-db"),
    re_path(r"^health/status/?$", health.HealthStatusView.as_view(), name="health-status"),
    re_path(r"^(?:api|health|auth)(?:/.*)?$", not_found),
]

if settings.BROWSABLE_API:
    # The browsable API's "Log in" (any user, by session): developers try the API as any role.
    # DRF's own login/logout pages, with the login limit of the API and the admin.
    browsable_api_auth = [
        path(
            "login/",
            limit_login_form(LoginView.as_view(template_name="rest_framework/login.html")),
            name="login",
        ),
        path("logout/", LogoutView.as_view(), name="logout"),
    ]
    urlpatterns.insert(0, path("api-auth/", include((browsable_api_auth, "rest_framework"))))

handler500 = "workshop.api.exceptions.server_error"
handler400 = "workshop.api.exceptions.bad_request"
