"""The client generated from the schema, fresh for each run: the schema written in-process
(the running test server's settings), `openapi-python-client generate --fail-on-warning`,
then mypy over the generated package and `tests/client/typed.py` (the driver code that is
written against it). Nothing is cached: a schema change is picked up by the next run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

BIN = Path(sys.executable).parent
PACKAGE = "weldshop_client"
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"  # no ruff run over the output
TYPED = Path(__file__).with_name("typed.py")
MYPY: list[subprocess.Popen] = []  # the session's mypy run over the generated client


def _run(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory) -> Path:
    """The folder holding the freshly generated `weldshop_client` package (and `schema.json`);
    on `sys.path` for the rest of the session. Its type check runs in the background."""
    root = tmp_path_factory.mktemp("generated-client")
    schema = root / "schema.json"  # JSON: PyYAML's pure-Python loader takes seconds on it
    call_command("spectacular", file=str(schema), format="openapi-json")
    (root / "config.yml").write_text(CONFIG)
    generated = _run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(root / "config.yml"),
            "--fail-on-warning",
        ],
        cwd=root,
    )
    assert generated.returncode == 0, f"openapi-python-client failed:\n{generated.stdout}\n{generated.stderr}"
    assert (root / PACKAGE / "client.py").exists(), generated.stdout
    # mypy runs while the client drives the server (`test_generated_client_type_checks` waits).
    typed = root / "typed_driver.py"  # tests/client/typed.py, next to the generated package
    typed.write_text(TYPED.read_text())
    mypy = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            PACKAGE,
            typed.name,
        ],
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    MYPY.append(mypy)
    sys.path.insert(0, str(root))
    return root


@pytest.fixture(scope="session")
def schema(generated_client) -> dict:
    """The schema the client was generated from."""
    return json.loads((generated_client / "schema.json").read_text())


@pytest.fixture(scope="session")
def mypy_report(generated_client) -> tuple[int, str]:
    """mypy's exit code and output over the generated client and tests/client/typed.py."""
    process = MYPY[-1]
    output, _ = process.communicate(timeout=300)
    return process.returncode, output
