"""Each analytics path documents its own answer, parameters and example (the schema
annotation is per endpoint, not shared by the one view class)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from dashboard.analytics.urls import ENDPOINTS


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_path_has_its_own_answer_and_example(schema, endpoint):
    operation = schema["paths"][f"/api/v1/analytics/{endpoint.name}/"]["get"]
    assert operation["summary"] == endpoint.summary
    media = operation["responses"]["200"]["content"]["application/json"]
    component = media["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = set(schema["components"]["schemas"][component]["properties"])
    assert fields == set(endpoint.serializer().fields)
    (example,) = media["examples"].values()
    assert set(example["value"]) <= fields
    assert endpoint.serializer(data=example["value"]).is_valid(), example["value"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {
        "from",
        "to",
        "interval",
        "format",
        *endpoint.parameters,
        *(p.name for p in endpoint.passthrough),
    }
