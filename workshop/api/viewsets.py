"""The base ViewSets: atomic writes, `created_by`, and the spec's delete answer."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from workshop.api.serializers import MessageSerializer
from workshop.history.api import HistoryMixin

LOCKING_ACTIONS = frozenset({"update", "partial_update", "destroy"})


class ApiViewMixin:
    """Attributes every API view may set (also from `@action(...)` keyword arguments)."""

    # Permissions an extra action needs instead of the method's model permission.
    required_perms: list[str] | None = None
    # Error responses the schema lists beyond those the method implies.
    extra_error_codes: tuple[str, ...] = ()

    def get_queryset(self):
        """For a change or a delete, the record is read with its row locked (`SELECT … FOR
        UPDATE`, in the request's transaction): two requests on one record take turns. So a
        PATCH racing a DELETE finds the record gone (404) instead of writing it back, and two
        PATCHes of different fields both keep their change (the second reads the first's)."""
        queryset = super().get_queryset()
        if getattr(self, "action", None) in LOCKING_ACTIONS and transaction.get_connection().in_atomic_block:
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_required_perms(self) -> list[str] | None:
        """The permissions this request's action needs, when not the method's model
        permission (mixins for shared actions override this and call super())."""
        return self.required_perms


class DestroyWithMessageMixin(mixins.DestroyModelMixin):
    """`DELETE` answers `200 {"message": "<Resource> deleted successfully"}`; a record
    with dependents raises ProtectedError, which the error handler turns into 409."""

    @extend_schema(responses={200: MessageSerializer})
    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        message = f"{str(instance._meta.verbose_name).capitalize()} deleted successfully"
        self.perform_destroy(instance)
        return Response({"message": message})


class ModelViewSet(HistoryMixin, ApiViewMixin, DestroyWithMessageMixin, viewsets.ModelViewSet):
    """CRUD over one model. Subclasses set queryset, serializer_class, filterset_class,
    search_fields and ordering_fields; writes that do more than save one row go through
    the app's services by overriding perform_create / perform_update."""

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)


class ReadUpdateDeleteViewSet(
    HistoryMixin,
    ApiViewMixin,
    DestroyWithMessageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Records made by other operations (imports): no POST."""

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)


class ReadDeleteViewSet(
    HistoryMixin,
    ApiViewMixin,
    DestroyWithMessageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Records made by uploads: no POST, PUT or PATCH."""


class ReadOnlyViewSet(HistoryMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """A ledger (stock movements): list and retrieve only."""
