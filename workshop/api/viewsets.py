"""The base ViewSets: atomic writes, `created_by`, the spec's delete answer, and conditional
requests (ETags, `If-None-Match`, `If-Match`: workshop/api/conditional.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from workshop.api import conditional
from workshop.api.exceptions import PreconditionFailed, PreconditionRequired
from workshop.api.serializers import MessageSerializer
from workshop.history.api import HistoryMixin

LOCKING_ACTIONS = frozenset({"update", "partial_update", "destroy"})
# Responses a 304 does not repeat (it has no body).
BODY_HEADERS = frozenset({"content-type", "content-length"})


class ApiViewMixin:
    """Attributes every API view may set (also from `@action(...)` keyword arguments)."""

    # Permissions an extra action needs instead of the method's model permission.
    required_perms: list[str] | None = None
    # Error responses the schema lists beyond those the method implies.
    extra_error_codes: tuple[str, ...] = ()
    # A write on a record (PUT/PATCH/DELETE, a POST action on it) takes If-Match and runs in
    # one transaction with the row locked. An action that does not change the record it is
    # routed under (a template's upload creates an import) sets `@action(conditional=False)`.
    conditional: bool = True
    # The record this request read (get_object), whose ETag a write answers.
    etag_record: Any = None

    def dispatch(self, request, *args, **kwargs):
        """A conditional action on a record (`If-Match` sent, or required) runs whole in one
        transaction: the row locked, `If-Match` compared, the write, and the new ETag read
        back — of two clients with the same tag one wins and the other gets 412, nothing
        written. An error answer rolls it all back. Changes and deletes need no wrapping:
        their own transaction (update, destroy) locks, compares and writes, and their answer's
        body is the record they wrote, whose hash is the new tag."""
        if not self._conditional_action(request):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if getattr(response, "exception", False):
                transaction.set_rollback(True)
            return response

    def _conditional_action(self, request) -> bool:
        action = (getattr(self, "action_map", None) or {}).get(request.method.lower())
        return (
            action not in LOCKING_ACTIONS
            and conditional.is_record_write(self, request.method)
            and ("If-Match" in request.headers or conditional.if_match_required())
        )

    def get_queryset(self):
        """For a change or a delete, the record is read with its row locked (`SELECT … FOR
        UPDATE`, in the request's transaction): two requests on one record take turns. So a
        PATCH racing a DELETE finds the record gone (404) instead of writing it back, and two
        PATCHes of different fields both keep their change (the second reads the first's).
        A POST action on a record locks it too when it runs in a transaction (always when it
        is conditional: the If-Match check and the write are atomic)."""
        queryset = super().get_queryset()
        if self._locks_row() and transaction.get_connection().in_atomic_block:
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def _locks_row(self) -> bool:
        if getattr(self, "action", None) in LOCKING_ACTIONS:
            return True
        request = getattr(self, "request", None)
        return request is not None and conditional.is_record_write(self, request.method)

    def get_object(self):
        """The record, checked against `If-Match` on a write (after the lock, before any
        change): 412 with the current ETag when it names another state; 428 when it is
        missing and `REQUIRE_IF_MATCH` is on."""
        instance = super().get_object()
        self.etag_record = instance
        if conditional.is_record_write(self, self.request.method):
            header = self.request.headers.get("If-Match")
            if header is None:
                if conditional.if_match_required():
                    raise PreconditionRequired()
            elif header.strip() != "*":  # `*`: the record exists, which get_object just showed
                current = self.record_etag(instance, reread=self.action not in LOCKING_ACTIONS)
                if current is None or not conditional.match_hits(header, current):
                    raise PreconditionFailed(current or "")
        return instance

    # ------------------------------------------------------------------ ETags
    def etag_representation(self, instance) -> Any:
        """The record as a GET of it answers, every field (`fields=` ignored): what its ETag
        hashes. A view whose representation needs more context overrides this."""
        context = {**self.get_serializer_context(), conditional.ALL_FIELDS: True}
        return self.get_serializer(instance, context=context).data

    def _retrieve_view(self):
        """This resource's detail view for the same request: its queryset and serializer, not
        those an action swaps in (`@action(serializer_class=…)`)."""
        return type(self)(
            request=self.request,
            args=self.args,
            kwargs=self.kwargs,
            format_kwarg=getattr(self, "format_kwarg", None),
            action="retrieve",
            action_map={"get": "retrieve"},
            detail=True,
            conditional=False,  # reads only: no second lock, no precondition
        )

    def record_etag(self, instance, *, reread: bool) -> str | None:
        """The ETag of `instance` as a GET would answer it now; `reread` loads it again through
        the detail view's queryset (after a write, or for an action with its own queryset).
        None when the detail view cannot see it (deleted)."""
        view = self._retrieve_view()
        if reread:
            try:
                instance = view.get_queryset().get(pk=instance.pk)
            except ObjectDoesNotExist:
                return None
        return conditional.tag_of(view.etag_representation(instance))

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and 200 <= response.status_code < 300:
            response = self._with_etag(request, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def _with_etag(self, request, response: Response) -> Response:
        method = request.method
        action = getattr(self, "action", None)
        if method in ("GET", "HEAD"):
            if action == "retrieve" and self.etag_record is not None:
                if "fields" in request.query_params:
                    tag = conditional.tag_of(self.etag_representation(self.etag_record))
                else:
                    tag = conditional.tag_of(response.data)
            elif action == "list" and response.data is not None and conditional.list_etags_enabled():
                tag = conditional.tag_of(response.data, canonical=False)
            else:
                return response
            if conditional.none_match_hits(request.headers.get("If-None-Match"), tag):
                return self._not_modified(response, tag)
            response["ETag"] = tag
        elif (
            method != "DELETE" and self.etag_record is not None and conditional.is_record_write(self, method)
        ):
            if action in LOCKING_ACTIONS:
                # The body is the written record as a GET answers it (every field: `fields=`
                # applies to GETs only), serialized in the write's transaction.
                tag = conditional.tag_of(response.data)
            else:
                # An action answers something else: the record is read again (in the
                # action's transaction when it was conditional).
                tag = self.record_etag(self.etag_record, reread=True)
            if tag is not None:
                response["ETag"] = tag
        return response

    @staticmethod
    def _not_modified(response: Response, tag: str) -> Response:
        """304: no body, the tag and the answer's other headers kept."""
        not_modified = Response(status=304)
        for name, value in response.items():
            if name.lower() not in BODY_HEADERS:
                not_modified[name] = value
        not_modified["ETag"] = tag
        return not_modified

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
