"""Every error code of API.md, in its shape, including DRF's and Django's own failures;
unexpected input never causes a 500 and never changes stored data."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from cases.api.policies import PerUserThrottle
from cases.models import Case, EventLogEntry
from tests.factories import book, submitted

from .api_helpers import booking, client_for, error

pytestmark = pytest.mark.django_db


def test_invalid_input_is_400_with_fields(agent_ept):
    response = client_for(agent_ept).post("/api/v1/cases/", {"subject": {}}, format="json")
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert "event_number" in body["fields"]
    assert "subject.first_name" in body["fields"]


def test_not_logged_in_is_401(reference):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_a_bad_token_is_401(reference):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_role_without_cases_is_403(orr_user):
    response = client_for(orr_user).get("/api/v1/cases/")
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_out_of_scope_is_404(agent_ept, agent_tca):
    case = book(agent_ept)
    response = client_for(agent_tca).post(f"/api/v1/cases/{case.pk}/submit/", {}, format="json")
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Not found."}


def test_lost_transition_is_409(agent_ept, ero_elp):
    case = submitted(agent_ept)
    ero = client_for(ero_elp)
    assert ero.post(f"/api/v1/cases/{case.pk}/accept/", {}, format="json").status_code == 200
    response = ero.post(
        f"/api/v1/cases/{case.pk}/reject/", {"reasons": ["other"], "comment": "x"}, format="json"
    )
    assert response.status_code == 409
    assert error(response)["code"] == "invalid_transition"


def test_business_rule_is_422_with_violations(agent_ept):
    case = book(agent_ept, narrative=None)
    response = client_for(agent_ept).post(f"/api/v1/cases/{case.pk}/submit/", {}, format="json")
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "rule_violation"
    assert {"rule", "message"} <= set(body["violations"][0])
    case.refresh_from_db()
    assert case.state == "booked"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/nothing-here",
        "/api/v1/cases/abc/",
        "/api/v1/cases/-1/",
        # Longer than a 64-bit integer: must not reach the database.
        "/api/v1/cases/99999999999999999999999999/",
        "/api/v1/cases/9223372036854775808/history/",
        "/api/v1/cases/999999999999999999/",
    ],
)
def test_unknown_urls_and_impossible_ids_are_404_in_the_shape(agent_ept, path):
    response = client_for(agent_ept).get(path)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_method_not_allowed_is_405_in_the_shape(agent_ept):
    case = book(agent_ept)
    response = client_for(agent_ept).delete(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


def test_malformed_json_is_400(agent_ept):
    response = client_for(agent_ept).post(
        "/api/v1/cases/", data=b'{"subject": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"


def test_invalid_utf8_body_is_400(agent_ept):
    response = client_for(agent_ept).post(
        "/api/v1/cases/", data=b'{"event_number": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"


def test_form_encoded_body_is_415(agent_ept):
    response = client_for(agent_ept).post(
        "/api/v1/cases/", data="event_number=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        42,
        {"subject": "Ana"},
        {"subject": {"first_name": ["Ana"]}},
        {"demographic": {"uac": True}},
        {"relatives": {"case": 1}},
        {"relatives": [{"case": 10**30, "relation": "parent"}]},
        {"apprehended_at": "0001-01-01T00:00:00+14:00"},
        {"apprehended_at": "2026-11-22T03:10:00"},
        {"subject": {"first_name": "A\u0000na"}},
        {"subject": {"first_name": "\ud800"}},
    ],
)
def test_wrong_types_and_bad_text_are_400_and_change_nothing(agent_ept, body):
    if isinstance(body, dict):
        payload = booking()
        for key, value in body.items():
            if key == "subject" and isinstance(value, dict):
                payload["subject"] = {**payload["subject"], **value}
            else:
                payload[key] = value
    else:
        payload = body
    before = (Case.objects.count(), EventLogEntry.objects.count())
    response = client_for(agent_ept).post(
        "/api/v1/cases/", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert error(response)["code"] == "invalid"
    assert (Case.objects.count(), EventLogEntry.objects.count()) == before


@pytest.mark.parametrize(
    "query",
    [
        "state=bogus",
        "demographic=1",
        "booked_after=yesterday",
        "booked_after=0001-01-01T00:00:00%2B14:00",
        "apprehended_before=9999-12-31T23:59:59-14:00",
        "cursor=not-a-cursor",
        "cursor=eyJpZCI6IDEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDB9",
        "page_size=0",
        "page_size=10000",
        "ordering=sideways",
    ],
)
def test_bad_list_parameters_are_400(agent_ept, query):
    response = client_for(agent_ept).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400, response.content
    assert error(response)["code"] == "invalid"


def test_state_and_routing_cannot_be_set_from_input(agent_ept):
    body = booking(state="accepted", routed_to="PHO", custody_unit="PHO", booked_by=1)
    response = client_for(agent_ept).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201
    assert response.json()["state"] == "booked"
    assert response.json()["routed_to"] == "ELP"
    patch = client_for(agent_ept).patch(
        f"/api/v1/cases/{response.json()['id']}/", {"state": "accepted"}, format="json"
    )
    assert patch.status_code == 400
    assert "state" in error(patch)["fields"]


def test_per_user_rate_limit_is_429_in_the_shape(agent_ept, monkeypatch):
    monkeypatch.setattr(PerUserThrottle, "THROTTLE_RATES", {"user": "3/min"})
    client = client_for(agent_ept)
    statuses = [client.get("/api/v1/units/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/units/")
    assert error(response)["code"] == "throttled"
    assert "Retry-After" in response.headers


@pytest.mark.parametrize(
    "path", ["/api/v1/placements/99999999999999999999/", "/api/v1/movements/99999999999999999999/"]
)
def test_an_overflowing_id_on_any_api_path_is_404(manager_hq, path):
    """Views with ``<int:...>`` paths too: an id beyond 64 bits names no object."""
    response = client_for(manager_hq).get(path)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
