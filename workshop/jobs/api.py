"""What an endpoint that can answer with a job needs: `Prefer: respond-async` (RFC 7240), and
the `202 Accepted` answer with the job and its `Location`."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework.response import Response

from workshop.jobs.models import Job
from workshop.jobs.serializers import JobSerializer

PREFER_PARAMETER = OpenApiParameter(
    "Prefer",
    # Any preference list (RFC 7240: preferences a server does not know are ignored); only
    # `respond-async` changes the answer.
    {"type": "string", "example": "respond-async"},
    OpenApiParameter.HEADER,
    required=False,
    description="`respond-async` (among any other preferences, which are ignored): answer `202 Accepted` at once with the background job "
    "(`Location: /api/v1/jobs/{id}/`) instead of waiting for the work; follow it there, "
    "or on the live events socket (`job.progress`, `job.finished`).",
)


def prefers_async(request) -> bool:
    """Whether the client sent `Prefer: respond-async` (among other preferences, any case)."""
    preferences = request.headers.get("Prefer", "")  # repeated headers arrive joined by commas
    return any(part.split(";")[0].strip().lower() == "respond-async" for part in preferences.split(","))


def accepted(job: Job, request) -> Response:
    """`202 Accepted`: the job, where to follow it, and that the preference was applied."""
    location = reverse("job-detail", kwargs={"pk": job.pk}).rstrip("/") + "/"
    response = Response(JobSerializer(job, context={"request": request}).data, status=202)
    response["Location"] = request.build_absolute_uri(location)
    response["Preference-Applied"] = "respond-async"
    return response


def error_body_for(exc: BaseException) -> dict:
    """The error body the API answers for `exc` (a job keeps it as its `error`)."""
    from workshop.api.exceptions import handle_exception

    return handle_exception(exc).data


def queued_example(kind: str) -> OpenApiExample:
    """The OpenAPI example of a `202` answer: a job of `kind`, just queued."""
    return OpenApiExample(
        "Queued (Prefer: respond-async)",
        value={
            **JobSerializer.schema_example,
            "kind": kind,
            "status": "queued",
            "progress": {"done": 0, "total": None},
            "started_at": None,
        },
        response_only=True,
        status_codes=["202"],
    )
