"""The authorization matrix, generated from the rows of every ``rows_*.py`` module."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from . import matrix


def collect_rows() -> list[matrix.Row]:
    package = importlib.import_module(__package__)
    rows: list[matrix.Row] = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("rows_"):
            rows.extend(importlib.import_module(f"{__package__}.{module.name}").ROWS)
    return rows


ROWS = collect_rows()
CELLS = matrix.expand(ROWS)


def _api_url_names(patterns=None, prefix: str = "") -> set[tuple[str, str]]:
    out = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            out |= _api_url_names(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/v1/"):
            out.add((route, pattern.name or ""))
    return out


@pytest.fixture
def world(reference):
    return matrix.World()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role", "scope", "expected"),
    CELLS,
    ids=[f"{row.name}-{role}-{scope}" for row, role, scope, _ in CELLS],
)
def test_authorization_matrix(row, role, scope, expected, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    objs = row.setup(world) if row.setup else {}
    actor = world.actor(role, scope)
    client = APIClient()
    if actor is not None:
        client.force_authenticate(actor)
    body = row.body(world, objs, actor) if callable(row.body) else row.body
    response = getattr(client, row.method.lower())(row.path.format(**objs), body, format=row.format)
    detail = getattr(response, "data", None)
    assert response.status_code == expected, f"{row.name} as {role}/{scope}: {detail}"
    if expected >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
    if row.listed_obj and expected == 200:
        payload = response.json()
        items = payload["results"] if isinstance(payload, dict) else payload
        listed = {item[row.listed_field] for item in items}
        assert (objs[row.listed_obj] in listed) == (scope == "in"), listed


def test_every_api_endpoint_has_a_matrix_row():
    """A new endpoint under /api/v1/ must be added to some rows_*.py table."""
    covered = {row.url_name for row in ROWS}
    missing = sorted(
        f"{route} ({name or 'unnamed'})" for route, name in _api_url_names() if name not in covered
    )
    assert not missing, f"endpoints without an authorization-matrix row: {missing}"


def test_every_row_names_every_role():
    for row in ROWS:
        matrix.check_row(row)
    assert len(CELLS) >= len(ROWS) * len(matrix.ROLES)
