from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from staff import qualifications
from staff import welding_choices as welding
from staff import welding_rules as rules
from staff.models import (
    CertificationStatus,
    Employee,
    EventKind,
    QualificationEvent,
    WelderQualification,
    certification_status_q,
)
from workshop.api.exceptions import UnprocessableEntity
from workshop.api.filters import (
    BaseFilterSet,
    ChoiceListFilter,
    LenientDateFilter,
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

    as_of = LenientDateFilter(
        method="filter_as_of", label="The day qualification_status answers for (default today)."
    )
    qualification_status = ChoiceListFilter(
        choices=welding.WelderStatus.choices, method="filter_qualification_status"
    )

    class Meta:
        model = Employee
        fields = ["role", "certification_status", "as_of", "qualification_status"]

    def filter_as_of(self, queryset, name, value):
        return queryset

    def filter_qualification_status(self, queryset, name, value):
        """The welder status as of `as_of`, worked out in bulk (three queries) for the
        employees the other filters kept."""
        if not value:
            return queryset
        on = self.form.cleaned_data.get("as_of") or timezone.localdate()
        found = qualifications.statuses_by_employee(queryset.order_by().values("id"), on=on)
        wanted = set(value)
        if welding.WelderStatus.NONE in wanted:
            # Employees without a qualification are "none" too; exclude the others.
            others = [
                pk
                for pk, quals in found.items()
                if welding.welder_status(qualifications.status_of(q) for q in quals) not in wanted
            ]
            return queryset.exclude(pk__in=others)
        keep = [
            pk
            for pk, quals in found.items()
            if welding.welder_status(qualifications.status_of(q) for q in quals) in wanted
        ]
        return queryset.filter(pk__in=keep)

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


# ---------------------------------------------------------------------------- welding (§8)
class AsOfFilter(LenientDateFilter):
    """`as_of=YYYY-MM-DD`: the day computed values answer for (the view reads it); filters
    nothing by itself."""

    def filter(self, qs, value):
        return qs


class WelderQualificationFilter(BaseFilterSet):
    employee = django_filters.CharFilter(field_name="employee__employee_id", lookup_expr="iexact")
    process = ChoiceListFilter(choices=welding.Process.choices, aliases=welding.PROCESS_ALIASES)
    standard = ChoiceListFilter(choices=welding.Standard.choices)
    as_of = AsOfFilter(label="The day the standing answers for (default today).")
    # Computed from the standing as of `as_of`: declared last, so they see the other filters.
    status = ChoiceListFilter(choices=welding.QualificationStatus.choices, method="filter_status")
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring_within",
        min_value=0,
        max_value=36500,
        label="Valid or expiring, with effective_until at most this many days after as_of.",
    )

    class Meta:
        model = WelderQualification
        fields = ["employee", "process", "standard", "as_of", "status", "expiring_within"]

    def _as_of(self):
        return self.form.cleaned_data.get("as_of") or timezone.localdate()

    def _standing_ids(self, queryset, keep) -> list[int]:
        """The ids of `queryset`'s qualifications whose standing as of `as_of` passes `keep`.
        The standings are worked out once per request, in bulk (two queries whatever their
        number), for the rows the other filters kept (`status` and `expiring_within` are
        declared last, so both see the same rows)."""
        if getattr(self, "_standings", None) is None:
            self._standings = qualifications.standings(qualifications.rows_of(queryset), on=self._as_of())
            if self.request is not None:  # the page's serializer takes them rather than work them out again
                self.request.qualification_standings = self._standings
        return [pk for pk, s in self._standings.items() if s is not None and keep(s)]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        wanted = set(value)
        return queryset.filter(pk__in=self._standing_ids(queryset, lambda s: s.status in wanted))

    def filter_expiring_within(self, queryset, name, value):
        if value is None:
            return queryset
        days = int(value)
        if days != value:
            raise UnprocessableEntity({"expiring_within": ["Enter a whole number of days."]})
        return queryset.filter(
            pk__in=self._standing_ids(
                queryset, lambda s: s.status in (rules.VALID, rules.EXPIRING) and s.days_left <= days
            )
        )


class QualificationEventFilter(BaseFilterSet):
    qualification = django_filters.CharFilter(
        field_name="qualification__qualification_id", lookup_expr="iexact"
    )
    kind = ChoiceListFilter(choices=EventKind.choices)

    class Meta:
        model = QualificationEvent
        fields = ["qualification", "kind"]
