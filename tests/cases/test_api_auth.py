"""Token login, login throttling (django-axes) and health."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .api_helpers import error

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"


def token(client, username, password):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_then_authenticated_calls(agent_ept):
    client = APIClient()
    response = token(client, agent_ept.username, PASSWORD)
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_wrong_credentials_are_401_in_the_shape(agent_ept):
    response = token(APIClient(), agent_ept.username, "not-it")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"
    missing = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert missing.status_code == 400
    assert set(error(missing)["fields"]) == {"username", "password"}


def test_inactive_user_gets_no_token(agent_ept):
    agent_ept.is_active = False
    agent_ept.save()
    assert token(APIClient(), agent_ept.username, PASSWORD).status_code == 401


def test_repeated_failures_lock_the_token_endpoint_with_429(agent_ept, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    statuses = [token(client, agent_ept.username, "guess").status_code for _ in range(4)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    # Locked out: even the right password is refused until the cool-off ends.
    locked = token(client, agent_ept.username, PASSWORD)
    assert locked.status_code == 429
    assert error(locked)["code"] == "throttled"
    assert "Retry-After" in locked.headers


def test_repeated_failures_lock_the_session_login_too(agent_ept, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": agent_ept.username, "password": "guess"})
    response = client.post("/admin/login/", {"username": agent_ept.username, "password": PASSWORD})
    assert response.status_code == 429


def test_healthz(reference):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] in {"ok", "down"}
