"""Every operation of the schema driven through the generated client.

The table `plan()` builds is keyed by operationId. Resource operations come from the
resource contracts (`tests/contract.py` subclasses: their factory, payloads and extra
actions, the shared import and export included), matched to the schema by method and path:
a new resource or a new `@action` described in its contract is driven with no change here.
Every other operation has a typed call in `tests/client/typed.py`. The guard test fails
with the names of operations that neither covers.

Each call goes through the generated module's `sync_detailed`; its answer must have the
status the contract (or the schema's first 2xx) promises and parse into the generated type
for it: a model or `File`, never `None` or an `Error`, with no undocumented fields."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pkgutil
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.contract import ExtraAction, ResourceContract

PREFIX = "/api/v1/"
CRUD_SUFFIX = {
    ("get", ""): "list",
    ("post", ""): "create",
    ("get", "{id}/"): "retrieve",
    ("put", "{id}/"): "update",
    ("patch", "{id}/"): "partial_update",
    ("delete", "{id}/"): "destroy",
}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    responses: tuple[int, ...]  # documented 2xx statuses


@dataclass
class Driver:
    """How one operation is driven: a resource contract's CRUD verb or extra action, or a
    typed call of tests/client/typed.py."""

    operation: Operation
    contract: type[ResourceContract] | None = None
    verb: str = ""  # list/create/retrieve/update/partial_update/destroy, or "action"
    action: ExtraAction | None = None
    typed: bool = False


def operations(schema: dict) -> dict[str, Operation]:
    found = {}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                ok = tuple(sorted(int(c) for c in op["responses"] if str(c).startswith("2")))
                found[op["operationId"]] = Operation(op["operationId"], method, path, ok)
    return found


def contracts() -> list[type[ResourceContract]]:
    """Every routed resource's contract (as tests/test_contract_guard.py finds them), importing
    only the test modules that subclass it (importing all of them costs seconds)."""
    import tests

    root = Path(tests.__file__).parent
    for path in sorted(root.rglob("test_*.py")):
        if "perf" not in path.parts and "ResourceContract" in path.read_text():
            importlib.import_module(".".join(("tests", *path.relative_to(root).with_suffix("").parts)))
    found, stack = [], list(ResourceContract.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [c for c in found if c.viewset is not None and c.url]


def _norm(path: str) -> str:
    return path.strip("/") + "/" if path.strip("/") else ""


def plan(schema: dict, typed_ids: set[str]) -> dict[str, Driver]:
    """operationId -> its driver, for every operation some driver covers."""
    ops = operations(schema)
    by_route = {(op.method, op.path): op for op in ops.values()}
    table: dict[str, Driver] = {}
    for contract in contracts():
        for (method, suffix), verb in CRUD_SUFFIX.items():
            op = by_route.get((method, contract.url + suffix))
            if op is not None:
                table[op.operation_id] = Driver(op, contract, verb)
        for action in contract().all_extra_actions():
            path = contract.url + ("{id}/" if action.detail else "") + _norm(action.path)
            methods = {action.method}
            if action.name == "export":
                methods.add("post")  # the same export, its filters in a JSON body
            for method in methods:
                op = by_route.get((method, path))
                if op is not None:
                    table[op.operation_id] = Driver(op, contract, "action", action)
        # Any other read of the resource (`GET …/{id}/history/`, `GET …/{id}/deliveries/`): a
        # GET on a made record (or on the list URL) needs no description to be driven.
        for op in ops.values():
            rest = op.path[len(contract.url) :] if op.path.startswith(contract.url) else None
            if op.method != "get" or rest is None or op.operation_id in table:
                continue
            detail = rest.startswith("{id}/")
            suffix = rest.removeprefix("{id}/")
            if suffix and "{" not in suffix:
                read = ExtraAction(op.operation_id, "get", suffix, allowed=frozenset(), detail=detail)
                table[op.operation_id] = Driver(op, contract, "action", read)
    for operation_id in typed_ids:
        if operation_id in ops:
            table[operation_id] = Driver(ops[operation_id], typed=True)
    return table


# ---------------------------------------------------------------------------- calling


def generated_modules() -> dict[str, types.ModuleType]:
    """operationId -> its module of the generated client."""
    api = importlib.import_module("weldshop_client.api")
    found = {}
    for info in pkgutil.walk_packages(api.__path__, prefix="weldshop_client.api."):
        if not info.ispkg:
            found[info.name.rsplit(".", 1)[1]] = importlib.import_module(info.name)
    return found


def _concrete(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [a for a in (args or (hint,)) if a is not type(None)]


def body_model(function: Callable[..., Any]) -> type | None:
    hints = typing.get_type_hints(function)
    if "body" not in hints:
        return None
    for candidate in _concrete(hints["body"]):
        if hasattr(candidate, "from_dict"):
            return candidate
    raise AssertionError(f"no model for the body of {function.__module__}: {hints['body']}")


# The contracts send a few input aliases the API maps but the schema does not list (ASME
# positions for ISO 6947 ones); a generated client sends what the schema documents.
DOCUMENTED = {"3G": "PF"}


def documented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: documented(v) for k, v in value.items()}
    if isinstance(value, list):
        return [documented(v) for v in value]
    return DOCUMENTED.get(value, value) if isinstance(value, str) else value


def make_body(model: type, payload: dict, upload: bytes | None) -> Any:
    from weldshop_client.types import File

    from tests.client.typed import xlsx_file

    payload = documented(payload)
    if upload is not None:
        body = model.from_dict({**payload, "file": upload})
        for attribute in body.__attrs_attrs__:
            if isinstance(getattr(body, attribute.name), File):
                setattr(body, attribute.name, xlsx_file(upload))
        return body
    return model.from_dict(payload)


def path_id(function: Callable[..., Any], pk: Any) -> Any:
    hint = typing.get_type_hints(function).get("id")
    return pk if hint is None else (int(pk) if int in _concrete(hint) else str(pk))


# ---------------------------------------------------------------------------- checking


def assert_typed(operation_id: str, response: Any, expected: int) -> Any:
    """The status, and a parsed answer of the generated type with no undocumented field."""
    from weldshop_client.models import Error

    assert int(response.status_code) == expected, (
        f"{operation_id}: {int(response.status_code)} (expected {expected}): {response.content[:400]!r}"
    )
    parsed = response.parsed
    if expected == 204:
        return parsed
    assert parsed is not None, f"{operation_id}: {expected} answer not parsed: {response.content[:200]!r}"
    assert not isinstance(parsed, Error), f"{operation_id}: parsed as an Error: {parsed}"
    for item in parsed if isinstance(parsed, list) else [parsed]:
        assert type(item).__module__.startswith("weldshop_client."), (operation_id, type(item))
    if type(parsed).__name__ == "File":  # a download: the bytes as sent
        content = parsed.payload.getvalue()
        assert isinstance(content, bytes) and content == response.content and content, operation_id
    undocumented = list(_undocumented(parsed, type(parsed).__name__))
    assert not undocumented, f"{operation_id}: fields the schema does not declare: {undocumented}"
    return parsed


def _undocumented(value: Any, where: str):
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _undocumented(item, f"{where}[{i}]")
    elif hasattr(type(value), "__attrs_attrs__"):
        names = [a.name for a in type(value).__attrs_attrs__]
        free_form = names == ["additional_properties"]  # a documented free-form object
        if not free_form and getattr(value, "additional_properties", None):
            yield f"{where}: {sorted(value.additional_properties)}"
        if not free_form:
            for name in names:
                if name != "additional_properties":
                    yield from _undocumented(getattr(value, name), f"{where}.{name}")


# ---------------------------------------------------------------------------- the run


class Run:
    """Drives the table against a server, collecting each operation's failure."""

    def __init__(self, session: Any, table: dict[str, Driver]):
        self.session = session
        self.table = table
        self.modules = generated_modules()
        self.failures: dict[str, str] = {}
        self.threads_before = {t.ident for t in threading.enumerate()}
        self.driven: set[str] = set()

    def call(self, operation_id: str, **kwargs: Any) -> Any:
        function = self.modules[operation_id].sync_detailed
        if "id" in kwargs:
            kwargs["id"] = path_id(function, kwargs["id"])
        return function(client=self.session.auth, **kwargs)

    def attempt(self, operation_id: str, drive: Callable[[], None]) -> None:
        self.driven.add(operation_id)
        try:
            drive()
        except Exception as exc:  # noqa: BLE001 — every failure is reported at the end
            self.failures[operation_id] = f"{type(exc).__name__}: {exc}"[:1500]
        finally:
            self.join_background_threads()

    def join_background_threads(self, timeout: float = 30) -> None:
        """Wait for threads the app started for work after a request (with Celery eager, e.g.
        webhook deliveries): on the tests' shared in-memory SQLite they would lock tables under
        the next request, and on PostgreSQL deadlock with the flush after the test."""
        for thread in threading.enumerate():
            if thread.ident in self.threads_before or "process_request_thread" in thread.name:
                continue  # the live server and its connections' threads
            thread.join(timeout)

    def expected(self, driver: Driver) -> int:
        if driver.action is not None and 200 <= driver.action.success < 300:
            if driver.action.success in driver.operation.responses or not driver.operation.responses:
                return driver.action.success
        # 202 is the async answer of an operation that also answers at once; alone, it is the answer.
        statuses = (
            [s for s in driver.operation.responses if s != 202] or list(driver.operation.responses) or [200]
        )
        return statuses[0]

    def drive_resource(self, contract_class: type[ResourceContract], drivers: list[Driver]) -> None:
        """list, create, then retrieve/update/patch the created record (or a factory's, for a
        resource without create), the extra actions, import and export, then delete one."""
        contract = contract_class()
        verbs = {d.verb: d for d in drivers if d.verb != "action"}
        self.record: Any = None
        for verb in ("list", "create", "retrieve", "update", "partial_update"):
            if verb in verbs:
                driver = verbs[verb]
                self.attempt(driver.operation.operation_id, lambda d=driver: self.crud(contract, d))
        for driver in drivers:
            if driver.verb == "action":
                self.attempt(driver.operation.operation_id, lambda d=driver: self.action(contract, d))
        if "destroy" in verbs:
            driver = verbs["destroy"]
            self.attempt(driver.operation.operation_id, lambda d=driver: self.crud(contract, d))

    def crud(self, contract: ResourceContract, driver: Driver) -> None:
        operation_id, verb = driver.operation.operation_id, driver.verb
        function = self.modules[operation_id].sync_detailed
        expected = self.expected(driver)
        model = contract.factory._meta.model
        if verb == "list":
            contract.make()
            page = assert_typed(operation_id, self.call(operation_id, page_size=5), expected)
            assert page.total >= 1 and page.items, (operation_id, page)
            # A filter every list has: created since 2000.
            since = assert_typed(
                operation_id, self.call(operation_id, created_from=dt.date(2000, 1, 1)), expected
            )
            assert since.total == page.total, (operation_id, since.total, page.total)
            return
        if verb == "create":
            payload = contract.create_payload()
            body = make_body(body_model(function), payload, None)
            created = assert_typed(operation_id, self.call(operation_id, body=body), expected)
            self.record = model.objects.get(pk=created.id)
            # The payload's related records exist now: later calls (PUT, the import's sheet)
            # reuse it rather than make them again under the same keys.
            contract.create_payload = lambda: dict(payload)  # type: ignore[method-assign]
            return
        if verb == "destroy":
            obj = contract.make()
            assert_typed(operation_id, self.call(operation_id, id=obj.pk), expected)
            assert not model.objects.filter(pk=obj.pk).exists(), operation_id
            return
        obj = self.record if self.record is not None else contract.make()
        if verb == "retrieve":
            got = assert_typed(operation_id, self.call(operation_id, id=obj.pk), expected)
            assert got.id == obj.pk
            return
        assert verb in ("update", "partial_update"), verb
        payload = contract.update_payload(obj) if verb == "update" else contract.patch_payload(obj)
        body = make_body(body_model(function), payload, None)
        got = assert_typed(operation_id, self.call(operation_id, id=obj.pk, body=body), expected)
        assert got.id == obj.pk

    def action(self, contract: ResourceContract, driver: Driver) -> None:
        action, operation_id = driver.action, driver.operation.operation_id
        assert action is not None
        function = self.modules[operation_id].sync_detailed
        kwargs: dict[str, Any] = {}
        if action.detail:
            obj = action.make() if action.make else contract.make()
            kwargs["id"] = obj.pk
        elif action.make:
            action.make()
        model = body_model(function)
        if model is not None and (action.upload or action.body or driver.operation.method != "get"):
            if action.upload:
                upload = _file_bytes(contract.excel_upload())
                kwargs["body"] = make_body(model, dict(action.body), upload)
            elif action.body or "body" in _required(function):
                kwargs["body"] = make_body(model, dict(action.body), None)
        assert_typed(operation_id, self.call(operation_id, **kwargs), self.expected(driver))


def _required(function: Callable[..., Any]) -> set[str]:
    import inspect

    return {
        name
        for name, p in inspect.signature(function).parameters.items()
        if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _file_bytes(upload: Any) -> bytes:
    upload.seek(0)
    data = upload.read()
    return data if isinstance(data, bytes) else io.BytesIO(data).getvalue()
