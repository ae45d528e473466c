"""OpenAPI generation: every operation gets a summary and its error responses."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

from workshop.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "The body is not parseable JSON or multipart (`BAD_REQUEST`).",
    "401": "No, bad, expired or revoked credentials (`UNAUTHORIZED`).",
    "403": "Authenticated, but the role may not do this (`FORBIDDEN`).",
    "404": "No such record (`NOT_FOUND`).",
    "409": "A business key already exists (`DUPLICATE_RESOURCE`) or the current state "
    "forbids it, e.g. dependents block a delete (`CONFLICT`).",
    "413": "The body or upload is over its limit (`PAYLOAD_TOO_LARGE`).",
    "415": "The upload is not a real Excel file (`UNSUPPORTED_MEDIA_TYPE`).",
    "422": "Invalid values in the body or the query (`VALIDATION_ERROR`), with `errors`.",
    "429": "Too many requests (`RATE_LIMITED`); see `Retry-After`.",
    "503": "The database or storage is unreachable (`SERVICE_UNAVAILABLE`).",
}

ACTION_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {singular}",
    "retrieve": "Get {a} {singular}",
    "update": "Replace {a} {singular}",
    "partial_update": "Update part of {a} {singular}",
    "destroy": "Delete {a} {singular}",
}


class AutoSchema(SpectacularAutoSchema):
    def _model_names(self) -> tuple[str, str] | None:
        queryset = getattr(self.view, "queryset", None)
        if queryset is None:
            return None
        meta = queryset.model._meta
        return str(meta.verbose_name), str(meta.verbose_name_plural)

    def get_summary(self):
        summary = super().get_summary()
        if summary:
            return summary
        action = getattr(self.view, "action", None)
        names = self._model_names()
        if names and action in ACTION_SUMMARIES:
            article = "an" if names[0][:1].lower() in "aeiou" else "a"
            return ACTION_SUMMARIES[action].format(singular=names[0], plural=names[1], a=article)
        if action:
            return action.replace("_", " ").capitalize()
        return None

    def error_codes(self) -> list[str]:
        """The error responses this operation can give."""
        codes = ["429", "503"]
        anonymous = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if not anonymous:
            codes += ["401", "403"]
        has_id = "{" in self.path
        if has_id:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["400", "409", "413", "422"]
        if self.method == "DELETE":
            codes.append("409")
        if self.method == "GET" and not has_id:
            codes.append("422")
        codes += list(getattr(self.view, "extra_error_codes", ()))
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS.get(code, "Error")
                responses[code] = response
        return responses


class JWTScheme(SimpleJWTScheme):
    """The bearer scheme in the schema for our JWTAuthentication subclass."""

    target_class = "workshop.api.authentication.JWTAuthentication"
