"""`POST /<resource>/export/` (SPEC §5): the filters in the body or the query; without
`Prefer: respond-async` the file as `GET` answers it, with it a `202` and a job whose result
is the file. Jobs run in process here (as without Redis); tests/jobs/test_worker.py sends them
to a real Celery worker."""

from __future__ import annotations

import urllib.request

import pytest

from tests.contract import assert_error
from tests.factories import WorkOrderFactory
from tests.imports.test_export import CSV_TYPE, body, csv_rows, xlsx_rows
from workshop.jobs.models import Job, JobStatus

URL = "/api/v1/workorders/export/"
ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture
def orders(db):
    return [
        WorkOrderFactory(order_id="WO-1", client="Harbour Steel", status="pending"),
        WorkOrderFactory(order_id="WO-2", client="Harbour Steel", status="completed"),
        WorkOrderFactory(order_id="WO-3", client="Nordic Pipe", status="on_hold"),
    ]


def order_ids(rows) -> list[str]:
    return [row[0] for row in rows[1:]]


def download(client, job_id: int) -> bytes:
    """An export job's file: streamed (local files) or through its presigned link (S3)."""
    response = client.get(f"/api/v1/jobs/{job_id}/download/")
    if response.status_code == 302:
        with urllib.request.urlopen(response["Location"], timeout=30) as remote:  # noqa: S310
            return remote.read()
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


@pytest.mark.django_db
class TestPostExport:
    def test_body_filters_give_the_file_of_get(self, api, orders):
        posted = api.post(URL, {"status": ["pending", "on_hold"], "format": "csv"}, format="json")
        got = api.get(URL, {"status": "pending,on_hold", "format": "csv"})
        assert posted.status_code == got.status_code == 200
        assert posted["Content-Type"] == CSV_TYPE
        assert order_ids(csv_rows(body(posted))) == ["WO-1", "WO-3"] == order_ids(csv_rows(body(got)))

    def test_query_filters_work_too(self, api, orders):
        response = api.post(f"{URL}?client=Harbour+Steel", format="json")
        assert response.status_code == 200
        assert order_ids(xlsx_rows(body(response))) == ["WO-1", "WO-2"]

    @pytest.mark.parametrize(
        "payload",
        [
            {"status": "melted"},
            {"no_such_filter": "1"},
            {"format": "pdf"},
            {"page": 2},
            {"status": {"nested": "object"}},
            {"fields": "order_id,no_such_field"},
        ],
    )
    def test_bad_filters_are_422_and_queue_nothing(self, api, orders, payload):
        assert_error(api.post(URL, payload, format="json", **ASYNC), 422, "VALIDATION_ERROR")
        assert not Job.objects.exists()

    def test_filters_in_both_places_are_422(self, api, orders):
        response = api.post(f"{URL}?client=Nordic+Pipe", {"status": "pending"}, format="json", **ASYNC)
        assert "not both" in assert_error(response, 422, "VALIDATION_ERROR")["detail"]
        assert not Job.objects.exists()

    def test_a_body_that_is_not_an_object_is_422(self, api, orders):
        assert_error(api.post(URL, ["pending"], format="json", **ASYNC), 422, "VALIDATION_ERROR")
        # JSON null is a body, and not an object (found by the fuzzer): not "no body".
        for headers in ({}, ASYNC):
            response = api.post(URL, "null", content_type="application/json", **headers)
            assert_error(response, 422, "VALIDATION_ERROR")
        assert not Job.objects.exists()
        assert api.post(URL, content_type="application/json").status_code == 200  # no body at all

    def test_roles(self, client_for, orders):
        """Exports need `export_*`, which every role holds (viewers read and export)."""
        for role in ("viewer", "operator", "manager", "admin"):
            response = client_for(role).post(URL, {"format": "csv"}, format="json")
            assert response.status_code == 200, role


@pytest.mark.django_db
class TestExportJob:
    def test_prefer_respond_async_is_202_with_the_job(self, api, orders, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(URL, {"client": "Harbour Steel", "format": "csv"}, format="json", **ASYNC)
        assert response.status_code == 202, response.json()
        assert response["Preference-Applied"] == "respond-async"
        job = Job.objects.get()
        assert response["Location"] == f"http://testserver/api/v1/jobs/{job.pk}/"
        answered = response.json()
        assert (answered["id"], answered["kind"], answered["created_by"]) == (job.pk, "export", api.user.pk)
        # In process (no worker), the job ran once the request committed.
        detail = api.get(response["Location"]).json()
        assert detail["status"] == "succeeded", detail
        assert detail["progress"] == {"done": 2, "total": 2}
        assert detail["result"]["rows"] == 2
        assert detail["result"]["download"] == f"/api/v1/jobs/{job.pk}/download"
        assert detail["result"]["filename"].startswith("workorders-") and detail["finished_at"]
        assert order_ids(csv_rows(download(api, job.pk))) == ["WO-1", "WO-2"]
        response = api.get(f"/api/v1/jobs/{job.pk}/download/")
        disposition = response["Content-Disposition"] if response.status_code == 200 else response["Location"]
        assert detail["result"]["filename"] in disposition

    def test_the_job_exports_as_its_user_sees_the_list(
        self, client_for, orders, django_capture_on_commit_callbacks
    ):
        client = client_for("viewer")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                URL, {"format": "xlsx", "sort_by": "order_id", "order": "desc"}, format="json", **ASYNC
            )
        job = Job.objects.get(pk=response.json()["id"])
        assert job.created_by == client.user and job.status == JobStatus.SUCCEEDED
        assert order_ids(xlsx_rows(download(client, job.pk))) == ["WO-3", "WO-2", "WO-1"]

    def test_get_export_ignores_prefer(self, api, orders):
        """GET keeps answering the file, as existing clients expect."""
        response = api.get(URL, {"format": "csv"}, **ASYNC)
        assert response.status_code == 200 and response["Content-Type"] == CSV_TYPE
        assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("prefer", ["", "return=minimal", "2D^,~g:~|", "wait=10"])
def test_other_preferences_are_ignored(api, orders, prefer):
    """RFC 7240: a preference the server does not know changes nothing — the file, as ever."""
    response = api.post(URL, {"format": "csv"}, format="json", HTTP_PREFER=prefer)
    assert response.status_code == 200 and response["Content-Type"] == CSV_TYPE
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_respond_async_among_other_preferences_is_heard(api, orders, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, {"format": "csv"}, format="json", HTTP_PREFER="wait=5, Respond-Async")
    assert response.status_code == 202
