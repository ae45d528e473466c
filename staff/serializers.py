from django.contrib.auth import get_user_model
from rest_framework import serializers

from staff.models import CertificationStatus, Employee
from workshop.api.serializers import ModelSerializer


class EmployeeSerializer(ModelSerializer):
    certification_status = serializers.ChoiceField(choices=CertificationStatus.choices, read_only=True)
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), allow_null=True, required=False
    )

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
