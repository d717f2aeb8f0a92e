"""The OpenAPI schema describes every endpoint and its errors; the docs need no CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

CASE_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/units/",
    "/api/v1/cases/",
    "/api/v1/cases/{id}/",
    "/api/v1/cases/{id}/narrative/",
    "/api/v1/cases/{id}/documents/",
    "/api/v1/cases/{id}/documents/{document_id}/download/",
    "/api/v1/cases/{id}/submit/",
    "/api/v1/cases/{id}/accept/",
    "/api/v1/cases/{id}/reject/",
    "/api/v1/cases/{id}/transfer/",
    "/api/v1/cases/{id}/release/",
    "/api/v1/cases/{id}/history/",
    "/api/v1/audit/reads/",
}


@pytest.fixture(scope="module")
def schema():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_every_case_endpoint_is_described(schema):
    assert set(schema["paths"]) >= CASE_PATHS


def test_every_operation_documents_the_error_shape(schema):
    assert "Error" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "403", "404", "429"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, status)
            if method == "post":
                assert {"400", "409", "415", "422"} <= set(responses), (method, path)


def test_path_ids_are_bounded(schema):
    params = schema["paths"]["/api/v1/cases/{id}/"]["get"]["parameters"]
    (case_id,) = [p for p in params if p["name"] == "id"]
    assert case_id["schema"]["type"] == "integer"
    assert case_id["schema"]["maximum"] < 2**63


def test_posts_take_an_idempotency_key(schema):
    create = schema["paths"]["/api/v1/cases/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_docs_are_served_without_a_cdn(reference):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)=["'](https?:)?//""", html)
    assert not external, external
