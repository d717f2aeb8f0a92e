"""The in-app inbox over the API: per user and per unit queue, unread counts, mark read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases import services
from cases.models import Role, Unit
from tests import factories


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rejected_case(agent_ept, ero_elp, fan_out):
    case = factories.submitted(agent_ept)
    services.reject_case(case=case, actor=ero_elp, reasons=["missing_i213"], comment="")
    fan_out()
    return case


def test_inbox_lists_own_and_queue_items_newest_first(agent_ept, rejected_case):
    body = client_for(agent_ept).get("/api/v1/notifications/").json()
    assert [item["event_type"] for item in body] == ["case.rejected", "case.rejected"]
    assert {item["queue"] for item in body} == {None, "EPT-EPS"}
    item = body[0]
    assert set(item) >= {"id", "event_type", "case", "created_at", "read_at", "message"}
    assert item["case"] == rejected_case.pk and item["read_at"] is None


def test_unread_count_drops_when_an_item_is_read(agent_ept, rejected_case):
    client = client_for(agent_ept)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    own = next(i for i in client.get("/api/v1/notifications/").json() if i["queue"] is None)
    answer = client.post(f"/api/v1/notifications/{own['id']}/read/")
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    # Reading twice changes nothing.
    again = client.post(f"/api/v1/notifications/{own['id']}/read/").json()
    assert again["read_at"] == answer.json()["read_at"]
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert [i["queue"] for i in unread] == ["EPT-EPS"]


def test_a_queue_item_read_by_one_member_is_acknowledged_for_the_queue(agent_ept, rejected_case):
    colleague = factories.UserFactory(role=Role.USBP_AGENT, unit=agent_ept.unit)
    queue_item = client_for(colleague).get("/api/v1/notifications/").json()
    assert len(queue_item) == 1  # the colleague did not submit: only the station queue
    client_for(colleague).post(f"/api/v1/notifications/{queue_item[0]['id']}/read/")
    assert client_for(agent_ept).get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_another_users_notification_answers_404_and_stays_unread(
    agent_ept, agent_tca, rejected_case
):
    item = client_for(agent_ept).get("/api/v1/notifications/").json()[0]
    answer = client_for(agent_tca).post(f"/api/v1/notifications/{item['id']}/read/")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    huge = client_for(agent_tca).post("/api/v1/notifications/99999999999999999999999/read/")
    assert huge.status_code == 404
    assert client_for(agent_ept).get("/api/v1/notifications/unread-count/").json()["unread"] == 2


def test_inbox_needs_login_and_refuses_bad_input(agent_ept):
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    answer = client_for(agent_ept).get("/api/v1/notifications/?limit=abc")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"


def test_an_ero_officer_at_a_facility_reads_the_aor_queue(agent_ept, fan_out):
    facility = Unit.objects.filter(kind="detention_facility", parent__code="ELP").first()
    officer = factories.UserFactory(role=Role.ERO_OFFICER, unit=facility)
    factories.submitted(agent_ept)
    fan_out()
    body = client_for(officer).get("/api/v1/notifications/").json()
    assert [i["queue"] for i in body] == ["ELP"]


def test_email_preference_is_the_callers_own(agent_ept):
    client = client_for(agent_ept)
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_mode": "immediate"}
    assert client.put(
        "/api/v1/notifications/preferences/", {"email_mode": "hourly"}, format="json"
    ).json() == {"email_mode": "hourly"}
    bad = client.put("/api/v1/notifications/preferences/", {"email_mode": "x"}, format="json")
    assert bad.status_code == 400
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_mode": "hourly"}
