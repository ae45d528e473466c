from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from staff import qualifications
from staff import welding_choices as welding
from staff.models import (
    CertificationStatus,
    Employee,
    QualificationEvent,
    WelderQualification,
    certification_status_q,
)
from staff.services import user_delete
from workshop.admin import TimeStampedAdmin
from workshop.history.admin import HistoryAdmin
from workshop.roles import ADMIN, ROLES, set_user_role, user_role
from workshop.users import user_revoke_tokens

User = get_user_model()


class CertificationStatusFilter(admin.SimpleListFilter):
    title = "certification"
    parameter_name = "certification_status"

    def lookups(self, request, model_admin):
        return CertificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in CertificationStatus.values:
            return queryset.filter(certification_status_q(self.value()))
        return queryset


@admin.register(Employee)
class EmployeeAdmin(TimeStampedAdmin):
    list_display = [
        "employee_id",
        "name",
        "role",
        "stamp",
        "certification_expiry",
        "certification_status",
        "user",
    ]
    list_filter = ["role", CertificationStatusFilter]
    search_fields = ["employee_id", "name", "role", "stamp"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["certification_status"]

    @admin.display(description="certification")
    def certification_status(self, obj):
        return CertificationStatus(obj.certification_status).label


# Welding (§8): qualifications with their standing today, events read only.


class QualificationStatusFilter(admin.SimpleListFilter):
    """The standing today (R1), worked out in bulk for the rows the other filters kept."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return welding.QualificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in welding.QualificationStatus.values:
            return queryset
        quals = qualifications.attach_standings(queryset.order_by(), on=timezone.localdate())
        return queryset.filter(pk__in=[q.pk for q in quals if qualifications.status_of(q) == self.value()])


class StandingChangeList(ChangeList):
    """The page's qualifications get their standing in bulk (no query per row)."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = qualifications.attach_standings(self.result_list, on=timezone.localdate())


class QualificationEventInline(admin.TabularInline):
    model = QualificationEvent
    extra = 0
    can_delete = False
    fields = ["kind", "on_date", "by", "evidence", "override_reason", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WelderQualification)
class WelderQualificationAdmin(TimeStampedAdmin):
    list_display = [
        "qualification_id",
        "employee",
        "standard",
        "process",
        "test_date",
        "status",
        "effective_until",
        "days_left",
    ]
    list_filter = [QualificationStatusFilter, "process", "standard"]
    search_fields = ["qualification_id", "designation", "employee__employee_id", "employee__name"]
    list_select_related = ["employee"]
    raw_id_fields = ["employee"]
    inlines = [QualificationEventInline]
    readonly_fields = ["status", "effective_until", "days_left"]

    def get_changelist(self, request, **kwargs):
        return StandingChangeList

    def _standing(self, obj):
        if not hasattr(obj, "standing"):
            qualifications.attach_standings([obj], on=timezone.localdate())
        return obj.standing

    @admin.display(description="status today")
    def status(self, obj):
        standing = self._standing(obj) if obj.pk else None
        return welding.QualificationStatus(standing.status).label if standing else "-"

    @admin.display(description="effective until")
    def effective_until(self, obj):
        standing = self._standing(obj) if obj.pk else None
        return standing.effective_until if standing else "-"

    @admin.display(description="days left")
    def days_left(self, obj):
        standing = self._standing(obj) if obj.pk else None
        return standing.days_left if standing else "-"


@admin.register(QualificationEvent)
class QualificationEventAdmin(TimeStampedAdmin):
    """Read only: events are written by the qualifications' actions (API)."""

    list_display = ["qualification", "kind", "on_date", "by", "override_reason"]
    list_filter = ["kind"]
    search_fields = ["qualification__qualification_id", "note", "override_reason"]
    list_select_related = ["qualification", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Users and role groups: the admin has the API's effects and protections.


class RefusedDeleteMixin:
    """Objects `delete_refusal()` names cannot be deleted: no delete link, the delete page
    redirects back with the reason, and a bulk delete lists them as not permitted."""

    def delete_refusal(self, request, obj) -> str | None:
        return None

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.delete_refusal(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        reason = obj is not None and self.delete_refusal(request, obj)
        if reason:
            self.message_user(request, reason, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[obj.pk],
                    current_app=self.admin_site.name,
                )
            )
        return super().delete_view(request, object_id, extra_context)


class UserChangeForm(auth_forms.UserChangeForm):
    """At most one role group; an admin keeps their own admin role and stays active."""

    actor = None  # the user making the change (set per request by UserAdmin.get_form)

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        roles = sorted(g.name for g in groups if g.name in ROLES) if groups is not None else []
        if len(roles) > 1:
            self.add_error("groups", f"Choose at most one role group ({', '.join(ROLES)}).")
            return cleaned
        is_superuser = cleaned.get("is_superuser", self.instance.is_superuser)
        if is_superuser and roles and roles != [ADMIN]:
            self.add_error("groups", "A superuser's role is admin.")
            return cleaned
        role = ADMIN if is_superuser else (roles[0] if roles else None)
        if self.actor is not None and self.instance.pk == self.actor.pk:
            if cleaned.get("is_active") is False:
                self.add_error("is_active", "You cannot deactivate yourself.")
            if "groups" in cleaned and role != ADMIN:
                self.add_error("groups", "You cannot take away your own admin role.")
        return cleaned


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """A new password (or none) revokes the user's refresh tokens, as the API's change does."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            user_revoke_tokens(user=user)
        return user


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(RefusedDeleteMixin, HistoryAdmin, auth_admin.UserAdmin):
    """`is_staff` follows the role (admin and manager are staff), as with the API's role."""

    form = UserChangeForm
    change_password_form = AdminPasswordChangeForm

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "is_staff")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        user.__dict__.pop("_role_cache", None)  # the groups just changed: read them again
        set_user_role(user, user_role(user))
        user.save(update_fields=["is_staff", "is_superuser"])
        if change and "is_active" in form.changed_data and not user.is_active:
            user_revoke_tokens(user=user)

    def delete_refusal(self, request, obj) -> str | None:
        return "You cannot delete yourself." if obj.pk == request.user.pk else None

    def delete_model(self, request, obj):
        user_delete(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_delete(user=user, actor=request.user)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RefusedDeleteMixin, auth_admin.GroupAdmin):
    """The role groups (`workshop.roles.ROLES`) keep their names: roles are found by name."""

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.name in ROLES:
            return (*readonly, "name")
        return readonly

    def delete_refusal(self, request, obj) -> str | None:
        return f"The role group {obj.name!r} cannot be deleted." if obj.name in ROLES else None
