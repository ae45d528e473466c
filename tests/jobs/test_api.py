"""`/api/v1/jobs/` (SPEC §5): users see their own jobs, managers and admins everyone's;
`cancel`; an export job's `download`; live progress while a job runs."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from tests.contract import ROLES, ResourceContract, assert_error
from tests.factories import JobFactory, UserFactory
from workshop.jobs.models import Job, JobStatus
from workshop.jobs.views import JobViewSet

URL = "/api/v1/jobs/"
SEES_EVERYONES = frozenset({"manager", "admin"})


class TestJobContract(ResourceContract):
    url = URL
    viewset = JobViewSet
    factory = JobFactory
    actions = frozenset({"list", "retrieve"})
    sort_field = "status"
    max_list_queries = 3  # auth user, count, page (progress comes from the cache in one round trip)

    def extra_actions(self):
        return []  # cancel and download: who may is per job (own vs everyone's), tested below

    def test_extra_actions_are_all_described(self):
        assert {a.__name__ for a in self.viewset.get_extra_actions()} == {"cancel", "download"}

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_read(self, client_for, role):
        """Every role reads its own jobs; another user's job is a 404 (its existence is not
        told) except to managers and admins."""
        client = client_for(role)
        own = self.make(created_by=client.user)
        others = self.make(created_by=UserFactory())
        listed = [item["id"] for item in client.get(self.url).json()["items"]]
        assert client.get(self.detail(own.pk)).status_code == 200
        if role in SEES_EVERYONES:
            assert listed == [own.pk, others.pk]
            assert client.get(self.detail(others.pk)).status_code == 200
        else:
            assert listed == [own.pk]
            assert_error(client.get(self.detail(others.pk)), 404, "NOT_FOUND")

    @pytest.mark.parametrize("role", ROLES)
    def test_role_may_call_extra_actions(self, client_for, anon, role):
        client = client_for(role)
        own = self.make(created_by=client.user)
        others = self.make(created_by=UserFactory())
        assert_error(anon.post(f"{self.detail(own.pk)}cancel/"), 401, "UNAUTHORIZED")
        response = client.post(f"{self.detail(own.pk)}cancel/")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "cancelled"
        response = client.post(f"{self.detail(others.pk)}cancel/")
        if role in SEES_EVERYONES:
            assert response.status_code == 200
        else:
            assert_error(response, 404, "NOT_FOUND")
            assert Job.objects.get(pk=others.pk).status == JobStatus.QUEUED


@pytest.mark.django_db
class TestJobs:
    def test_the_representation(self, api):
        job = JobFactory(created_by=api.user, status=JobStatus.SUCCEEDED, result={"import_id": 7})
        body = api.get(f"{URL}{job.pk}/").json()
        assert set(body) == {
            "id",
            "kind",
            "status",
            "progress",
            "result",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        }
        assert body["progress"] == {"done": 0, "total": None}
        assert (body["kind"], body["status"], body["result"], body["created_by"]) == (
            "export",
            "succeeded",
            {"import_id": 7},
            api.user.pk,
        )

    def test_a_running_jobs_progress_is_live(self, api):
        """A running job tells its progress through the shared cache (its row is locked by the
        worker), and the list and the detail show it."""
        job = JobFactory(created_by=api.user, status=JobStatus.RUNNING, progress_total=100)
        idle = JobFactory(created_by=api.user, status=JobStatus.QUEUED)
        cache.set(f"jobs:progress:{job.pk}", {"done": 40, "total": 100})
        assert api.get(f"{URL}{job.pk}/").json()["progress"] == {"done": 40, "total": 100}
        items = {item["id"]: item for item in api.get(URL).json()["items"]}
        assert items[job.pk]["progress"] == {"done": 40, "total": 100}
        assert items[idle.pk]["progress"] == {"done": 0, "total": None}

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status": "queued"}, ["queued"]),
            ({"status": "failed,succeeded"}, ["failed", "succeeded"]),
            ({"kind": "import"}, ["failed"]),
        ],
    )
    def test_filters(self, api, params, expected):
        JobFactory(created_by=api.user, status=JobStatus.QUEUED)
        JobFactory(created_by=api.user, status=JobStatus.SUCCEEDED)
        JobFactory(created_by=api.user, status=JobStatus.FAILED, kind="import")
        statuses = sorted(item["status"] for item in api.get(URL, params).json()["items"])
        assert statuses == expected

    @pytest.mark.parametrize("params", [{"status": "melted"}, {"kind": "nap"}])
    def test_bad_filter_values_are_422(self, api, params):
        assert_error(api.get(URL, params), 422, "VALIDATION_ERROR")


@pytest.mark.django_db
class TestCancel:
    def test_a_queued_job_is_cancelled_at_once(self, api):
        job = JobFactory(created_by=api.user)
        body = api.post(f"{URL}{job.pk}/cancel/").json()
        assert body["status"] == "cancelled" and body["finished_at"]
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELLED

    @pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
    def test_a_finished_job_is_409(self, api, status):
        job = JobFactory(created_by=api.user, status=status)
        body = assert_error(api.post(f"{URL}{job.pk}/cancel/"), 409, "CONFLICT")
        assert status in body["detail"]
        job.refresh_from_db()
        assert job.status == status

    def test_a_missing_job_is_404(self, api):
        assert_error(api.post(f"{URL}999999/cancel/"), 404, "NOT_FOUND")

    def test_get_is_405(self, api):
        job = JobFactory(created_by=api.user)
        assert_error(api.get(f"{URL}{job.pk}/cancel/"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.django_db
class TestDownload:
    def test_no_file_is_404(self, api):
        job = JobFactory(created_by=api.user, status=JobStatus.RUNNING)
        assert_error(api.get(f"{URL}{job.pk}/download/"), 404, "NOT_FOUND")

    def test_another_users_file_is_404(self, client_for):
        client = client_for("viewer")
        job = JobFactory(created_by=UserFactory(), status=JobStatus.SUCCEEDED)
        job.output_file.save("x.csv", ContentFile(b"a,b\r\n"), save=True)
        assert_error(client.get(f"{URL}{job.pk}/download/"), 404, "NOT_FOUND")
        job.output_file.delete(save=False)
