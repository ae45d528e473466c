from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from staff.models import CertificationStatus, Employee
from workshop.api.fields import LenientChoiceField, PrimaryKeyRelatedField, SlugRelatedField
from workshop.api.serializers import ModelSerializer
from workshop.roles import ROLES, user_role


class EmployeeSerializer(ModelSerializer):
    certification_status = serializers.ChoiceField(choices=CertificationStatus.choices, read_only=True)
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
            "user",
            "created_at",
            "updated_at",
            "created_by",
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
