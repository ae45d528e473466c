"""Admin base: bookkeeping fields read only, `created_by` set on add (inline rows too), and
each record's History page (simple-history's, `workshop.history.admin`)."""

from django.contrib import admin

from workshop.history.admin import HistoryAdmin

BOOKKEEPING = ("created_at", "updated_at", "created_by")


class TimeStampedAdmin(HistoryAdmin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *BOOKKEEPING)

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            obj = inline_form.instance
            if obj.pk is None and getattr(obj, "created_by_id", 0) is None:
                obj.created_by = request.user
        super().save_formset(request, form, formset, change)


admin.site.site_header = "Weldshop administration"
admin.site.site_title = "Weldshop admin"
admin.site.index_title = "Workshop"


def _limit_admin_login() -> None:
    """The admin's login form has the API login's per-IP limit (`RATELIMIT_AUTH`)."""
    from workshop.api.ratelimit import limit_login_form

    admin.site.login = limit_login_form(admin.site.login)


_limit_admin_login()
