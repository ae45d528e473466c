"""The client openapi-python-client generates from the schema drives every operation
against a live server (SPEC §7 "An exact contract"); see tests/client/drivers.py."""

from __future__ import annotations

from tests.client.drivers import Run, assert_typed, operations, plan
from tests.factories import (
    EmployeeFactory,
    EquipmentCalibrationFactory,
    ImportTemplateFactory,
    JobFactory,
    UserFactory,
    WelderQualificationFactory,
    WeldFactory,
)
from tests.webhooks.factories import EndpointFactory, MessageFactory
from tests.workbooks import workbook_bytes
from workshop.webhooks import services as webhook_services

PASSWORD = "correct-horse-battery-staple"  # tests/factories.py UserFactory
DRIVEN_LAST = ("/api/v1/webhooks/",)


def test_generated_client_type_checks(mypy_report):
    """`mypy --strict` over the generated package and the typed driver calls: 0 errors."""
    code, output = mypy_report
    assert code == 0, f"mypy --strict over the generated client:\n{output}"


def test_every_operation_has_a_driver(schema):
    from tests.client.typed import CALLS

    ids = set(operations(schema))
    driven = set(plan(schema, set(CALLS)))
    missing = sorted(ids - driven)
    assert not missing, f"operations without a driver (tests/client/typed.py CALLS or a contract): {missing}"
    assert not set(CALLS) - ids, f"typed calls of operations gone from the schema: {sorted(set(CALLS) - ids)}"


def test_generated_client_drives_every_operation(
    schema, live_server, settings, transactional_db, monkeypatch
):
    from weldshop_client import Client

    from tests.client import typed

    settings.RATELIMIT_ENABLE = False
    # Webhook deliveries are not this test's concern (tests/webhooks sends them to a real
    # receiver): without a broker they run in threads of the server, which on the tests'
    # shared in-memory SQLite lock tables under the request still answering. Noted instead.
    dispatched: list[int] = []
    monkeypatch.setattr(webhook_services, "dispatch", dispatched.extend)
    table = plan(schema, set(typed.CALLS))
    admin = UserFactory(username="client-admin", is_staff=True, is_superuser=True, role="admin")
    session = typed.Session(
        base_url=live_server.url,
        username=admin.username,
        password=PASSWORD,
        anon=Client(base_url=live_server.url, raise_on_unexpected_status=True, timeout=None),
    )
    session.client, session.refresh_token = typed.login(session, admin.username, PASSWORD)
    run = Run(session, table)

    # The operations written out in typed.py, with the records they need.
    welder = EmployeeFactory(employee_id="EMP-CL1")
    WelderQualificationFactory(employee=welder)
    template = ImportTemplateFactory(mapping={"Date": "date", "Wire (kg)": "wire_kg"})
    session.values.update(
        welder=welder.employee_id,
        weld=WeldFactory().weld_id,
        template_id=template.pk,
        template_xlsx=workbook_bytes([["Date", "Wire (kg)"], ["2025-11-25", 1.5]]),
        spare_username=UserFactory(role="operator").username,
        spare2_username=UserFactory(role="operator").username,
        calibration_id=EquipmentCalibrationFactory().pk,
        queued_job_id=JobFactory(created_by=admin).pk,
        qualification_id=WelderQualificationFactory(qualification_id="ISO-CL-01").qualification_id,
    )
    # A delivery that failed, to send again. Its endpoint is inactive (sent no event of the run;
    # the webhook endpoints the contract makes are driven last): the driver activates it for
    # the redelivery alone.
    failed = MessageFactory(endpoint=EndpointFactory(active=False))
    session.values.update(webhook_id=failed.endpoint_id, delivery_id=failed.pk)
    for operation_id, driver in sorted(table.items()):
        if driver.typed:
            call = typed.CALLS[operation_id]
            run.attempt(
                operation_id,
                lambda o=operation_id, c=call, d=driver: assert_typed(o, c(session), run.expected(d)),
            )

    # An import with a row error: the documented row-error body, parsed.
    from weldshop_client.api.items import items_import_create

    bad = workbook_bytes([["item_id", "item_name", "quantity", "unit"], ["INV-X1", "Rods", "lots", "kg"]])
    error = typed.import_row_error(session, items_import_create.sync_detailed, bad)
    assert error.errors[0].row == 2, error

    by_contract: dict[type, list] = {}
    for driver in table.values():
        if driver.contract is not None:
            by_contract.setdefault(driver.contract, []).append(driver)
    # Webhook endpoints made on the way would be sent every later event: driven last.
    for contract, drivers in sorted(by_contract.items(), key=lambda item: item[0].url in DRIVEN_LAST):
        run.drive_resource(contract, drivers)

    run.join_background_threads()
    assert run.driven == set(table), sorted(set(table) - run.driven)
    assert len(dispatched) >= 2, dispatched  # the ping and the redelivery were queued
    assert not run.failures, "\n".join(f"{k}: {v}" for k, v in sorted(run.failures.items()))
