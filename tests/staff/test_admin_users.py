"""Users and role groups in the Django admin: the same effects and protections as the API."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from workshop.roles import ROLES, user_role


def change_form(response) -> dict:
    """The POST data of an admin change page's form, as the page shows it."""
    data = {}
    for field in response.context["adminform"].form:
        value = field.value()
        widget = field.field.widget
        if value is None or field.field.disabled:
            continue
        if hasattr(widget, "widgets"):  # split date and time
            for i, (sub, part) in enumerate(zip(widget.widgets, widget.decompress(value), strict=True)):
                data[f"{field.html_name}_{i}"] = sub.format_value(part)
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = value
    return data


def post_change(client, user, **changes):
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = change_form(client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data)


def group_ids(*names) -> list[str]:
    return [str(pk) for pk in Group.objects.filter(name__in=names).values_list("pk", flat=True)]


def stored(user):
    """The user as stored (`user_role` caches the role on the instance)."""
    return type(user).objects.get(pk=user.pk)


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # the form again, with the errors
    return response.context["adminform"].form.errors


@pytest.mark.django_db
class TestRoleGroups:
    @pytest.mark.parametrize(("role", "staff"), [("admin", True), ("manager", True), ("operator", False)])
    def test_is_staff_follows_the_role(self, admin_client, role, staff):
        user = UserFactory(role="viewer")
        assert post_change(admin_client, user, groups=group_ids(role)).status_code == 302
        user = stored(user)
        assert (user_role(user), user.is_staff) == (role, staff)

    def test_manager_demoted_to_viewer_is_no_longer_staff(self, admin_client):
        user = UserFactory(role="manager")
        assert user.is_staff
        assert post_change(admin_client, user, groups=group_ids("viewer")).status_code == 302
        user = stored(user)
        assert not user.is_staff and user_role(user) == "viewer"

    def test_ticking_is_staff_does_not_make_a_viewer_staff(self, admin_client):
        user = UserFactory(role="viewer")
        assert post_change(admin_client, user, is_staff="on").status_code == 302
        user.refresh_from_db()
        assert not user.is_staff

    def test_two_role_groups_are_a_form_error(self, admin_client):
        user = UserFactory(role="viewer")
        response = post_change(admin_client, user, groups=group_ids("viewer", "manager"))
        assert set(form_errors(response)) == {"groups"}
        user.refresh_from_db()
        assert list(user.groups.values_list("name", flat=True)) == ["viewer"] and not user.is_staff

    def test_other_groups_may_go_with_a_role(self, admin_client):
        Group.objects.create(name="night shift")
        user = UserFactory(role="viewer")
        response = post_change(admin_client, user, groups=group_ids("operator", "night shift"))
        assert response.status_code == 302
        assert sorted(user.groups.values_list("name", flat=True)) == ["night shift", "operator"]

    def test_deactivating_revokes_refresh_tokens(self, admin_client):
        user = UserFactory(role="operator")
        RefreshToken.for_user(user)
        assert post_change(admin_client, user, is_active=False).status_code == 302
        user.refresh_from_db()
        assert not user.is_active
        assert BlacklistedToken.objects.filter(token__user=user).count() == 1


@pytest.mark.django_db
class TestSelfProtection:
    def test_cannot_remove_own_admin_role(self, admin_client, admin_user):
        response = post_change(admin_client, admin_user, groups=group_ids("manager"), is_superuser=False)
        assert "groups" in form_errors(response)
        admin_user = stored(admin_user)
        assert admin_user.is_superuser and user_role(admin_user) == "admin"

    def test_cannot_deactivate_self(self, admin_client, admin_user):
        response = post_change(admin_client, admin_user, is_active=False)
        assert set(form_errors(response)) == {"is_active"}
        admin_user.refresh_from_db()
        assert admin_user.is_active

    def test_may_still_edit_self(self, admin_client, admin_user):
        assert post_change(admin_client, admin_user, email="boss@example.org").status_code == 302
        admin_user = stored(admin_user)
        assert admin_user.email == "boss@example.org" and user_role(admin_user) == "admin"

    def test_cannot_delete_self(self, admin_client, admin_user):
        url = reverse("admin:auth_user_delete", args=[admin_user.pk])
        for response in (
            admin_client.get(url, follow=True),
            admin_client.post(url, {"post": "yes"}, follow=True),
        ):
            assert response.redirect_chain[0][0] == reverse("admin:auth_user_change", args=[admin_user.pk])
            assert "You cannot delete yourself." in [str(m) for m in response.context["messages"]]
        assert type(admin_user).objects.filter(pk=admin_user.pk).exists()

    def test_bulk_delete_including_self_is_refused(self, admin_client, admin_user):
        other = UserFactory()
        response = admin_client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "delete_selected", "_selected_action": [admin_user.pk, other.pk], "post": "yes"},
        )
        assert response.status_code == 403
        assert type(admin_user).objects.filter(pk__in=[admin_user.pk, other.pk]).count() == 2

    def test_deleting_another_user_revokes_their_tokens(self, admin_client):
        other = UserFactory(role="operator")
        RefreshToken.for_user(other)
        url = reverse("admin:auth_user_delete", args=[other.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not type(other).objects.filter(pk=other.pk).exists()
        assert BlacklistedToken.objects.count() == 1


@pytest.mark.django_db
def test_setting_a_password_revokes_refresh_tokens(admin_client):
    user = UserFactory(role="operator")
    RefreshToken.for_user(user)
    RefreshToken.for_user(user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    password = "a-new-long-password-42"
    response = admin_client.post(
        url, {"password1": password, "password2": password, "usable_password": "true"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(password)
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


@pytest.mark.django_db
def test_a_refused_password_revokes_nothing(admin_client):
    user = UserFactory(role="operator")
    RefreshToken.for_user(user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(url, {"password1": "a-new-long-password-42", "password2": "other"})
    assert response.status_code == 200
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db
class TestRoleGroupAdmin:
    @pytest.mark.parametrize("role", ROLES)
    def test_role_group_cannot_be_renamed(self, admin_client, role):
        group = Group.objects.get(name=role)
        url = reverse("admin:auth_group_change", args=[group.pk])
        page = admin_client.get(url)
        assert "name" not in page.context["adminform"].form.fields
        permissions = [str(pk) for pk in group.permissions.values_list("pk", flat=True)]
        response = admin_client.post(url, {"name": "renamed", "permissions": permissions})
        assert response.status_code == 302
        group.refresh_from_db()
        assert group.name == role

    def test_role_group_cannot_be_deleted(self, admin_client):
        group = Group.objects.get(name="viewer")
        url = reverse("admin:auth_group_delete", args=[group.pk])
        response = admin_client.post(url, {"post": "yes"}, follow=True)
        assert "The role group 'viewer' cannot be deleted." in [str(m) for m in response.context["messages"]]
        bulk = admin_client.post(
            reverse("admin:auth_group_changelist"),
            {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"},
        )
        assert bulk.status_code == 403
        assert Group.objects.filter(name="viewer").exists()

    def test_other_groups_stay_editable(self, admin_client):
        group = Group.objects.create(name="night shift")
        url = reverse("admin:auth_group_change", args=[group.pk])
        assert admin_client.post(url, {"name": "day shift"}).status_code == 302
        group.refresh_from_db()
        assert group.name == "day shift"
        assert (
            admin_client.post(
                reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}
            ).status_code
            == 302
        )
        assert not Group.objects.filter(pk=group.pk).exists()
