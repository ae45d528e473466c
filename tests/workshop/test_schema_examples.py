"""SPEC §3 "Docs": every operation has a summary, its error responses and an example — and the
examples tell the truth: a record example has exactly the fields the API returns for a record.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.contract import assert_error
from workshop.api.router import router

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


# Liveness never fails while the process answers; /health/status answers 503 with its own report.
NO_ERROR_RESPONSES = {"GET /health/"}


def examples_of(content: dict, json_only: bool = False) -> list:
    found = []
    for media_type, media in content.items():
        if json_only and media_type != "application/json":
            continue
        found += list(media.get("examples", {}).values())
        if "example" in media:
            found.append(media["example"])
    return found


def test_every_operation_has_a_summary_an_example_and_its_errors(schema):
    missing = []
    for name, operation in operations(schema):
        if not operation.get("summary"):
            missing.append(f"{name}: no summary")
        errors = [code for code in operation["responses"] if code >= "400"]
        if not errors and name not in NO_ERROR_RESPONSES:
            missing.append(f"{name}: no error response")
        for code in errors:
            if not examples_of(operation["responses"][code].get("content", {})):
                missing.append(f"{name}: no example for {code}")
        # Files (uploads, exports, downloads) are binary: their examples are the JSON around them.
        successes = [
            examples_of(response["content"], json_only=True)
            for code, response in operation["responses"].items()
            if code < "400" and "application/json" in response.get("content", {})
        ]
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body and not examples_of(body, json_only=True):
            missing.append(f"{name}: no request example")
        if successes and not any(successes):
            missing.append(f"{name}: no success example")
        everywhere = examples_of(operation.get("requestBody", {}).get("content", {})) + [
            example
            for response in operation["responses"].values()
            for example in examples_of(response.get("content", {}))
        ]
        if not everywhere:
            missing.append(f"{name}: no example at all")
    assert not missing, "\n".join(missing)


def test_error_examples_are_the_error_body(schema):
    name, operation = next(op for op in operations(schema) if op[0] == "GET /api/v1/workorders/{id}/")
    example = examples_of(operation["responses"]["404"]["content"])[0]["value"]
    assert set(example) == {"detail", "error_code", "timestamp", "request_id"}
    assert example["error_code"] == "NOT_FOUND"


def registered_serializers():
    for prefix, viewset, _basename in router.registry:
        serializer = getattr(viewset, "serializer_class", None)
        if serializer is not None and hasattr(serializer, "schema_example"):
            yield prefix, viewset, serializer


@pytest.mark.parametrize(
    "prefix,viewset,serializer", list(registered_serializers()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_record_example_has_the_fields_the_api_returns(prefix, viewset, serializer):
    assert set(serializer.schema_example) == set(serializer().fields) - {
        name for name, field in serializer().fields.items() if field.write_only
    }


def test_every_routed_resource_has_a_record_example():
    without = [
        prefix
        for prefix, viewset, _ in router.registry
        if getattr(viewset, "serializer_class", None) is not None
        and not hasattr(viewset.serializer_class, "schema_example")
    ]
    assert not without


def test_list_examples_come_in_the_list_envelope(schema):
    operation = schema["paths"]["/api/v1/items/"]["get"]
    example = examples_of(operation["responses"]["200"]["content"])[0]["value"]
    assert set(example) == {"items", "total", "page", "page_size", "pages"}
    assert example["items"][0]["item_id"] == "INV-001"


def test_request_examples_hold_only_writable_fields(schema):
    operation = schema["paths"]["/api/v1/workorders/"]["post"]
    body = examples_of(operation["requestBody"]["content"])[0]["value"]
    assert body == {
        "order_id": "WO-1000",
        "client": "Client A",
        "description": "Pipe welding, 6in sch 40",
        "status": "in_progress",
        "due_date": "2025-12-05",
        "assigned_welder": "EMP-01",
        "completed_at": None,  # writable (set by the server on completing when left out)
        "wps": "WPS-135-01",
        "quality_level": "C",
        "ndt_extent_percent": 10,
    }
    users = schema["paths"]["/api/v1/users/"]["post"]
    assert "password" in examples_of(users["requestBody"]["content"])[0]["value"]


def test_a_delete_example_names_its_resource(schema):
    operation = schema["paths"]["/api/v1/equipment/{id}/"]["delete"]
    assert examples_of(operation["responses"]["200"]["content"])[0]["value"] == {
        "message": "Equipment deleted successfully"
    }


def test_every_delete_documents_its_200_message(schema):
    deletes = [(name, op) for name, op in operations(schema) if name.startswith("DELETE ")]
    assert deletes
    for name, operation in deletes:
        assert "204" not in operation["responses"], name
        example = examples_of(operation["responses"]["200"]["content"])[0]["value"]
        assert example["message"].endswith(" deleted successfully"), name


def test_operations_without_authentication_say_so_with_an_empty_security_list(schema):
    """Login, refresh and health need no credentials: `security: []` (an empty list, not the
    "optional" `[{}]`); every other operation names the JWT (and session) schemes."""
    public = {name: op.get("security") for name, op in operations(schema) if not op.get("security")}
    assert public == {
        "POST /api/v1/auth/login/": [],
        "POST /api/v1/auth/refresh/": [],
        "GET /health/": [],
        "GET /health/db/": [],
        "GET /health/status/": [],
    }
    for name, op in operations(schema):
        if name not in public:
            assert op["security"] and {} not in op["security"], name


def test_me_role_is_the_same_enum_as_users_role(schema):
    components = schema["components"]["schemas"]
    role_of = {name: components[name]["properties"]["role"] for name in ("Me", "User")}
    for name, role in role_of.items():
        assert role["nullable"] is True, name
        assert {"$ref": "#/components/schemas/RoleEnum"} in role["oneOf"], name
    assert components["RoleEnum"]["enum"] == ["admin", "manager", "operator", "viewer"]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Machine", "metadata"),
        ("WorkshopEntry", "data"),
        ("EquipmentCalibration", "measurements"),
        ("Wps", "parameters"),
        ("Job", "result"),
        ("Job", "error"),
        ("WorkOrder", "assignment_check"),
    ],
)
def test_free_form_json_is_typed_as_an_object(schema, component, field):
    """The API refuses anything but an object for these, so the schema says `object`
    (a generated client gets a dict), never "any type"."""
    prop = schema["components"]["schemas"][component]["properties"][field]
    assert prop["type"] == "object" and prop["additionalProperties"] == {}


def test_a_templates_mapping_is_an_object_of_strings(schema):
    mapping = schema["components"]["schemas"]["ImportTemplate"]["properties"]["mapping"]
    assert (mapping["type"], mapping["additionalProperties"], mapping["minProperties"]) == (
        "object",
        {"type": "string"},
        1,
    )
    groups = schema["components"]["schemas"]["Wps"]["properties"]["material_groups"]
    assert groups["type"] == "array" and groups["items"]["type"] == "string"


def test_record_responses_require_every_field(schema):
    """A record answers all its fields (a default on the way in is still answered), so a
    generated client can rely on `WorkOrder.status`, `Item.quantity`, `User.role`,
    `TokenPair.token_type` …: every property of a response component is required, but for
    the error body's optional `errors` and the analytics' `groups` (only with `group_by`)."""
    optional = {}
    for name, component in schema["components"]["schemas"].items():
        if name.endswith(("Request", "Partial")) or "properties" not in component:
            continue
        missing = sorted(set(component["properties"]) - set(component.get("required", [])))
        if missing:
            optional[name] = missing
    assert optional == {
        "AnalyticsQuality": ["groups"],
        "AnalyticsWorkOrders": ["groups"],
        "Error": ["errors"],
    }
    for name, field in [
        ("WorkOrder", "status"),
        ("Item", "quantity"),
        ("User", "role"),
        ("TokenPair", "token_type"),
    ]:
        assert field in schema["components"]["schemas"][name]["required"], name


def test_ids_in_paths_are_integers_everywhere(schema):
    """`/upload/{id}/` (the prototype's route) and `/templates/{id}/upload/` take the same id:
    both integers — as is every `{id}` of the API."""
    kinds = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            for parameter in item.get(method, {}).get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "id":
                    kinds[f"{method.upper()} {path}"] = parameter["schema"]
    assert kinds["POST /api/v1/upload/{id}/"] == {"type": "integer"}
    assert kinds["POST /api/v1/templates/{id}/upload/"] == {"type": "integer"}
    assert {k: v for k, v in kinds.items() if v != {"type": "integer"}} == {}


def test_every_file_answer_is_also_documented_as_bytes(schema):
    """Exports, analytics files, downloads: each 200 that answers a file also lists
    `application/octet-stream`, so a generated client can read it as bytes."""
    files = {}
    for name, op in operations(schema):
        content = op.get("responses", {}).get("200", {}).get("content", {})
        binary = sorted(
            t for t, media in content.items() if media.get("schema", {}).get("format") == "binary"
        )
        if binary:
            files[name] = binary
    assert files
    missing = sorted(name for name, types in files.items() if "application/octet-stream" not in types)
    assert missing == []
    assert "GET /api/v1/workorders/export/" in files and "POST /api/v1/workorders/export/" in files


def test_choice_filters_are_arrays_of_their_values(schema):
    """`status`, `result`, `reason`, `role`, `method` …: a comma list of choices is an array
    of the enum (`style: form`, `explode: false`), not a plain string."""
    seen = {}
    for name, op in operations(schema):
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in (
                "status",
                "result",
                "reason",
                "role",
                "method",
            ):
                seen[(name, parameter["name"])] = parameter
    # an employee's `role` is a free-text job title, not a choice
    for operation in (
        "GET /api/v1/employees/",
        "GET /api/v1/employees/export/",
        "POST /api/v1/employees/export/",
    ):
        assert seen.pop((operation, "role"))["schema"] == {"type": "string"}
    assert len(seen) > 15
    for key, parameter in seen.items():
        assert parameter["schema"]["type"] == "array", key
        assert parameter["schema"]["items"]["enum"], key
        assert (parameter["style"], parameter["explode"]) == ("form", False), key
    roles = seen[("GET /api/v1/users/", "role")]["schema"]["items"]["enum"]
    assert roles == ["admin", "manager", "operator", "viewer"]


@pytest.mark.django_db
def test_a_choice_filter_takes_the_arrays_form(api):
    """What a generated client sends for `status=[pending, on_hold]` (`style: form`,
    `explode: false`): one comma list."""
    from tests.factories import WorkOrderFactory

    (
        WorkOrderFactory(status="pending"),
        WorkOrderFactory(status="on_hold"),
        WorkOrderFactory(status="completed"),
    )
    body = api.get("/api/v1/workorders/", {"status": "pending,on_hold"}).json()
    assert sorted(item["status"] for item in body["items"]) == ["on_hold", "pending"]
    assert api.get("/api/v1/workorders/", {"status": ""}).json()["total"] == 3  # empty: left out
    for broken in (",", "pending,,on_hold", "pending, "):
        assert_error(api.get("/api/v1/workorders/", {"status": broken}), 422, "VALIDATION_ERROR")


def _get_operations_with_records(schema):
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None or path.endswith("/export/"):
            continue
        media = operation["responses"]["200"].get("content", {}).get("application/json")
        if media is None:
            continue
        ref = media["schema"].get("$ref", "")
        component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        if ref.rsplit("/", 1)[-1].startswith("Paginated"):
            yield path, operation, component["properties"]["items"]["items"]
        else:
            yield path, operation, media["schema"]


def test_every_list_and_detail_of_records_documents_fields_and_its_partial_records(schema):
    """`fields=` on every list and detail GET of a resource (not only on exports): an array
    of the record's field names, and its records `anyOf` the whole record and the
    `…Partial` one (the same properties, none required)."""
    components = schema["components"]["schemas"]
    checked = []
    for path, operation, records in _get_operations_with_records(schema):
        fields = [p for p in operation.get("parameters", []) if p["name"] == "fields"]
        if "anyOf" not in records:
            assert not fields, path  # no records of a resource: nothing to select
            continue
        whole, partial = (ref["$ref"].rsplit("/", 1)[-1] for ref in records["anyOf"])
        assert partial == whole + "Partial", path
        assert components[partial]["properties"] == components[whole]["properties"]
        assert "required" not in components[partial] and components[whole]["required"]
        (parameter,) = fields
        assert parameter["schema"]["items"]["enum"] == list(components[whole]["properties"]), path
        assert (parameter["style"], parameter["explode"], parameter["allowEmptyValue"]) == (
            "form",
            False,
            True,
        )
        assert "Partial" in parameter["description"]
        checked.append(path)
    assert len(checked) == 44, checked  # 22 resources (webhooks the 22nd), a list and a detail each
    assert {"/api/v1/workorders/", "/api/v1/workorders/{id}/", "/api/v1/users/"} <= set(checked)


def _validates(schema, instance, target) -> bool:
    import jsonschema

    root = {"components": schema["components"], **target}
    return jsonschema.Draft4Validator(root).is_valid(instance)


def test_a_list_and_detail_with_fields_match_their_response_schema(api, schema):
    """What `fields=` answers is valid against the documented response (a partial record), and
    the whole record alone would refuse it (its fields are required)."""
    from tests.factories import WorkOrderFactory

    order = WorkOrderFactory()
    operations = {path: op for path, op, _ in _get_operations_with_records(schema)}
    listed = api.get("/api/v1/workorders/", {"fields": "id,order_id,status"}).json()
    detail = api.get(f"/api/v1/workorders/{order.pk}/", {"fields": "status"}).json()
    assert set(listed["items"][0]) == {"id", "order_id", "status"} and detail == {"status": order.status}
    list_schema = operations["/api/v1/workorders/"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    detail_schema = operations["/api/v1/workorders/{id}/"]["responses"]["200"]["content"]["application/json"]
    assert _validates(schema, listed, list_schema)
    assert _validates(schema, detail, detail_schema["schema"])
    assert not _validates(schema, detail, {"$ref": "#/components/schemas/WorkOrder"})
