"""`format=csv|xlsx` (tables written like exports) and the cache (shared with the dashboard:
a write shows on the next read)."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.analytics.conftest import BASE, backdate
from tests.contract import assert_error
from tests.factories import WorkOrderFactory

URL = f"{BASE}workorders"


@pytest.fixture
def orders(db):
    hostile = WorkOrderFactory(
        client="=cmd|' /C calc'!A0", status="completed", due_date=dt.date(2026, 11, 20)
    )
    backdate(
        hostile,
        created_at=timezone.make_aware(dt.datetime(2026, 11, 2, 9)),
        completed_at=timezone.make_aware(dt.datetime(2026, 11, 4, 21)),
    )
    plain = WorkOrderFactory(client="Acme")
    backdate(plain, created_at=timezone.make_aware(dt.datetime(2026, 11, 10, 9)))
    return hostile, plain


PARAMS = {"from": "2026-11-02", "to": "2026-11-15", "interval": "week", "group_by": "client"}


def test_csv_has_a_row_per_group_and_bucket_and_neutralises_formulas(api, orders):
    response = api.get(URL, {**PARAMS, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert 'filename="analytics-workorders-2026-11-02-2026-11-15-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, *body = rows
    assert header[:4] == ["Client", "Start", "End", "Label"]
    assert "on_time_rate" in header and "lead_time_median_days" in header
    # all orders (client ""), then each client (most orders first, ties by name): 2 weeks each
    assert [(r[0], r[3]) for r in body] == [
        ("", "2026-W45"),
        ("", "2026-W46"),
        ("'=cmd|' /C calc'!A0", "2026-W45"),
        ("'=cmd|' /C calc'!A0", "2026-W46"),
        ("Acme", "2026-W45"),
        ("Acme", "2026-W46"),
    ]
    first = dict(zip(header, body[0], strict=True))
    assert first["Start"] == "2026-11-02" and first["created"] == "1" and first["completed"] == "1"
    assert first["lead_time_median_days"] == "2.50" and first["on_time_rate"] == "1.0000"


def test_xlsx_holds_the_same_figures_as_typed_cells(api, orders):
    response = api.get(URL, {**PARAMS, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, *body = rows
    assert len(body) == 6
    first = dict(zip(header, body[0], strict=True))
    assert first["Start"].date() == dt.date(2026, 11, 2)
    assert first["created"] == 1 and float(first["lead_time_median_days"]) == 2.5
    hostile = next(c for c in sheet["A"] if c.value and str(c.value).startswith("=cmd"))
    assert hostile.data_type == "s"  # a text cell: no spreadsheet runs it


def test_a_bad_format_is_a_json_422(api, db):
    response = api.get(URL, {"format": "pdf"})
    assert_error(response, 422, "VALIDATION_ERROR")
    assert response["Content-Type"] == "application/json"


def test_answers_are_cached_and_a_write_shows_on_the_next_read(
    api, orders, settings, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    first = api.get(URL, PARAMS).json()
    with django_assert_max_num_queries(3):  # auth and the cache only: no figure is computed
        assert api.get(URL, PARAMS).json() == first
    _, plain = orders
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/v1/workorders/{plain.pk}/", {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    after = api.get(URL, PARAMS).json()
    acme = next(g for g in after["groups"] if g["key"] == "Acme")
    assert acme["totals"]["open_at_end"] == 0  # cancelled: no longer open
    assert after != first


def _blank_parameters():
    from dashboard.analytics.urls import ENDPOINTS  # noqa: PLC0415

    for endpoint in ENDPOINTS:
        names = ["interval", "format", *endpoint.parameters, *(p.name for p in endpoint.passthrough)]
        for name in names:
            yield pytest.param(endpoint.name, name, id=f"{endpoint.name}-{name}")


@pytest.mark.parametrize(("endpoint", "name"), list(_blank_parameters()))
def test_a_blank_choice_or_number_is_a_422_naming_it(api, db, endpoint, name):
    """The schema gives these an enum or a number, as the lists' `order`: a blank value is
    not one of them (leave the parameter out for the default). A blank date is no date."""
    response = api.get(f"{BASE}{endpoint}", {name: " "})
    assert set(assert_error(response, 422, "VALIDATION_ERROR")["errors"]) == {name}
    assert api.get(f"{BASE}{endpoint}", {"from": "", "to": ""}).status_code == 200


def test_a_cached_answer_never_stands_for_a_blank_parameter(api, db, settings):
    """The cache key tells a parameter left out from one given blank (` `; given empty it is
    left out): the answer cached for the first is not the answer to the second (a 422, whose
    check runs when computing)."""
    settings.DASHBOARD_CACHE_SECONDS = 60
    assert api.get(f"{BASE}welders").status_code == 200
    for name in ("order", "sort_by", "ordering"):
        response = api.get(f"{BASE}welders", {name: " "})
        assert set(assert_error(response, 422, "VALIDATION_ERROR")["errors"]) == {name}
