"""The SLA API: policies, breaches, the "Top 15", clocks and extensions, in API.md's shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from cases import sla
from cases.models import EventLogEntry, SlaClock, Unit
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def test_policies_are_visible_to_managers_with_their_citations(manager_hq, agent_ept):
    resp = client_for(manager_hq).get("/api/v1/sla/policies/")
    assert resp.status_code == 200
    policies = {p["name"]: p for p in resp.json()}
    assert set(policies) == {
        "custody_determination",
        "uac_placement_request",
        "orr_placement_answer",
        "uac_transfer",
        "usbp_custody",
    }
    custody = policies["custody_determination"]
    assert custody["duration_hours"] == 48
    assert custody["warning_points"] == [0.5, 0.75]
    assert custody["citation"] == "8 CFR 287.3(d)"
    assert "case.accepted" in custody["stop_events"]
    assert custody["notify"]
    assert policies["orr_placement_answer"]["duration_hours"] == 24
    denied = client_for(agent_ept).get("/api/v1/sla/policies/")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"


def test_breaches_list_as_api_md_newest_first_and_scoped(
    agent_ept, agent_tca, manager_hq, super_ept, now
):
    older = book(agent_ept, hours_ago=60)
    newer = book(agent_ept, hours_ago=50)
    arizona = book(agent_tca, hours_ago=55)
    sla.sweep_clocks()

    resp = client_for(manager_hq).get("/api/v1/sla/breaches/")
    assert resp.status_code == 200
    rows = resp.json()
    assert isinstance(rows, list)
    assert {"case", "policy", "due_at", "breached_at", "unit"} <= set(rows[0])
    assert [(r["case"], r["policy"]) for r in rows] == [
        (newer.pk, "custody_determination"),
        (arizona.pk, "custody_determination"),
        (older.pk, "custody_determination"),
    ]
    assert rows[0]["unit"] == "EPT-EPS"
    assert datetime.fromisoformat(rows[0]["breached_at"]) == NOW - timedelta(hours=2)

    sector = client_for(super_ept).get("/api/v1/sla/breaches/").json()
    assert {r["case"] for r in sector} == {older.pk, newer.pk}
    tucson = next(r for r in rows if r["case"] == arizona.pk)
    assert tucson["timezone"] == "America/Phoenix"
    assert tucson["due_at_local"].endswith("-07:00")


@pytest.mark.parametrize("role_user", ["agent_ept", "ero_elp", "orr_user", "auditor_hq"])
def test_breaches_are_for_managers_and_supervisors_only(role_user, request):
    resp = client_for(request.getfixturevalue(role_user)).get("/api/v1/sla/breaches/")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


def test_breaches_need_a_login():
    resp = APIClient().get("/api/v1/sla/breaches/")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


def test_longest_in_custody_puts_children_first_then_longest(
    agent_ept, agent_tca, ero_elp, manager_hq, super_ept, now
):
    adult_long = book(agent_ept, hours_ago=70)
    adult_short = book(agent_ept, hours_ago=5)
    child_short = book(agent_ept, demographic="uac", hours_ago=3)
    child_long = book(agent_ept, demographic="uac", hours_ago=30)
    arizona = book(agent_tca, hours_ago=80)
    gone = factories.accepted(agent_ept, ero_elp, hours_ago=90)
    from cases import services

    services.transfer_case(case=gone, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC"))

    rows = client_for(manager_hq).get("/api/v1/sla/longest-in-custody/?limit=15").json()
    assert [r["case"] for r in rows] == [
        child_long.pk,
        child_short.pk,
        arizona.pk,
        adult_long.pk,
        adult_short.pk,
    ]
    assert rows[0]["hours_in_custody"] == 30.0
    assert rows[0]["demographic"] == "uac"
    assert datetime.fromisoformat(rows[3]["custody_due_at"]) == NOW + timedelta(hours=2)
    assert rows[2]["apprehended_at_local"].endswith("-07:00")

    sector = client_for(super_ept).get("/api/v1/sla/longest-in-custody/?limit=2").json()
    assert [r["case"] for r in sector] == [child_long.pk, child_short.pk]


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-3", "1.5"])
def test_longest_in_custody_limit_is_validated(limit, manager_hq):
    resp = client_for(manager_hq).get(f"/api/v1/sla/longest-in-custody/?limit={limit}")
    assert resp.status_code == 400
    body = resp.json()["error"]
    assert body["code"] == "invalid" and "limit" in body["fields"]


def test_case_payload_carries_its_clocks(agent_ept, now):
    case = book(agent_ept, demographic="uac", hours_ago=50)
    sla.sweep_clocks()
    data = client_for(agent_ept).get(f"/api/v1/cases/{case.pk}/").json()
    clocks = {c["policy"]: c for c in data["sla_clocks"]}
    assert set(clocks) == {
        "custody_determination",
        "uac_placement_request",
        "uac_transfer",
        "usbp_custody",
    }
    for clock in clocks.values():
        assert {"policy", "started_at", "due_at", "stopped_at", "breached_at", "status"} <= set(
            clock
        )
    assert clocks["custody_determination"]["status"] == "breached"
    assert clocks["uac_transfer"]["status"] == "running"
    assert clocks["uac_transfer"]["breached_at"] is None


def test_supervisor_extends_a_clock_through_the_api(agent_ept, super_ept, now):
    case = book(agent_ept, hours_ago=10)
    clock = case.clocks.get(policy__name="custody_determination")
    new_due = (clock.due_at + timedelta(hours=12)).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00-07:00").tzinfo
    )
    resp = client_for(super_ept).post(
        f"/api/v1/sla/clocks/{clock.pk}/extend/",
        {"new_due_at": new_due.isoformat(), "justification": "Hospital transport."},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert datetime.fromisoformat(body["due_at"]) == clock.due_at
    assert datetime.fromisoformat(body["extended_due_at"]) == new_due
    assert body["extensions"][0]["justification"] == "Hospital transport."
    assert body["extensions"][0]["granted_by"] == super_ept.username
    assert EventLogEntry.objects.filter(case=case, event_type="sla.extended").count() == 1
    shown = client_for(agent_ept).get(f"/api/v1/cases/{case.pk}/").json()["sla_clocks"]
    shown = next(c for c in shown if c["policy"] == "custody_determination")
    assert datetime.fromisoformat(shown["due_at"]) == clock.due_at


@pytest.mark.parametrize(
    "body, field",
    [
        ({"justification": "Flood"}, "new_due_at"),
        ({"new_due_at": "2026-11-30T10:00:00", "justification": "Flood"}, "new_due_at"),
        ({"new_due_at": "not a time", "justification": "Flood"}, "new_due_at"),
        ({"new_due_at": "2026-11-30T10:00:00+00:00"}, "justification"),
        ({"new_due_at": "2026-11-30T10:00:00+00:00", "justification": "   "}, "justification"),
        ({"new_due_at": "2026-11-20T10:00:00+00:00", "justification": "Too early"}, "new_due_at"),
    ],
)
def test_bad_extension_input_is_a_400_and_changes_nothing(body, field, agent_ept, super_ept, now):
    case = book(agent_ept, hours_ago=10)
    clock = case.clocks.get(policy__name="custody_determination")
    resp = client_for(super_ept).post(f"/api/v1/sla/clocks/{clock.pk}/extend/", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid"
    assert field in resp.json()["error"]["fields"]
    clock.refresh_from_db()
    assert clock.extended_due_at is None
    assert not EventLogEntry.objects.filter(case=case, event_type="sla.extended").exists()


def test_extension_by_an_agent_is_forbidden_and_out_of_scope_is_not_found(
    agent_ept, agent_tca, reference, now
):
    case = book(agent_ept, hours_ago=10)
    clock = case.clocks.get(policy__name="custody_determination")
    body = {"new_due_at": "2026-11-30T10:00:00+00:00", "justification": "Flood"}
    resp = client_for(agent_ept).post(f"/api/v1/sla/clocks/{clock.pk}/extend/", body)
    assert resp.status_code == 403
    super_tca = factories.UserFactory(role="usbp_supervisor", unit=Unit.objects.get(code="TCA"))
    resp = client_for(super_tca).post(f"/api/v1/sla/clocks/{clock.pk}/extend/", body)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    assert client_for(super_tca).get("/api/v1/sla/clocks/999999/").status_code == 404
    assert not SlaClock.objects.filter(extended_due_at__isnull=False).exists()


def test_breached_clock_extension_is_a_rule_violation(agent_ept, super_ept, now):
    case = book(agent_ept, hours_ago=50)
    clock = case.clocks.get(policy__name="custody_determination")
    resp = client_for(super_ept).post(
        f"/api/v1/sla/clocks/{clock.pk}/extend/",
        {"new_due_at": "2026-11-30T10:00:00+00:00", "justification": "Flood"},
        format="json",
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["violations"][0]["rule"] == "sla_extension_before_breach"


def test_arizona_clock_detail_shows_local_times_without_daylight_saving(reference, time_machine):
    agent = factories.UserFactory(role="usbp_agent", unit=Unit.objects.get(code="YUM-YST"))
    apprehended = datetime.fromisoformat("2026-03-07T22:30:00-07:00")
    time_machine.move_to(apprehended + timedelta(hours=1), tick=False)
    case = book(agent, hours_ago=1)
    clock = case.clocks.get(policy__name="usbp_custody")
    body = client_for(agent).get(f"/api/v1/sla/clocks/{clock.pk}/").json()
    assert body["timezone"] == "America/Phoenix"
    assert body["started_at_local"] == "2026-03-07T22:30:00-07:00"
    assert body["due_at_local"] == "2026-03-10T22:30:00-07:00"
    assert body["due_at"].replace("Z", "+00:00") == "2026-03-11T05:30:00+00:00"
