"""`/api/v1/jobs/`: a user's background jobs (managers and admins: everyone's), `cancel`,
and an export's file."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from workshop.api.viewsets import ReadOnlyViewSet
from workshop.files import stored_file_response
from workshop.jobs import services
from workshop.jobs.filters import JobFilter
from workshop.jobs.models import Job
from workshop.jobs.serializers import JobSerializer
from workshop.roles import user_has_perms

VIEW_ALL = "jobs.view_all_job"


class JobViewSet(ReadOnlyViewSet):
    """Background jobs: imports, template uploads and exports sent with
    `Prefer: respond-async` (or too large to answer at once), and scheduled imports."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
    # Live events: `job.progress` and `job.finished`, to the owner and managers/admins only
    # (workshop/jobs/services.py `notify`), not every role's `job.updated`.
    live_events = False
    filterset_class = JobFilter
    search_fields = []
    ordering_fields = ["kind", "status", "created_at", "started_at", "finished_at"]

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if not user_has_perms(user, [VIEW_ALL]):
            queryset = queryset.filter(created_by=user)  # another user's job is a 404
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        if page is not None:
            context["live_progress"] = services.live_progress(page)
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    def retrieve(self, request, *args, **kwargs):
        job = self.get_object()
        self._page = [job]
        return Response(self.get_serializer(job).data)

    def etag_representation(self, job):
        self._page = [job]  # with its live progress, as retrieve answers it
        return super().etag_representation(job)

    @extend_schema(
        summary="Cancel a job",
        description="A queued job is cancelled at once. A running one stops at its next progress "
        "report and everything it wrote is rolled back; until then it still reads `running`. "
        "A finished job is a 409.",
        request=None,
        responses={200: JobSerializer},
    )
    @action(detail=True, methods=["post"], url_path="cancel", required_perms=["jobs.view_job"])
    def cancel(self, request, pk=None):
        job = services.job_cancel(job=self.get_object())
        self._page = [job]
        return Response(self.get_serializer(job).data)

    @extend_schema(
        summary="Download an export job's file",
        description="The file an export job wrote: streamed from local storage, or a redirect to a "
        "short-lived presigned link on S3. 404 while the job has no file (not an export, not "
        "finished, or cleaned up).",
        responses={
            # The export's format (xlsx or csv), as the job recorded it.
            # Bytes first: a generator reads the first media type it knows (as plain text for text/csv).
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            (200, "text/csv; charset=utf-8"): OpenApiTypes.BINARY,
            302: OpenApiResponse(description="Redirect to a presigned S3 link."),
        },
    )
    @action(detail=True, methods=["get"], url_path="download", required_perms=["jobs.view_job"])
    def download(self, request, pk=None):
        return stored_file_response(services.job_stored_file(job=self.get_object()))
