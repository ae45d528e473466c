from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workshop.api.fields import JSONObjectField
from workshop.api.serializers import ModelSerializer
from workshop.jobs.models import Job


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Rows (or items) done so far.")
    total = serializers.IntegerField(allow_null=True, help_text="How many in all, when known.")


class JobSerializer(ModelSerializer):
    """A background job as its clients see it. `progress` is live while it runs; `result`
    says what it made (`{"import_id": 7}`, or an export's file and download link); `error` is
    the API's error body for what ended it."""

    schema_example = {
        "id": 12,
        "kind": "import",
        "status": "running",
        "progress": {"done": 42000, "total": 100000},
        "result": None,
        "error": None,
        "created_by": 2,
        "created_at": "2025-11-25T09:30:00Z",
        "started_at": "2025-11-25T09:30:01Z",
        "finished_at": None,
    }

    progress = serializers.SerializerMethodField()
    result = JSONObjectField(
        read_only=True, allow_null=True, help_text="What the finished job made (null until it succeeds)."
    )
    error = JSONObjectField(
        read_only=True, allow_null=True, help_text="The API's error body for what ended it, or null."
    )

    class Meta:
        model = Job
        fields = [
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
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job: Job) -> dict:
        live = self.context.get("live_progress", {}).get(job.pk)
        if live is not None:
            return {"done": live["done"], "total": live["total"]}
        return {"done": job.progress_done, "total": job.progress_total}
