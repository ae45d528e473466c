from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from workshop import auth, health, metrics
from workshop.api.exceptions import not_found
from workshop.api.ratelimit import limit_login_form
from workshop.api.router import router
from workshop.discovery import app_attributes

auth_urls = [
    re_path(r"^login/?$", auth.LoginView.as_view(), name="login"),
    re_path(r"^refresh/?$", auth.RefreshView.as_view(), name="refresh"),
    re_path(r"^logout/?$", auth.LogoutView.as_view(), name="logout"),
    re_path(r"^me/?$", auth.MeView.as_view(), name="me"),
    re_path(r"^password/?$", auth.PasswordChangeView.as_view(), name="password"),
    re_path(r"^ws-ticket/?$", auth.WsTicketView.as_view(), name="ws-ticket"),
]

# What apps add beside their router resources (`<app>/urls.py`, workshop/discovery.py).
app_admin_urls = [pattern for patterns in app_attributes("urls", "admin_urlpatterns") for pattern in patterns]
app_api_urls = [pattern for patterns in app_attributes("urls", "api_urlpatterns") for pattern in patterns]

urlpatterns = [
    path("admin/", include(app_admin_urls)),  # before the admin site's own (its catch-all)
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include((auth_urls, "auth"))),
    path("api/v1/", include(app_api_urls)),
    path("api/v1/", include(router.urls)),
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
    # Prometheus (workshop/metrics.py): allowed addresses or the token only, else this 404s.
    re_path(r"^metrics/?$", metrics.metrics_view, name="metrics"),
    # Any character after the prefix, a newline too (`.` would stop at one: Django's own 404).
    re_path(r"^(?:api|health|auth)(?:/[\s\S]*)?$", not_found),
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
