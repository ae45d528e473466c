"""OpenAPI generation: every operation gets a summary, its error responses and examples.

Examples come from, in order: the view's own (`@extend_schema(examples=…)`); else the
serializer's `schema_example` — a record as the API returns it, used for responses (lists get
it inside the list envelope) and, cut down to the serializer's writable fields plus
`schema_request_extra`, for request bodies; a delete's `{"message": …}`; and one error body per
error response. `tests/workshop/test_schema_examples.py` holds every operation to it and every
record example to what the API really returns.
"""

from __future__ import annotations

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import (
    build_array_type,
    build_basic_type,
    build_parameter_type,
    force_instance,
    is_list_serializer,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from workshop.api import conditional
from workshop.api.serializers import ErrorSerializer, MessageSerializer, RejectUnknownFields
from workshop.api.serializers import ModelSerializer as RecordSerializer

ERROR_DESCRIPTIONS = {
    "400": "The body is not parseable JSON or multipart (`BAD_REQUEST`).",
    "401": "No, bad, expired or revoked credentials (`UNAUTHORIZED`).",
    "403": "Authenticated, but the role may not do this (`FORBIDDEN`).",
    "404": "No such record (`NOT_FOUND`).",
    "409": "A business key already exists (`DUPLICATE_RESOURCE`) or the current state "
    "forbids it, e.g. dependents block a delete (`CONFLICT`).",
    "412": "`If-Match` does not name the record's current state (`PRECONDITION_FAILED`): nothing "
    "was written; `ETag` carries the current tag.",
    "413": "The body or upload is over its limit (`PAYLOAD_TOO_LARGE`).",
    "415": "The body's media type is not accepted, or the upload is not a real Excel file "
    "(`UNSUPPORTED_MEDIA_TYPE`).",
    "422": "Invalid values in the body or the query (`VALIDATION_ERROR`), with `errors`.",
    "428": "`If-Match` is missing and the server requires it (`PRECONDITION_REQUIRED`, only "
    "when `REQUIRE_IF_MATCH` is on): nothing was written.",
    # What a request the schema allows may still break (`x-refuses-valid-input`).
    "422-write": "Invalid values in the body (`VALIDATION_ERROR`), with `errors` naming them — also "
    "for the rules no schema states: a related record that does not exist, rules across fields "
    "(this operation's description, the model's rules), a password the validators refuse.",
    "422-query": "Invalid values in the query (`VALIDATION_ERROR`), with `errors` naming them — also "
    "for parameters that exclude each other (`page` with `skip`, `ordering` with `sort_by`/`order`), "
    "a range whose start is after its end, or a range too long for its interval.",
    "429": "Too many requests (`RATE_LIMITED`); see `Retry-After`.",
    "503": "The database or storage is unreachable (`SERVICE_UNAVAILABLE`).",
}

EXAMPLE_TIMESTAMP = "2025-11-25T08:30:00.000000Z"
EXAMPLE_REQUEST_ID = "3f2b8c1e9d4a4f7b8e6c5d2a1b0f9e8d"
ERROR_EXAMPLES = {
    "400": ("BAD_REQUEST", "JSON parse error - Expecting value: line 1 column 1 (char 0)", None),
    "401": ("UNAUTHORIZED", "Authentication credentials were not provided.", None),
    "403": ("FORBIDDEN", "Your role may not do this.", None),
    "404": ("NOT_FOUND", "Not found.", None),
    "409": (
        "DUPLICATE_RESOURCE",
        "work order with this order ID already exists.",
        {"order_id": ["work order with this order ID already exists."]},
    ),
    "412": (
        "PRECONDITION_FAILED",
        "The record has changed since you read it: If-Match does not name its current ETag. "
        "Read it again, then retry with the new ETag.",
        None,
    ),
    "413": ("PAYLOAD_TOO_LARGE", "The request body is too large.", None),
    "415": ("UNSUPPORTED_MEDIA_TYPE", 'Unsupported media type "text/plain" in request.', None),
    "422": (
        "VALIDATION_ERROR",
        "due_date: Date has wrong format. Use YYYY-MM-DD (an ISO datetime is accepted too).",
        {"due_date": ["Date has wrong format. Use YYYY-MM-DD (an ISO datetime is accepted too)."]},
    ),
    "428": (
        "PRECONDITION_REQUIRED",
        "This server requires If-Match on changes and deletes: send the ETag of the record as you read it.",
        None,
    ),
    "429": ("RATE_LIMITED", "Request was throttled. Expected available in 42 seconds.", None),
    "503": ("SERVICE_UNAVAILABLE", "The database is unavailable. Try again shortly.", None),
}


def error_example(code: str) -> OpenApiExample:
    error_code, detail, errors = ERROR_EXAMPLES[code]
    value = {
        "detail": detail,
        "error_code": error_code,
        "timestamp": EXAMPLE_TIMESTAMP,
        "request_id": EXAMPLE_REQUEST_ID,
    }
    if errors:
        value["errors"] = errors
    return OpenApiExample(error_code, value=value, response_only=True, status_codes=[code])


ETAG_DESCRIPTION = (
    "A strong tag of the record's current state (a hash of its full representation, whatever "
    "`fields=` selected): send it back in `If-None-Match` to revalidate, in `If-Match` to write."
)
LIST_ETAG_DESCRIPTION = "A tag of this page of the list: send it back in `If-None-Match` to revalidate."
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="An `ETag` from an earlier answer (or a list of them, or `*`): `304 Not Modified`, "
    "with no body, when it still names the current state (weak comparison).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The record's `ETag` as you read it (or `*`): the write happens only if the record "
    "is still in that state, else `412 PRECONDITION_FAILED` and nothing is written (strong "
    "comparison: a `W/` tag never matches). Required when the server runs with `REQUIRE_IF_MATCH` "
    "(`428` without it).",
)
NOT_MODIFIED_DESCRIPTION = "Not modified: `If-None-Match` names the current state. No body."


def etag_header(codes: list[int], description: str = ETAG_DESCRIPTION) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=codes,
        description=description,
    )


ACTION_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {singular}",
    "retrieve": "Get {a} {singular}",
    "update": "Replace {a} {singular}",
    "partial_update": "Update part of {a} {singular}",
    "destroy": "Delete {a} {singular}",
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            refused = self.refuses_valid_input(operation)
            if refused:
                # The codes a request the schema allows may still get, for a rule its
                # response's description states (scripts/schemathesis.toml reads this).
                operation["x-refuses-valid-input"] = ",".join(refused)
        if operation is not None and operation.get("security") == [{}]:
            # No authentication at all (login, refresh, health): `security: []` says so, where
            # `[{}]` ("optional") makes generated clients demand an authenticated client.
            operation["security"] = []
        return operation

    def conditional_kind(self) -> str | None:
        """What conditional requests do here: `detail`/`list` GETs answer an ETag and take
        If-None-Match; a `write` on a record takes If-Match (workshop/api/conditional.py)."""
        if not hasattr(self.view, "record_etag"):  # not an ApiViewMixin view
            return None
        action = getattr(self.view, "action", None)
        if self.method == "GET" and action in ("retrieve", "list"):
            return "detail" if action == "retrieve" else "list"
        if conditional.is_record_write(self.view, self.method):
            return "write"
        return None

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        kind = self.conditional_kind()
        if kind == "detail":
            parameters += [IF_NONE_MATCH, etag_header([200, 304])]
        elif kind == "list":
            parameters += [IF_NONE_MATCH, etag_header([200, 304], LIST_ETAG_DESCRIPTION)]
        elif kind == "write":
            codes = [412] if self.method == "DELETE" else [200, 201, 412]
            parameters += [IF_MATCH, etag_header(codes)]
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        names = self._selectable_fields()
        if names and not any(p["name"] == "fields" and p["in"] == "query" for p in parameters):
            parameters.append(fields_parameter(names))
        return parameters

    def _selectable_fields(self) -> list[str] | None:
        """A GET answering records of our ModelSerializer (a list's or a detail's) takes
        `fields=` (workshop.api.serializers.selected_fields): the names it may select."""
        if self.method != "GET":
            return None
        serializer = self.get_response_serializers()
        if isinstance(serializer, dict):
            serializer = serializer.get(200) or serializer.get("200")
        serializer = force_instance(serializer)
        if is_list_serializer(serializer):
            serializer = serializer.child
        if not isinstance(serializer, RecordSerializer):
            return None
        return [name for name, field in serializer.fields.items() if not field.write_only]

    def refuses_valid_input(self, operation) -> list[str]:
        """409 (a business key taken, the record's state, dependents), 415 (an upload that is
        not really its type) and 422 (rules across fields or parameters, related records) —
        those of the operation's documented responses that a well-formed request can get."""
        responses = operation.get("responses", {})
        if self.method == "GET":
            # `fields` (an enum) and `as_of` (a date) alone break no rule; pages, sorting,
            # ranges and filters together may.
            queried = any(
                p["in"] == "query" and p["name"] not in ("fields", "as_of")
                for p in operation.get("parameters", [])
            )
            candidates = ["422"] if queried else []
        elif self.method == "DELETE":
            candidates = ["409"]
        else:
            candidates = ["409", "415", "422"]
            if "multipart/form-data" not in operation.get("requestBody", {}).get("content", {}):
                candidates.remove("415")
        return [code for code in candidates if code in responses]

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"] == {"type": "string", "pattern": "^[0-9]+$"}:
                # A hand-written route's `(?P<pk>[0-9]+)` (`/upload/{id}/`): an integer, as the
                # router's ids are, so one id has one type in generated clients.
                parameter["schema"] = {"type": "integer"}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        component = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        if direction == "request" and isinstance(serializer, RejectUnknownFields):
            # An unknown field is a 422 (workshop.api.serializers.RejectUnknownFields).
            component["additionalProperties"] = False
        if direction == "response" and (
            isinstance(serializer, serializers.ModelSerializer)
            or getattr(serializer, "answers_every_field", False)
        ):
            # A record (or a token pair) answers every field, whatever was optional on the way
            # in: each is required in the response (`fields=` on a GET narrows it, as its
            # description says).
            component["required"] = sorted(component.get("properties", {}))
        return component

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
        if getattr(self.view, "schema_error_codes", None) is not None:
            return sorted(self.view.schema_error_codes)  # the view knows better (health checks)
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
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")  # a body that is neither JSON nor (for uploads) multipart
        if self.method == "GET":
            codes.append("422")  # unknown or bad query parameters (`fields=` on a detail too)
        if self.conditional_kind() == "write":
            codes += ["412", "428"]
        codes += list(getattr(self.view, "extra_error_codes", ()))
        return sorted(set(codes))

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        if examples:
            return examples
        generated = self._generated_examples(serializer, direction, status_code)
        if not generated:
            return examples
        return super()._get_examples(
            serializer, direction, media_type, status_code, [*(extras or []), *generated]
        )

    def _generated_examples(self, serializer, direction, status_code) -> list[OpenApiExample]:
        """The examples for a body the view gives none for (see the module's docstring)."""
        if status_code and status_code >= "400":
            return [error_example(status_code)] if status_code in ERROR_EXAMPLES else []
        target = serializer.child if is_list_serializer(serializer) else serializer
        if target is None:
            return []
        if self.method == "DELETE" and isinstance(force_instance(target), MessageSerializer):
            names = self._model_names()
            if names:
                message = f"{names[0].capitalize()} deleted successfully"
                return [OpenApiExample("Deleted", value={"message": message})]
        record = getattr(target, "schema_example", None)
        if record is None:
            return []
        names = self._model_names()
        title = names[0].capitalize() if names else "Example"
        if direction == "response":
            return [OpenApiExample(title, value=record)]
        fields = force_instance(target).fields
        body = {
            name: value for name, value in record.items() if name in fields and not fields[name].read_only
        }
        body.update(getattr(target, "schema_request_extra", {}))
        return [OpenApiExample(title, value=body)]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                key = code
                if code == "422":
                    key = "422-query" if self.method == "GET" else "422-write"
                response["description"] = ERROR_DESCRIPTIONS.get(key, "Error")
                responses[code] = response
        if self.conditional_kind() in ("detail", "list"):
            responses["304"] = {
                "description": NOT_MODIFIED_DESCRIPTION,
                **self._get_response_for_code(None, "304", direction=direction),
            }
            responses["304"].pop("content", None)
            responses["304"]["description"] = NOT_MODIFIED_DESCRIPTION
        return responses


FIELDS_DESCRIPTION = (
    "The fields to answer, a comma list of names (default: every field). Each record then "
    "holds only those: its schema is the record's `…Partial` (the same properties, none "
    "required), the second choice of the response's `anyOf`. An unknown name is a `422`."
)


def fields_parameter(names: list[str]) -> dict:
    return {
        "in": "query",
        "name": "fields",
        "required": False,
        "description": FIELDS_DESCRIPTION,
        "schema": {"type": "array", "items": {"type": "string", "enum": names}},
        "style": "form",
        "explode": False,
    }


PARTIAL_SUFFIX = "Partial"


def partial_records_for_fields(result, generator, request, public):
    """Postprocessing hook: a GET that takes `fields=` (a list's or a detail's) answers either
    the whole record or, with `fields=`, a part of it. Its record schema `X` becomes
    `anyOf: [X, XPartial]`, XPartial the same properties with none required — so a whole
    record still checks every field, and a partial one parses (a generated client tries `X`,
    then `XPartial`). Every such operation gets it, whatever its path."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    prefix = "#/components/schemas/"

    def either(schema: dict) -> dict:
        ref = schema.get("$ref", "")
        name = ref.removeprefix(prefix)
        if not ref.startswith(prefix) or name.endswith(PARTIAL_SUFFIX) or name not in components:
            return schema
        partial = name + PARTIAL_SUFFIX
        if partial not in components:
            whole = components[name]
            components[partial] = {
                **{k: v for k, v in whole.items() if k != "required"},
                "description": f"{name} with only the fields `fields=` named (none required).",
            }
        return {"anyOf": [{"$ref": ref}, {"$ref": prefix + partial}]}

    def records_of(schema: dict) -> dict:
        ref = schema.get("$ref", "")
        target = components.get(ref.removeprefix(prefix)) if ref.startswith(prefix) else None
        if target is not None and target.get("type") == "object" and "items" in target.get("properties", {}):
            items = target["properties"]["items"]  # the list envelope
            if items.get("type") == "array" and "$ref" in items.get("items", {}):
                items["items"] = either(items["items"])
            return schema
        if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
            return {**schema, "items": either(schema["items"])}
        return either(schema)

    for item in result.get("paths", {}).values():
        operation = item.get("get")
        if not isinstance(operation, dict):
            continue
        if not any(p["in"] == "query" and p["name"] == "fields" for p in operation.get("parameters", [])):
            continue
        media = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json")
        if media and "schema" in media:
            media["schema"] = records_of(media["schema"])
    return result


def empty_values_are_absent(result, generator, request, public):
    """Postprocessing hook: every optional query parameter of every operation says
    `allowEmptyValue: true` — given empty (`?limit=`, `?status=`, what an HTML form or an
    empty array sends) it is the parameter left out (workshop.api.params), never a 422."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


class FilterExtension(DjangoFilterExtension):
    """Our lists' filters in the schema: a comma list of choices (`status=pending,on_hold`) is
    an array of the choice values (`style: form, explode: false`), so generated clients get
    an enum, not a plain string. Labels and aliases are still accepted (documented values
    only)."""

    target_class = "workshop.api.filters.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        from workshop.api.filters import ChoiceListFilter

        if not isinstance(filter_field, ChoiceListFilter):
            return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        values = [value for value, _label in filter_field.extra["choices"]]
        help_text = filter_field.extra.get("help_text") or "One value or a comma list (any of them)."
        return [
            build_parameter_type(
                name=field_name,
                required=False,
                location=OpenApiParameter.QUERY,
                description=str(help_text),
                schema=build_array_type(build_basic_type(OpenApiTypes.STR)),
                enum=values,
                explode=False,
                style="form",
            )
        ]


class JWTScheme(SimpleJWTScheme):
    """The bearer scheme in the schema for our JWTAuthentication subclass."""

    target_class = "workshop.api.authentication.JWTAuthentication"
