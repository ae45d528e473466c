import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import UniqueValidator

from staff import qualifications
from staff import welding_choices as welding
from staff import welding_rules as rules
from staff.models import CertificationStatus, Employee, QualificationEvent, WelderQualification
from workshop.api.fields import (
    ChoiceListField,
    LenientChoiceField,
    LenientDateField,
    PrimaryKeyRelatedField,
    SlugRelatedField,
    TextField,
)
from workshop.api.serializers import ModelSerializer, Serializer
from workshop.roles import ROLES, user_role


class QualificationSummarySerializer(serializers.Serializer):
    qualification_id = serializers.CharField()
    process = serializers.CharField()
    status = serializers.ChoiceField(choices=welding.QualificationStatus.choices, allow_null=True)
    effective_until = serializers.DateField(allow_null=True)


class NullIfBlankTextField(TextField):
    """Text where blank means none: `""` (or only spaces) is stored as null, so that several
    records may have none of a unique value (an employee's `stamp`)."""

    def run_validation(self, data=empty):
        if isinstance(data, str) and not data.strip():
            data = None
        return super().run_validation(data)


class EmployeeListSerializer(serializers.ListSerializer):
    """A page of employees: their qualifications' standings worked out in bulk."""

    def to_representation(self, data):
        employees = list(data.all() if hasattr(data, "all") else data)
        _attach_qualifications([e for e in employees if not hasattr(e, "welding")], self.context)
        return super().to_representation(employees)


def _attach_qualifications(employees, context) -> None:
    """Sets `.welding` (their qualifications, each with `.standing` as of `as_of`): three
    queries whatever the number of employees."""
    if not employees:
        return
    found = qualifications.statuses_by_employee([e.pk for e in employees], on=as_of_of(context))
    for employee in employees:
        employee.welding = found.get(employee.pk, [])


class EmployeeSerializer(ModelSerializer):
    certification_status = serializers.ChoiceField(choices=CertificationStatus.choices, read_only=True)
    stamp = NullIfBlankTextField(
        max_length=16,
        required=False,
        allow_null=True,
        validators=[
            UniqueValidator(queryset=Employee.objects.all(), message="Another employee has this stamp.")
        ],
        help_text="The welder's own mark on their welds (unique); empty or null for none.",
    )
    qualification_status = serializers.SerializerMethodField(
        help_text="The best of the employee's qualifications as of `as_of`: qualified, expiring, lapsed or none."
    )
    qualifications = serializers.SerializerMethodField(
        help_text="Each qualification's id, process, status and effective_until as of `as_of`."
    )
    user = PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        validators=[
            UniqueValidator(
                queryset=Employee.objects.all(), message="This user is already linked to another employee."
            )
        ],
    )

    schema_example = {
        "id": 1,
        "employee_id": "EMP-01",
        "name": "John Doe",
        "role": "Senior Welder",
        "certification_expiry": "2026-06-30",
        "certification_status": "valid",
        "stamp": "JD7",
        "qualification_status": "qualified",
        "qualifications": [
            {
                "qualification_id": "ISO-135-01",
                "process": "135",
                "status": "valid",
                "effective_until": "2026-03-01",
            }
        ],
        "user": 3,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_id",
            "name",
            "role",
            "certification_expiry",
            "certification_status",
            "stamp",
            "qualification_status",
            "qualifications",
            "user",
            "created_at",
            "updated_at",
            "created_by",
        ]
        list_serializer_class = EmployeeListSerializer

    def to_representation(self, instance):
        if not hasattr(instance, "welding"):
            _attach_qualifications([instance], self.context)
        return super().to_representation(instance)

    @extend_schema_field(serializers.ChoiceField(choices=welding.WelderStatus.choices))
    def get_qualification_status(self, obj) -> str:
        return welding.welder_status(qualifications.status_of(q) for q in obj.welding)

    @extend_schema_field(QualificationSummarySerializer(many=True))
    def get_qualifications(self, obj) -> list[dict]:
        return [
            {
                "qualification_id": q.qualification_id,
                "process": q.process,
                "status": qualifications.status_of(q),
                "effective_until": q.standing.effective_until.isoformat() if q.standing is not None else None,
            }
            for q in obj.welding
        ]


class UserSerializer(ModelSerializer):
    """A login user (admins only). `password` is write-only and checked by Django's password
    validators; `role` puts the user in exactly one role group."""

    role = LenientChoiceField(choices=ROLES, allow_null=True, required=False)
    employee_id = SlugRelatedField(
        source="employee",
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
        help_text="The linked employee's `employee_id` (e.g. `EMP-01`), or null.",
    )
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"}
    )

    schema_example = {
        "id": 3,
        "username": "jdoe",
        "email": "john.doe@example.com",
        "role": "operator",
        "is_active": True,
        "employee_id": "EMP-01",
        "last_login": "2025-11-25T07:58:12Z",
        "date_joined": "2025-11-20T09:15:00Z",
    }
    schema_request_extra = {"password": "a-long-passphrase-2025"}

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "email",
            "role",
            "is_active",
            "employee_id",
            "password",
            "last_login",
            "date_joined",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and "password" in fields:
            fields["password"].required = False  # a change keeps the password unless one is given
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "role" in data:
            data["role"] = user_role(instance)
        return data

    def validate_employee_id(self, employee):
        if employee is not None and employee.user_id is not None:
            mine = self.instance is not None and employee.user_id == self.instance.pk
            if not mine:
                raise serializers.ValidationError("This employee is linked to another user.", code="unique")
        return employee

    def validate(self, attrs):
        attrs = super().validate(attrs)
        password = attrs.get("password")
        if password:
            candidate = self.instance or get_user_model()(
                username=attrs.get("username", ""), email=attrs.get("email", "")
            )
            try:
                validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class UserUpdateSerializer(UserSerializer):
    """The `PUT` body in the schema: as on create, but `password` may be left out (the user
    keeps theirs; `UserSerializer.get_fields` does the same for a real update)."""

    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=128,
        style={"input_type": "password"},
    )


# ---------------------------------------------------------------------------- welding (§8)
def as_of_of(context) -> dt.date:
    """The day a representation answers for: the view's `as_of` (already checked), else
    today (also with `context={"request": None}`)."""
    day = (context or {}).get("as_of")
    return day or timezone.localdate()


class TextListField(serializers.ListField):
    """A JSON array of short texts (`filler_groups`: FM1, FM2) from the API; a spreadsheet
    cell's comma text (`"FM1, FM2"`, as exports write it) is read as the list by the import.
    Blank parts and repeats are dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", TextField(max_length=16))  # a JSON number is no text
        kwargs.setdefault("allow_empty", True)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        return (
            dictionary.get(self.field_name, empty)
            if hasattr(dictionary, "getlist")
            else super().get_value(dictionary)
        )

    def to_internal_value(self, data):
        if isinstance(data, str) and self.context.get("request") is not None:
            self.fail("not_a_list", input_type=type(data).__name__)  # the API takes a JSON array
        if data is None or (isinstance(data, str) and not data.strip()):
            return []
        if isinstance(data, str):  # a spreadsheet cell
            data = [part.strip() for part in re.split(r"[,;]", data) if part.strip()]
        values = super().to_internal_value(data)
        return list(dict.fromkeys(v.strip() for v in values if v.strip()))


class BlankableChoiceField(LenientChoiceField):
    """A lenient choice where an empty text (or null) means "none given": stored as ""."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None or (isinstance(data, str) and not data.strip()):
            return (True, "")
        return super().validate_empty_values(data)


class StandingListSerializer(serializers.ListSerializer):
    """A page of qualifications: their standings worked out in bulk (constant queries)."""

    def to_representation(self, data):
        quals = list(data.all() if hasattr(data, "all") else data)
        known = self.context.get("standings") or {}  # the `status` filter's, when it ran
        for q in quals:
            if not hasattr(q, "standing") and q.pk in known:
                q.standing = known[q.pk]
        missing = [q for q in quals if not hasattr(q, "standing")]
        if missing:
            qualifications.attach_standings(missing, on=as_of_of(self.context))
        return super().to_representation(quals)


class WelderQualificationSerializer(ModelSerializer):
    """A welder's qualification; `valid_until`, `continuity_due`, `effective_until`, `status` and
    `days_left` are its standing as of `as_of` (R1–R3), never stored."""

    employee = SlugRelatedField(
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        help_text="The welder's `employee_id` (e.g. `EMP-01`).",
    )
    process = LenientChoiceField(choices=welding.Process.choices, aliases=welding.PROCESS_ALIASES)
    product_forms = ChoiceListField(choices=welding.ProductForm.choices, allow_empty=False)
    weld_types = ChoiceListField(choices=welding.WeldType.choices, allow_empty=False)
    positions = ChoiceListField(
        choices=welding.Position.choices, aliases=welding.POSITION_ALIASES, allow_empty=False
    )
    revalidation_method = BlankableChoiceField(
        choices=welding.RevalidationMethod.choices,
        required=False,
        help_text="ISO 9606-1 only (9.3a, 9.3b or 9.3c); empty for ASME IX and AWS D1.1 (a route "
        "given for those is refused).",
    )
    filler_groups = TextListField(required=False)
    test_date = LenientDateField()
    valid_until = serializers.SerializerMethodField()
    continuity_due = serializers.SerializerMethodField()
    effective_until = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()

    schema_example = {
        "id": 1,
        "qualification_id": "ISO-135-01",
        "employee": "EMP-01",
        "standard": "iso_9606_1",
        "designation": "ISO 9606-1 135 P BW FM1 S t10 PF ss nb",
        "process": "135",
        "product_forms": ["P"],
        "weld_types": ["BW", "FW"],
        "filler_groups": ["FM1", "FM2"],
        "positions": ["PA", "PB", "PC", "PF"],
        "thickness_min_mm": 3.0,
        "thickness_max_mm": 20.0,
        "diameter_min_mm": None,
        "diameter_max_mm": None,
        "test_date": "2025-03-10",
        "examiner": "TÜV Nord",
        "revalidation_method": "9.3b",
        "valid_until": "2027-03-10",
        "continuity_due": "2025-09-10",
        "effective_until": "2025-09-10",
        "status": "valid",
        "days_left": 101,
        "created_at": "2025-03-12T09:15:00Z",
        "updated_at": "2025-03-12T09:15:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WelderQualification
        list_serializer_class = StandingListSerializer
        fields = [
            "id",
            "qualification_id",
            "employee",
            "standard",
            "designation",
            "process",
            "product_forms",
            "weld_types",
            "filler_groups",
            "positions",
            "thickness_min_mm",
            "thickness_max_mm",
            "diameter_min_mm",
            "diameter_max_mm",
            "test_date",
            "examiner",
            "revalidation_method",
            "valid_until",
            "continuity_due",
            "effective_until",
            "status",
            "days_left",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def to_representation(self, instance):
        if not hasattr(instance, "standing"):
            qualifications.attach_standings([instance], on=as_of_of(self.context))
        return super().to_representation(instance)

    @staticmethod
    def _standing(obj) -> rules.Standing | None:
        return getattr(obj, "standing", None)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_valid_until(self, obj):
        s = self._standing(obj)
        return s.valid_until.isoformat() if s is not None and s.valid_until else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_continuity_due(self, obj):
        s = self._standing(obj)
        return s.continuity_due.isoformat() if s is not None else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_effective_until(self, obj):
        s = self._standing(obj)
        return s.effective_until.isoformat() if s is not None else None

    @extend_schema_field(
        serializers.ChoiceField(choices=welding.QualificationStatus.choices, allow_null=True)
    )
    def get_status(self, obj):
        s = self._standing(obj)
        return s.status if s is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_left(self, obj):
        s = self._standing(obj)
        return s.days_left if s is not None else None


class QualificationEventSerializer(ModelSerializer):
    """What happened to a qualification (read-only: written by its actions)."""

    qualification = serializers.SlugRelatedField(slug_field="qualification_id", read_only=True)
    by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who recorded it (null: an import by the system, or a deleted user).",
    )
    evidence = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    schema_example = {
        "id": 4,
        "qualification": "ISO-135-01",
        "kind": "confirmation",
        "on_date": "2025-09-01",
        "by": "manager",
        "note": "",
        "evidence": [17, 23],
        "override_reason": "",
        "created_at": "2025-09-01T10:00:00Z",
        "updated_at": "2025-09-01T10:00:00Z",
        "created_by": 2,
    }

    class Meta:
        model = QualificationEvent
        fields = [
            "id",
            "qualification",
            "kind",
            "on_date",
            "by",
            "note",
            "evidence",
            "override_reason",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = fields


OVERRIDE_REASON = {"min_length": 10, "max_length": 500}


class ConfirmSerializer(Serializer):
    schema_example = {
        "confirmed_on": "2025-09-01",
        "override_reason": "Welds on site, log kept on paper",
        "note": "",
    }

    confirmed_on = LenientDateField()
    override_reason = serializers.CharField(required=False, allow_blank=False, **OVERRIDE_REASON)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class BulkConfirmSerializer(ConfirmSerializer):
    schema_example = {
        "qualification_ids": ["ISO-135-01", "ISO-141-03"],
        "confirmed_on": "2025-09-01",
        "note": "Six-monthly review",
    }

    qualification_ids = serializers.ListField(
        child=TextField(max_length=32), allow_empty=False, max_length=1000
    )


class RevalidateSerializer(Serializer):
    schema_example = {"revalidated_on": "2027-02-01", "note": ""}

    revalidated_on = LenientDateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RenewSerializer(Serializer):
    schema_example = {"test_date": "2026-12-10", "note": "Retest, QW-322.2(a)"}

    test_date = LenientDateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RevokeSerializer(Serializer):
    schema_example = {"reason": "Failed the bend test", "revoked_on": "2026-01-05"}

    reason = serializers.CharField(max_length=2000)
    revoked_on = LenientDateField(required=False, help_text="Default: today.")


class QualificationActionResultSerializer(serializers.Serializer):
    qualification = WelderQualificationSerializer()
    event = QualificationEventSerializer()

    schema_example = {
        "qualification": {
            **WelderQualificationSerializer.schema_example,
            "continuity_due": "2026-03-01",
            "effective_until": "2026-03-01",
            "days_left": 181,
        },
        "event": QualificationEventSerializer.schema_example,
    }


class BulkConfirmResultSerializer(serializers.Serializer):
    qualifications = WelderQualificationSerializer(many=True)
    events = QualificationEventSerializer(many=True)

    schema_example = {
        "qualifications": [QualificationActionResultSerializer.schema_example["qualification"]],
        "events": [QualificationEventSerializer.schema_example],
    }


class ContinuityEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    welded_on = serializers.DateField()
    weld = serializers.CharField(allow_null=True)
    process = serializers.CharField()


class ContinuityConfirmationSerializer(serializers.Serializer):
    kind = serializers.CharField()
    on_date = serializers.DateField()
    evidence = serializers.ListField(child=serializers.IntegerField())
    override_reason = serializers.CharField(allow_blank=True)


class ContinuitySerializer(serializers.Serializer):
    """ISO 9606-1: `evidence` lists the confirmations and revalidations ({kind, on_date,
    override_reason, entries}); ASME/AWS: the weld-log entries of the chain."""

    schema_example = {
        "qualification": "ASME-135-02",
        "as_of": "2026-06-01",
        "anchor": "2026-05-01",
        "continuity_due": "2026-11-01",
        "status": "valid",
        "evidence": [
            {"id": 41, "welded_on": "2026-03-01", "weld": "WO-1000-W01", "process": "135"},
            {"id": 57, "welded_on": "2026-05-01", "weld": "WO-1002-W03", "process": "135"},
        ],
    }

    qualification = serializers.CharField()
    as_of = serializers.DateField()
    anchor = serializers.DateField()
    continuity_due = serializers.DateField()
    status = serializers.CharField(allow_null=True)
    evidence = serializers.ListField(child=serializers.DictField())
