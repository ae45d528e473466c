"""Every routed ViewSet has a contract subclass, so no endpoint escapes the contract."""

import importlib
import pkgutil

import tests
from tests.contract import ResourceContract
from workshop.api.router import router


def _all_contracts() -> list[type]:
    for module in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if module.name.split(".")[-1].startswith("test_") and ".perf" not in module.name:
            importlib.import_module(module.name)
    found, stack = [], list(ResourceContract.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_every_routed_viewset_has_a_contract():
    covered = {c.viewset for c in _all_contracts() if c.viewset is not None}
    routed = {viewset for _prefix, viewset, _basename in router.registry}
    missing = sorted(v.__name__ for v in routed - covered)
    assert not missing, f"ViewSets without a ResourceContract subclass: {missing}"


def test_contract_urls_match_the_router():
    prefixes = {viewset: prefix for prefix, viewset, _ in router.registry}
    for contract in _all_contracts():
        if contract.viewset is not None:
            assert contract.url == f"/api/v1/{prefixes[contract.viewset]}/", contract
