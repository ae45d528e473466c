from django.db.models import Q

from staff.models import CertificationStatus, Employee, certification_status_q
from workshop.api.filters import BaseFilterSet, ChoiceListFilter, django_filters


class EmployeeFilter(BaseFilterSet):
    role = django_filters.CharFilter(lookup_expr="iexact")
    certification_status = ChoiceListFilter(
        choices=CertificationStatus.choices, method="filter_certification_status"
    )

    class Meta:
        model = Employee
        fields = ["role", "certification_status"]

    def filter_certification_status(self, queryset, name, value):
        query = Q()
        for status in value:
            query |= certification_status_q(status)
        return queryset.filter(query)
