"""The API contract's main path, as a partner system drives it."""

import pytest
from rest_framework.test import APIClient

from cases.models import Unit

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


BOOKING = {
    "subject": {
        "first_name": "Ana",
        "last_name": "Lopez",
        "second_last_name": "Garcia",
        "date_of_birth": "1995-04-02",
        "sex": "F",
        "country_of_citizenship": "GT",
        "a_number": "A12345678",
    },
    "event_number": "EPT2611220001",
    "demographic": "single_adult",
    "family_group_number": None,
}


def test_token_login_and_unauthenticated_answer(agent_ept):
    anon = APIClient()
    resp = anon.get("/api/v1/cases/")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"
    resp = anon.post(
        "/api/v1/auth/token/",
        {"username": agent_ept.username, "password": "correct-horse-42"},
        format="json",
    )
    assert resp.status_code == 200
    token = resp.json()["token"]
    anon.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anon.get("/api/v1/cases/").status_code == 200
    bad = APIClient().post(
        "/api/v1/auth/token/", {"username": agent_ept.username, "password": "wrong"}, format="json"
    )
    assert bad.status_code in (400, 401)


def test_book_submit_accept_through_the_api(agent_ept, ero_elp):
    from django.utils import timezone

    agent = client_for(agent_ept)
    body = dict(BOOKING, apprehended_at=(timezone.now()).isoformat())
    resp = agent.post("/api/v1/cases/", body, format="json")
    assert resp.status_code == 201, resp.json()
    case = resp.json()
    assert case["state"] == "booked"
    assert case["routed_to"] == "ELP"
    assert case["subject"]["a_number"] == "012345678"
    assert case["allowed_transitions"] == ["submit"]
    assert {c["policy"] for c in case["sla_clocks"]} == {"custody_determination", "usbp_custody"}
    resp = agent.post(f"/api/v1/cases/{case['id']}/submit/", {}, format="json")
    assert resp.status_code == 422
    assert resp.json()["error"]["violations"][0]["rule"] == "i213_narrative_required"
    agent.post(
        f"/api/v1/cases/{case['id']}/narrative/",
        {"text": "Encountered two miles west of the port of entry on foot."},
        format="json",
    )
    resp = agent.post(f"/api/v1/cases/{case['id']}/submit/", {}, format="json")
    assert resp.status_code == 200 and resp.json()["state"] == "submitted"
    ero = client_for(ero_elp)
    resp = ero.get("/api/v1/cases/?state=submitted&routed_to=ELP")
    assert [c["id"] for c in resp.json()["results"]] == [case["id"]]
    resp = ero.post(f"/api/v1/cases/{case['id']}/accept/", {}, format="json")
    assert resp.status_code == 200 and resp.json()["state"] == "accepted"
    resp = ero.post(f"/api/v1/cases/{case['id']}/accept/", {}, format="json")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "invalid_transition"
    history = ero.get(f"/api/v1/cases/{case['id']}/history/").json()
    assert [(h["transition"], h["actor"]) for h in history] == [
        ("submit", agent_ept.username),
        ("accept", ero_elp.username),
    ]


def test_out_of_scope_case_is_not_found(agent_ept, agent_tca):
    from tests.factories import book

    case = book(agent_ept)
    resp = client_for(agent_tca).get(f"/api/v1/cases/{case.pk}/")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_units_filter_by_kind(agent_ept):
    resp = client_for(agent_ept).get("/api/v1/units/?kind=care_provider")
    assert resp.status_code == 200
    codes = {u["code"] for u in resp.json()}
    assert codes == set(Unit.objects.filter(kind="care_provider").values_list("code", flat=True))
    assert len(codes) >= 3
