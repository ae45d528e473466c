from workshop.api.filters import BaseFilterSet, StrictBooleanFilter
from workshop.webhooks.models import Endpoint


class EndpointFilter(BaseFilterSet):
    active = StrictBooleanFilter(field_name="active")

    class Meta:
        model = Endpoint
        fields = ["active"]
