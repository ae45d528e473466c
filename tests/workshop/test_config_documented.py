"""Every environment variable the settings read is documented: in `.env.example` (with its
default) and in the README's configuration table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS = (ROOT / "workshop" / "settings.py").read_text()
# env.str("NAME" …), env.int(…), env.list(…), env.db(…), env_bool("NAME" …), _rate("NAME" …)
READ = sorted(set(re.findall(r'(?:env(?:\.\w+)?|env_bool|_rate)\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS)))


def test_the_settings_read_variables():
    assert len(READ) > 40 and "REDIS_URL" in READ and "IMPORT_SYNC_MAX_ROWS" in READ


@pytest.mark.parametrize("name", READ)
def test_every_variable_is_in_env_example(name):
    assert re.search(rf"^#? ?{name}=", (ROOT / ".env.example").read_text(), re.M), name


@pytest.mark.parametrize("name", READ)
def test_every_variable_is_in_the_readme_table(name):
    table = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    assert any(f"`{name}`" in line for line in table), name
