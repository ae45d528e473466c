from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from staff.filters import EmployeeFilter, QualificationEventFilter, UserFilter, WelderQualificationFilter
from staff.models import Employee, QualificationEvent, WelderQualification
from staff.qualifications import continuity_of
from staff.serializers import (
    BulkConfirmResultSerializer,
    BulkConfirmSerializer,
    ConfirmSerializer,
    ContinuitySerializer,
    EmployeeSerializer,
    QualificationActionResultSerializer,
    QualificationEventSerializer,
    RenewSerializer,
    RevalidateSerializer,
    RevokeSerializer,
    UserSerializer,
    UserUpdateSerializer,
    WelderQualificationSerializer,
)
from staff.services import (
    qualification_confirm,
    qualification_confirm_many,
    qualification_renew,
    qualification_revalidate,
    qualification_revoke,
    user_create,
    user_delete,
    user_update,
)
from workshop.api.filters import parse_as_of
from workshop.api.serializers import ErrorSerializer, MessageSerializer
from workshop.api.viewsets import ModelViewSet, ReadOnlyViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin
from workshop.roles import ADMIN, user_role

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="The day the standing answers for (default today)."
)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]),
    retrieve=extend_schema(parameters=[AS_OF]),
)
class EmployeeViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welders and other staff, with their certification."""

    excel_resource = "employees"

    queryset = Employee.objects.all()
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["employee_id", "name", "role"]
    ordering_fields = [
        "employee_id",
        "name",
        "role",
        "stamp",
        "certification_expiry",
        "created_at",
        "updated_at",
    ]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = parse_as_of(self.request)
        return context


@extend_schema_view(update=extend_schema(request=UserUpdateSerializer))
class UserViewSet(ModelViewSet):
    """Login users and their roles (admins only: the `auth.*_user` permissions)."""

    queryset = get_user_model().objects.select_related("employee").prefetch_related("groups")
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "email", "employee__employee_id", "employee__name"]
    ordering_fields = ["username", "email", "is_active", "last_login", "date_joined"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = user_create(
            username=data["username"],
            password=data["password"],
            role=data.get("role"),
            email=data.get("email", ""),
            is_active=data.get("is_active", True),
            employee=data.get("employee"),
        )

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        self._recheck_actor(request.user, kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: MessageSerializer})
    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        self._recheck_actor(request.user, kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        return super().destroy(request, *args, **kwargs)

    def _recheck_actor(self, actor, target_pk) -> None:
        """Locks the acting admin's row and the target's (in id order: no deadlock) and reads
        the actor's role again: two admins demoting or deactivating each other at once take
        turns, and the second is refused (403) as they would be one after the other."""
        ids = sorted({actor.pk, *([int(target_pk)] if str(target_pk).isdigit() else [])})
        locked = {
            user.pk: user
            for user in get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        fresh = locked.get(actor.pk)
        if fresh is None or not fresh.is_active or user_role(fresh) != ADMIN:
            raise PermissionDenied("Your role may not do this.")

    def perform_update(self, serializer):
        serializer.instance = user_update(
            user=serializer.instance, actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        user_delete(user=instance, actor=self.request.user)


# ---------------------------------------------------------------------------- welding (§8)
def _error(description: str, code: str, detail: str, field: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(
                code,
                value={
                    "detail": f"{field}: {detail}",
                    "error_code": code,
                    "timestamp": "2025-09-15T09:30:00Z",
                    "request_id": "0b5c8f0e3a5d4c1e",
                    "errors": {field: [detail]},
                },
            )
        ],
    )


LAPSED_409 = _error(
    "Refused by the rules' state (`QUALIFICATION_LAPSED`, `QUALIFICATION_REVOKED`); nothing recorded.",
    "QUALIFICATION_LAPSED",
    "Must be after 2025-03-10 and on or before the due date 2025-09-10.",
    "confirmed_on",
)
ACTION_422 = _error(
    "Invalid values or missing evidence (`VALIDATION_ERROR`, `CONTINUITY_EVIDENCE_MISSING`, "
    "`REVALIDATION_EVIDENCE_MISSING`); nothing recorded.",
    "CONTINUITY_EVIDENCE_MISSING",
    "No weld-log entry in process 135 from 2025-03-11 to 2025-09-01.",
    "confirmed_on",
)
MANAGE = ["staff.manage_welderqualification"]


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]),
    retrieve=extend_schema(parameters=[AS_OF]),
)
class WelderQualificationViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welders' qualifications (ISO 9606-1, ASME IX, AWS D1.1) with their standing as of
    `as_of` (R1–R3): `valid_until`, `continuity_due`, `effective_until`, `status`, `days_left`.
    The actions (confirm, revalidate, renew, revoke; managers and admins) record
    qualification events and answer `201 {qualification, event}`: the qualification as it
    stands on the action's day, and the event recorded."""

    excel_resource = "qualifications"
    lookup_value_regex = "[0-9]+"

    queryset = WelderQualification.objects.select_related("employee")
    serializer_class = WelderQualificationSerializer
    filterset_class = WelderQualificationFilter
    search_fields = ["qualification_id", "designation", "employee__employee_id", "employee__name", "examiner"]
    ordering_fields = {
        "qualification_id": "qualification_id",
        "employee": "employee__employee_id",
        "standard": "standard",
        "process": "process",
        "test_date": "test_date",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = parse_as_of(self.request)
        if getattr(self, "action", None) == "list":
            # The `status`/`expiring_within` filters worked out every standing as of the same day.
            context["standings"] = getattr(self.request, "qualification_standings", None)
        return context

    def _answer(self, event, on) -> Response:
        q = WelderQualification.objects.select_related("employee").get(pk=event.qualification_id)
        context = {**self.get_serializer_context(), "as_of": on}
        return Response(
            {
                "qualification": WelderQualificationSerializer(q, context=context).data,
                "event": QualificationEventSerializer(event, context=context).data,
            },
            status=201,
        )

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Confirm a qualification (ISO 9606-1 §9.2)",
        description="Records a confirmation on `confirmed_on`, which must fall in (anchor, due]. "
        "Its evidence is the welder's weld-log entries in the process since the anchor (not "
        "overridden); without any, `override_reason` (10–500 characters) saves it anyway. "
        "Answers `201 {qualification, event}`, the qualification as of `confirmed_on`.",
        request=ConfirmSerializer,
        responses={201: QualificationActionResultSerializer, 409: LAPSED_409, 422: ACTION_422},
    )
    @action(detail=True, methods=["post"], required_perms=MANAGE)
    def confirm(self, request, pk=None):
        data = self._input(ConfirmSerializer)
        event = qualification_confirm(
            qualification=self.get_object(),
            confirmed_on=data["confirmed_on"],
            user=request.user,
            override_reason=data.get("override_reason", ""),
            note=data.get("note", ""),
        )
        return self._answer(event, data["confirmed_on"])

    @extend_schema(
        summary="Confirm several qualifications (all or nothing)",
        operation_id="api_v1_qualifications_confirm_many",
        description="R4 for every qualification in `qualification_ids` (their "
        "`qualification_id`s) on `confirmed_on`; the first refusal names its qualification and "
        "nothing is recorded. Answers `201 {qualifications, events}`.",
        request=BulkConfirmSerializer,
        responses={201: BulkConfirmResultSerializer, 409: LAPSED_409, 422: ACTION_422},
    )
    @action(detail=False, methods=["post"], url_path="confirm", required_perms=MANAGE)
    def confirm_many(self, request):
        data = self._input(BulkConfirmSerializer)
        events = qualification_confirm_many(
            qualification_ids=data["qualification_ids"],
            confirmed_on=data["confirmed_on"],
            user=request.user,
            override_reason=data.get("override_reason", ""),
            note=data.get("note", ""),
        )
        quals = list(
            WelderQualification.objects.select_related("employee").filter(
                pk__in=[e.qualification_id for e in events]
            )
        )
        context = {**self.get_serializer_context(), "as_of": data["confirmed_on"]}
        return Response(
            {
                "qualifications": WelderQualificationSerializer(quals, many=True, context=context).data,
                "events": QualificationEventSerializer(events, many=True, context=context).data,
            },
            status=201,
        )

    @extend_schema(
        summary="Revalidate a qualification (ISO 9606-1 §9.3b)",
        description="On `revalidated_on`, in the last 6 months of validity, with two welds in "
        "the process that passed RT or UT: `valid_until` + 24 months. Counts as a confirmation.",
        request=RevalidateSerializer,
        responses={201: QualificationActionResultSerializer, 409: LAPSED_409, 422: ACTION_422},
    )
    @action(detail=True, methods=["post"], required_perms=MANAGE)
    def revalidate(self, request, pk=None):
        data = self._input(RevalidateSerializer)
        event = qualification_revalidate(
            qualification=self.get_object(),
            revalidated_on=data["revalidated_on"],
            user=request.user,
            note=data.get("note", ""),
        )
        return self._answer(event, data["revalidated_on"])

    @extend_schema(
        summary="Renew a qualification (ASME IX QW-322.2(a), AWS D1.1)",
        description="A new test on `test_date` restarts the continuity chain.",
        request=RenewSerializer,
        responses={201: QualificationActionResultSerializer, 409: LAPSED_409, 422: ACTION_422},
    )
    @action(detail=True, methods=["post"], required_perms=MANAGE)
    def renew(self, request, pk=None):
        data = self._input(RenewSerializer)
        event = qualification_renew(
            qualification=self.get_object(),
            test_date=data["test_date"],
            user=request.user,
            note=data.get("note", ""),
        )
        return self._answer(event, data["test_date"])

    @extend_schema(
        summary="Revoke a qualification (irreversible)",
        description="Revoked from `revoked_on` (default today) for `reason`; a second "
        "revocation is `409 QUALIFICATION_REVOKED`.",
        request=RevokeSerializer,
        responses={201: QualificationActionResultSerializer, 409: LAPSED_409, 422: ACTION_422},
    )
    @action(detail=True, methods=["post"], required_perms=MANAGE)
    def revoke(self, request, pk=None):
        data = self._input(RevokeSerializer)
        event = qualification_revoke(
            qualification=self.get_object(),
            reason=data["reason"],
            revoked_on=data.get("revoked_on"),
            user=request.user,
        )
        return self._answer(event, event.on_date)

    @extend_schema(
        summary="A qualification's continuity as of a day",
        description="`anchor` and `continuity_due` as of `as_of` (R3), and the evidence: for "
        "ASME/AWS, the weld-log entries of the chain since the last test or renewal; for ISO "
        "9606-1, the confirmations and revalidations with the entries they rest on.",
        parameters=[AS_OF],
        responses={200: ContinuitySerializer},
    )
    @action(detail=True, methods=["get"])
    def continuity(self, request, pk=None):
        q = self.get_object()
        return Response(continuity_of(q, on=parse_as_of(request)))


class QualificationEventViewSet(ReadOnlyViewSet):
    """What happened to each qualification (confirmations, revalidations, renewals,
    revocations): written by the qualifications' actions only."""

    queryset = QualificationEvent.objects.select_related("qualification", "by")
    serializer_class = QualificationEventSerializer
    filterset_class = QualificationEventFilter
    search_fields = ["qualification__qualification_id", "note", "override_reason"]
    ordering_fields = ["on_date", "kind", "created_at", "updated_at"]
