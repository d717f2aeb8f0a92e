"""Shared bits of the API tests: an authenticated client and a valid booking body."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import next_event_number


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def booking(**overrides) -> dict:
    body = {
        "subject": {
            "first_name": "Ana",
            "last_name": "López",
            "second_last_name": "García",
            "date_of_birth": "1995-04-02",
            "sex": "F",
            "country_of_citizenship": "GT",
        },
        "event_number": next_event_number("EPT"),
        "apprehended_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "demographic": "single_adult",
        "family_group_number": None,
    }
    body.update(overrides)
    return body


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]
