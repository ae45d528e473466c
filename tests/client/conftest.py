"""The client generated from the schema, fresh for each run: the schema written in-process
(the running test server's settings), `openapi-python-client generate --fail-on-warning`,
then mypy over the generated package and `tests/client/typed.py` (the driver code that is
written against it). Nothing is cached: a schema change is picked up by the next run."""

from __future__ import annotations

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


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory) -> Path:
    """The folder holding the freshly generated, mypy-clean `weldshop_client` package (and
    `schema.yml`); on `sys.path` for the rest of the session."""
    root = tmp_path_factory.mktemp("generated-client")
    schema = root / "schema.yml"
    call_command("spectacular", file=str(schema))
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
    # The driver module is checked where it lives, with the generated package importable.
    typed = root / "typed_driver.py"
    typed.write_text(TYPED.read_text())
    checked = _run(
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
    )
    assert checked.returncode == 0, (
        f"mypy --strict over the generated client:\n{checked.stdout}\n{checked.stderr}"
    )
    sys.path.insert(0, str(root))
    return root
