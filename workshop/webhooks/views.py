"""`/api/v1/webhooks/`: webhook endpoints (admins only), their deliveries, ping, redeliver
and rotate-secret (SPEC §7, docs/webhooks.md)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from workshop.api.exceptions import UnprocessableEntity
from workshop.api.filters import reject_repeated
from workshop.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGINATION_PARAMS, EnvelopePagination
from workshop.api.viewsets import ModelViewSet
from workshop.errors import NotFound
from workshop.webhooks import selectors, services
from workshop.webhooks.filters import EndpointFilter
from workshop.webhooks.models import Endpoint
from workshop.webhooks.serializers import DeliverySerializer, EndpointSerializer, EndpointWithSecretSerializer

CHANGE = ["webhooks.change_endpoint"]
VIEW = ["webhooks.view_endpoint"]

PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, description="Page number, from 1 (default 1)."
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
    OpenApiParameter(
        "skip", {"type": "integer", "minimum": 0}, description="Rows to skip (instead of page)."
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description="Rows per page (as page_size).",
    ),
]
DELIVERY_ID = OpenApiParameter("delivery_id", int, OpenApiParameter.PATH, description="The delivery's id.")


@extend_schema_view(
    create=extend_schema(
        description="Creates an endpoint. The answer carries its signing `secret` (`whsec_…`): the only time "
        "it is shown (rotate-secret makes a new one).",
        responses={201: EndpointWithSecretSerializer},
    ),
)
class EndpointViewSet(ModelViewSet):
    """Webhook endpoints: where events are POSTed, signed per Standard Webhooks."""

    queryset = Endpoint.objects.all()
    serializer_class = EndpointSerializer
    live_events = False  # no events about the endpoints themselves
    filterset_class = EndpointFilter
    search_fields = ["url", "description"]
    ordering_fields = ["url", "active", "created_at", "updated_at"]

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(**serializer.validated_data, created_by=request.user)
        body = EndpointWithSecretSerializer(endpoint, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.endpoint_update(
            endpoint=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        summary="Rotate an endpoint's secret",
        description="A new signing secret, in force at once (the old one signs nothing more); the answer "
        "is the only time it is shown.",
        request=None,
        responses={200: EndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", required_perms=CHANGE)
    def rotate_secret(self, request, pk=None):
        with transaction.atomic():
            endpoint = services.endpoint_rotate_secret(endpoint=self._locked())
        return Response(EndpointWithSecretSerializer(endpoint, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Send a test event to an endpoint",
        description="Queues a `webhook.ping` event to this endpoint alone (whatever events it subscribes "
        "to) and answers its delivery at once; it is sent in the background like every event. An "
        "inactive endpoint is a 409.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"], url_path="ping", required_perms=CHANGE)
    def ping(self, request, pk=None):
        message = services.endpoint_ping(endpoint=self.get_object())
        return Response(DeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="An endpoint's deliveries",
        description="Every event sent (or being sent) to this endpoint, newest first, with each attempt: "
        "the status answered, how long it took, the first 1 KB of the answer, or the error.",
        filters=False,
        parameters=PAGE_PARAMETERS,
        responses={200: DeliverySerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="deliveries",
        pagination_class=EnvelopePagination,
        filterset_class=None,
        required_perms=VIEW,
    )
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        unknown = sorted(set(request.query_params) - set(PAGINATION_PARAMS))
        if unknown:
            allowed = ", ".join(PAGINATION_PARAMS)
            raise UnprocessableEntity(
                {name: [f"Unknown query parameter. Allowed: {allowed}."] for name in unknown}
            )
        reject_repeated(request.query_params)
        page = self.paginate_queryset(selectors.endpoint_deliveries(endpoint))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery again",
        description="A new delivery of the same message — the same body and the same `webhook-id` (a "
        "receiver that keeps the ids it processed sees it is the same message) — tried afresh. "
        "A delivery still being tried, or an inactive endpoint, is a 409.",
        request=None,
        parameters=[DELIVERY_ID],
        responses={202: DeliverySerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/redeliver",
        required_perms=CHANGE,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        message = endpoint.messages.filter(pk=int(delivery_id)).first()
        if message is None:
            raise NotFound("No such delivery of this endpoint.")
        copy = services.message_redeliver(message=message)
        return Response(DeliverySerializer(copy).data, status=status.HTTP_202_ACCEPTED)

    def _locked(self) -> Endpoint:
        endpoint = self.get_object()
        return Endpoint.objects.select_for_update().get(pk=endpoint.pk)
