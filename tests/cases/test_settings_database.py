"""The database options chosen by environment variables alone (both deployment shapes)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

SHOW_OPTIONS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def options_for(**env: str) -> dict:
    """The default database's OPTIONS as a fresh process builds them from ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CAS_"))}
    result = subprocess.run(
        [sys.executable, "-c", SHOW_OPTIONS],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_repeated_statements_by_default():
    options = options_for(DATABASE_URL="postgres://u@127.0.0.1:5432/cas")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5


@pytest.mark.parametrize("value", ["off", "OFF"])
def test_prepared_statements_can_be_switched_off_for_a_pooler(value):
    options = options_for(
        DATABASE_URL="postgres://u@127.0.0.1:5432/cas", DATABASE_PREPARE_THRESHOLD=value
    )
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_sqlite_gets_no_postgresql_options(tmp_path):
    options = options_for(CAS_DATA_DIR=str(tmp_path))
    assert "server_side_binding" not in options
    assert options["transaction_mode"] == "IMMEDIATE"
