"""An optional query parameter given empty (`?limit=`, `?ordering=`, `?as_of=`, `?status=`,
`?fields=`, `?format=` …) is the parameter left out, on every GET of the schema: the same
answer as without it (issue 14). The schema says `allowEmptyValue: true` on each."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests import factories
from tests.contract import assert_error

pytestmark = pytest.mark.django_db

VOLATILE = {"timestamp", "request_id", "generated_at"}


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _answer(response):
    if response.get("Content-Type", "").startswith("application/json"):
        return response.status_code, _stable(response.json())
    return response.status_code, response.get("Content-Type")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def records():
    """One record of each kind a detail path needs, by the path's first part."""
    weld = factories.WeldFactory()
    lot = factories.ConsumableLotFactory()
    factories.WeldActivityFactory(weld=weld, consumable_lot=lot)
    qualification = factories.WelderQualificationFactory()
    return {
        "employees": factories.EmployeeFactory().pk,
        "equipment": factories.EquipmentFactory().pk,
        "qualifications": qualification.pk,
        "welds": weld.pk,
        "consumable-lots": lot.pk,
        "workorders": factories.WorkOrderFactory().pk,
        "items": factories.ItemFactory().pk,
    }


def _get_operations(schema, records):
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        url = path
        if "{id}" in path:
            resource = path.removeprefix("/api/v1/").split("/")[0]
            if resource not in records:
                continue
            url = path.replace("{id}", str(records[resource]))
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if names:
            yield path, url, operation, names


def test_every_optional_query_parameter_allows_an_empty_value(schema):
    missing = [
        f"{method.upper()} {path} ?{parameter['name']}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and not parameter.get("required")
        and not parameter.get("allowEmptyValue")
    ]
    assert not missing, missing


def test_an_empty_query_parameter_answers_as_if_left_out(api, schema, records, settings):
    settings.RATELIMIT_ENABLE = False  # some 700 requests
    checked, different = 0, []
    for path, url, _operation, names in _get_operations(schema, records):
        plain = _answer(api.get(url))
        assert plain[0] < 500, (url, plain)
        for name in names:
            given = _answer(api.get(f"{url}?{name}="))
            checked += 1
            if given != plain:
                different.append((path, name, plain[0], given[0], given[1] if given[0] >= 400 else ""))
    assert checked > 300, checked  # every list's filters, pages, sorting, fields, as_of, dashboards
    assert not different, "\n".join(map(str, different))


@pytest.mark.parametrize(
    "query",
    [
        "ordering=&sort_by=due_date",  # was a 422: "either ordering or sort_by"
        "sort_by=&ordering=-due_date",
        "page=&skip=1",  # was a 422: "either page or skip"
        "limit=&page_size=1",
        "fields=&status=",
        "page=&page=2",  # an empty repeat is no repeat
    ],
)
def test_empty_parameters_do_not_clash_with_given_ones(api, query):
    factories.WorkOrderFactory.create_batch(3)
    response = api.get(f"/api/v1/workorders/?{query}")
    assert response.status_code == 200, response.json()


def test_an_empty_limit_on_the_dashboard_is_the_default_and_a_bad_one_still_422(api):
    assert api.get("/api/v1/dashboard/stats/?limit=").json() == api.get("/api/v1/dashboard/stats/").json()
    body = assert_error(api.get("/api/v1/dashboard/stats/?limit=0"), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == ["limit"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workorders/",
        "/api/v1/dashboard/stats/",
        "/api/v1/analytics/workorders/",
        "/api/v1/dashboard/welding/",
    ],
)
def test_an_unknown_parameter_is_still_a_422_when_empty(api, url):
    body = assert_error(api.get(f"{url}?no_such_parameter="), 422, "VALIDATION_ERROR")
    assert list(body["errors"]) == ["no_such_parameter"]
