"""Admin base: bookkeeping fields read only, `created_by` set on add."""

from django.contrib import admin

BOOKKEEPING = ("created_at", "updated_at", "created_by")


class TimeStampedAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *BOOKKEEPING)

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


admin.site.site_header = "Weldshop administration"
admin.site.site_title = "Weldshop admin"
admin.site.index_title = "Workshop"


def _admin_login_key(group, request) -> str:
    from workshop.api.ratelimit import client_ip

    return f"ip:{client_ip(request)}"


def _limit_admin_login() -> None:
    """The admin's login form has the API login's per-IP limit (`RATELIMIT_AUTH`, counted
    apart); over it, a 403 page (django-ratelimit's block)."""
    from django.conf import settings
    from django_ratelimit.decorators import ratelimit

    login = admin.site.login
    admin.site.login = ratelimit(
        group="auth", key=_admin_login_key, rate=lambda group, request: settings.RATELIMIT_AUTH, method="POST"
    )(login)


_limit_admin_login()
