"""Users and roles: admin-only management, role groups, lock-out, mass assignment."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from staff.views import UserViewSet
from tests.conftest import bearer_client
from tests.contract import ResourceContract, assert_error
from tests.factories import EmployeeFactory, UserFactory

URL = "/api/v1/users/"
GOOD_PASSWORD = "Weld-Sh0p-long-enough"
User = get_user_model()


class TestUserContract(ResourceContract):
    url = URL
    viewset = UserViewSet
    factory = UserFactory
    business_key = "username"
    sort_field = "username"
    admin_only = True
    max_list_queries = 4  # count, page (employee joined), groups prefetch, auth

    def create_payload(self):
        return {
            "username": "newwelder",
            "email": "new@example.com",
            "role": "operator",
            "password": GOOD_PASSWORD,
        }

    def update_payload(self, obj):
        return {
            "username": obj.username,
            "email": "changed@example.com",
            "role": "manager",
            "is_active": True,
        }

    def patch_payload(self, obj):
        return {"email": "patched@example.com"}

    def invalid_payloads(self):
        return [
            ("no password", {"username": "a1", "role": "viewer"}),
            ("common password", {"username": "a2", "role": "viewer", "password": "password"}),
            ("numeric password", {"username": "a3", "role": "viewer", "password": "4815162342108"}),
            ("short password", {"username": "a4", "role": "viewer", "password": "Ab1-x"}),
            ("unknown role", {"username": "a5", "role": "boss", "password": GOOD_PASSWORD}),
            ("bad username", {"username": "no spaces allowed!", "role": "viewer", "password": GOOD_PASSWORD}),
            ("unknown employee", {"username": "a6", "password": GOOD_PASSWORD, "employee_id": "EMP-404"}),
        ]

    def test_create_ignores_read_only_fields(self, api):
        """Users have no created_by; a read-only `id` sent along is ignored, and privilege
        flags (no fields of a user here) are a 422 naming them, nothing created."""
        body = api.post(self.url, {**self.create_payload(), "id": 4242}, format="json").json()
        assert body["id"] != 4242
        before = User.objects.count()
        payload = {**self.create_payload(), "username": "flags", "is_superuser": True, "is_staff": True}
        refused = assert_error(api.post(self.url, payload, format="json"), 422, "VALIDATION_ERROR")
        assert set(refused["errors"]) == {"is_superuser", "is_staff"}
        assert refused["errors"]["is_staff"][0].startswith("Unknown field.")
        assert User.objects.count() == before

    def test_create(self, api):
        response = api.post(self.url, self.create_payload(), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["role"] == "operator" and "password" not in body
        assert api.get(self.detail(body["id"])).json() == body


@pytest.mark.django_db
class TestRoles:
    def test_role_controls_admin_access(self, api):
        for role, staff in [("viewer", False), ("operator", False), ("manager", True), ("admin", True)]:
            body = api.post(
                URL, {"username": f"u-{role}", "role": role, "password": GOOD_PASSWORD}, format="json"
            ).json()
            user = User.objects.get(pk=body["id"])
            assert user.is_staff is staff, role
            assert [g.name for g in user.groups.all()] == [role]

    def test_changing_the_role_moves_the_user(self, api):
        user = UserFactory(role="viewer")
        body = api.patch(f"{URL}{user.pk}/", {"role": "manager"}, format="json").json()
        assert body["role"] == "manager"
        user.refresh_from_db()
        assert [g.name for g in user.groups.all()] == ["manager"] and user.is_staff

    def test_manager_admin_pages_follow_the_group(self, db):
        manager = UserFactory(role="manager")
        operator = UserFactory(role="operator")
        client = APIClient()
        client.force_login(manager)
        assert client.get("/admin/workorders/workorder/").status_code == 200
        assert client.get("/admin/auth/user/").status_code == 403
        client.force_login(operator)
        assert client.get("/admin/workorders/workorder/").status_code == 302  # to the admin login

    def test_role_filter(self, api):
        UserFactory(role="operator", username="op1")
        UserFactory(role="viewer", username="vw1")
        names = [u["username"] for u in api.get(URL, {"role": "operator"}).json()["items"]]
        assert names == ["op1"]
        admins = [u["username"] for u in api.get(URL, {"role": "admin"}).json()["items"]]
        assert admins == ["boss"]
        assert_error(api.get(URL, {"role": "boss"}), 422, "VALIDATION_ERROR")


@pytest.mark.django_db
class TestEmployeeLink:
    def test_link_and_unlink(self, api):
        user = UserFactory(role="operator")
        employee = EmployeeFactory(employee_id="EMP-01")
        body = api.patch(f"{URL}{user.pk}/", {"employee_id": "EMP-01"}, format="json").json()
        assert body["employee_id"] == "EMP-01"
        employee.refresh_from_db()
        assert employee.user_id == user.pk
        assert api.get(f"/api/v1/employees/{employee.pk}/").json()["user"] == user.pk
        body = api.patch(f"{URL}{user.pk}/", {"employee_id": None}, format="json").json()
        employee.refresh_from_db()
        assert body["employee_id"] is None and employee.user_id is None

    def test_employee_of_another_user_is_409(self, api):
        EmployeeFactory(employee_id="EMP-02", user=UserFactory())
        response = api.post(
            URL,
            {"username": "x1", "password": GOOD_PASSWORD, "role": "viewer", "employee_id": "EMP-02"},
            format="json",
        )
        assert_error(response, 409, "DUPLICATE_RESOURCE")
        assert not User.objects.filter(username="x1").exists()

    def test_me_shows_the_link(self, api):
        user = UserFactory(role="operator")
        EmployeeFactory(employee_id="EMP-03", user=user)
        assert bearer_client(user).get("/api/v1/auth/me").json()["employee_id"] == "EMP-03"


@pytest.mark.django_db
class TestLockOut:
    def _login(self, user):
        return (
            APIClient()
            .post(
                "/api/v1/auth/login",
                {"username": user.username, "password": "correct-horse-battery-staple"},
                format="json",
            )
            .json()
        )

    def test_deactivation_locks_out_access_and_refresh_tokens(self, api):
        user = UserFactory(role="operator")
        tokens = self._login(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert client.get("/api/v1/workorders/").status_code == 200
        assert api.patch(f"{URL}{user.pk}/", {"is_active": False}, format="json").status_code == 200
        assert_error(client.get("/api/v1/workorders/"), 401, "UNAUTHORIZED")
        refresh = APIClient().post(
            "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
        )
        assert_error(refresh, 401, "UNAUTHORIZED")
        # Reactivated, the old refresh token stays revoked.
        api.patch(f"{URL}{user.pk}/", {"is_active": True}, format="json")
        refresh = APIClient().post(
            "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
        )
        assert_error(refresh, 401, "UNAUTHORIZED")

    def test_admin_cannot_lock_themselves_out(self, api, admin_user):
        assert_error(
            api.patch(f"{URL}{admin_user.pk}/", {"is_active": False}, format="json"), 409, "CONFLICT"
        )
        assert_error(api.patch(f"{URL}{admin_user.pk}/", {"role": "viewer"}, format="json"), 409, "CONFLICT")
        assert_error(api.delete(f"{URL}{admin_user.pk}/"), 409, "CONFLICT")
        admin_user.refresh_from_db()
        assert admin_user.is_active and admin_user.is_superuser

    def test_password_is_write_only_and_hashed(self, api):
        body = api.post(
            URL, {"username": "pw1", "password": GOOD_PASSWORD, "role": "viewer"}, format="json"
        ).json()
        assert "password" not in body
        user = User.objects.get(pk=body["id"])
        assert user.password != GOOD_PASSWORD and user.check_password(GOOD_PASSWORD)


@pytest.mark.django_db
class TestPasswordChange:
    URL = "/api/v1/auth/password"

    def test_change_own_password(self, db):
        user = UserFactory(role="viewer")
        client = bearer_client(user)
        response = client.post(
            self.URL,
            {"old_password": "correct-horse-battery-staple", "new_password": GOOD_PASSWORD},
            format="json",
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.check_password(GOOD_PASSWORD)

    @pytest.mark.parametrize(
        "payload,field",
        [
            ({"old_password": "wrong", "new_password": GOOD_PASSWORD}, "old_password"),
            ({"old_password": "correct-horse-battery-staple", "new_password": "123"}, "new_password"),
            ({"old_password": "correct-horse-battery-staple", "new_password": "password"}, "new_password"),
            ({"old_password": "correct-horse-battery-staple"}, "new_password"),
        ],
    )
    def test_bad_changes_are_422_and_change_nothing(self, db, payload, field):
        user = UserFactory(role="viewer")
        body = assert_error(
            bearer_client(user).post(self.URL, payload, format="json"), 422, "VALIDATION_ERROR"
        )
        assert field in body["errors"]
        user.refresh_from_db()
        assert user.check_password("correct-horse-battery-staple")

    def test_needs_login(self, anon):
        assert_error(anon.post(self.URL, {}, format="json"), 401, "UNAUTHORIZED")
