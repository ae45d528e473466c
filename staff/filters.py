from django.contrib.auth import get_user_model
from django.db.models import Q

from staff.models import CertificationStatus, Employee, certification_status_q
from workshop.api.filters import (
    BaseFilterSet,
    ChoiceListFilter,
    LocalDayFilter,
    StrictBooleanFilter,
    django_filters,
)
from workshop.roles import ADMIN, ROLES


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


class UserFilter(BaseFilterSet):
    role = ChoiceListFilter(choices=[(r, r) for r in ROLES], method="filter_role")
    is_active = StrictBooleanFilter()

    class Meta:
        model = get_user_model()
        fields = ["role", "is_active"]

    # Users have date_joined rather than created_at.
    created_from = LocalDayFilter(field_name="date_joined", bound="from", label="Joined on or after (date)")
    created_to = LocalDayFilter(field_name="date_joined", bound="to", label="Joined on or before (date)")

    def filter_role(self, queryset, name, value):
        query = Q(groups__name__in=value)
        if ADMIN in value:
            query |= Q(is_superuser=True)
        return queryset.filter(query).distinct()
