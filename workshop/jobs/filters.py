from workshop.api.filters import BaseFilterSet, ChoiceListFilter
from workshop.jobs.models import Job, JobKind, JobStatus


class JobFilter(BaseFilterSet):
    status = ChoiceListFilter(choices=JobStatus.choices)
    kind = ChoiceListFilter(choices=JobKind.choices)

    class Meta:
        model = Job
        fields = ["status", "kind"]
