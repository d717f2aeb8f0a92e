"""The whole UAC path through the API, as the stations, ERO and ORR drive it, with every
legal clock's status checked at each step."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases.models import EventLogEntry

pytestmark = pytest.mark.django_db


def clocks(client, case_id) -> dict[str, str]:
    resp = client.get(f"/api/v1/cases/{case_id}/")
    assert resp.status_code == 200, resp.json()
    return {c["policy"]: c["status"] for c in resp.json()["sla_clocks"]}


def age_years_ago(years: int) -> str:
    today = timezone.localdate()
    return date(today.year - years, 1, 15).isoformat()


def test_uac_path_book_to_transferred_with_every_clock(
    api, agent_ept, ero_elp, orr_user, transfers_reference
):
    agent, ero, orr = api(agent_ept), api(ero_elp), api(orr_user)

    # Book: four clocks start (48 h custody, 48 h placement request, 72 h transfer, 72 h USBP).
    resp = agent.post(
        "/api/v1/cases/",
        {
            "subject": {
                "first_name": "Ana",
                "last_name": "López",
                "second_last_name": "García",
                "date_of_birth": age_years_ago(11),
                "sex": "F",
                "country_of_citizenship": "GT",
                "a_number": "A201234567",
            },
            "event_number": "EPT2611220101",
            "apprehended_at": (timezone.now() - timedelta(hours=3)).isoformat(),
            "demographic": "uac",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    case_id = resp.json()["id"]
    booked = {
        "custody_determination": "running",
        "uac_placement_request": "running",
        "uac_transfer": "running",
        "usbp_custody": "running",
    }
    assert clocks(agent, case_id) == booked

    # Submit.
    agent.post(
        f"/api/v1/cases/{case_id}/narrative/",
        {"text": "Child encountered alone two miles west of the port; no adult present."},
        format="json",
    )
    resp = agent.post(
        f"/api/v1/cases/{case_id}/submit/", {"acknowledge_warnings": True}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert clocks(agent, case_id) == booked

    # Accept: the custody determination is made.
    resp = ero.post(f"/api/v1/cases/{case_id}/accept/", {}, format="json")
    assert resp.status_code == 200, resp.json()
    accepted = {**booked, "custody_determination": "met"}
    assert clocks(agent, case_id) == accepted

    # Placement request: the 48-hour request clock is met, ORR's 24-hour clock starts.
    resp = agent.post(
        f"/api/v1/cases/{case_id}/placement-request/",
        {
            "needs": {"pregnant": False, "disability": False, "medical_notes": ""},
            "languages": ["es", "mam"],
            "sponsor": {"name": "Rosa López", "relationship": "aunt", "phone": "+1 915 555 0101"},
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    placement = resp.json()
    assert placement["state"] == "requested" and placement["case"] == case_id
    assert placement["needs"]["tender_age"] is True
    requested = {**accepted, "uac_placement_request": "met", "orr_placement_answer": "running"}
    assert clocks(agent, case_id) == requested

    # ORR sees the request in its queue, but not the case itself.
    listed = orr.get("/api/v1/placements/?state=requested").json()["results"]
    assert [p["id"] for p in listed] == [placement["id"]]
    assert orr.get(f"/api/v1/cases/{case_id}/").status_code in (403, 404)

    # ORR sees free capacity, then designates.
    providers = {p["code"]: p for p in orr.get("/api/v1/care-providers/").json()}
    free_before = providers["ORR-CP-BRO"]["free_beds"]
    resp = orr.post(
        f"/api/v1/placements/{placement['id']}/designate/",
        {"facility": "ORR-CP-BRO"},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "designated" and resp.json()["facility"] == "ORR-CP-BRO"
    providers = {p["code"]: p for p in orr.get("/api/v1/care-providers/").json()}
    assert providers["ORR-CP-BRO"]["free_beds"] == free_before - 1
    designated = {**requested, "orr_placement_answer": "met"}
    assert clocks(agent, case_id) == designated
    assert agent.get(f"/api/v1/cases/{case_id}/").json()["designated_provider"] == "ORR-CP-BRO"

    # ERO schedules the leg with a contractor; its cost follows the contract's terms.
    resp = ero.post(
        "/api/v1/movements/",
        {
            "from_unit": "EPT-EPS",
            "to_unit": "ORR-CP-BRO",
            "cases": [case_id],
            "carrier": {"contractor": "sw-transport"},
            "scheduled_pickup_at": (timezone.now() + timedelta(hours=1)).isoformat(),
            "distance_miles": "800",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    movement = resp.json()
    # 350 per trip + 45 per person + 3.10 per mile x 800.
    assert movement["cost"] == "2875.00"
    assert movement["state"] == "scheduled"
    board = ero.get("/api/v1/movements/").json()["results"]
    assert movement["id"] in [m["id"] for m in board]
    assert movement["id"] in [m["id"] for m in agent.get("/api/v1/movements/").json()["results"]]
    assert clocks(agent, case_id) == designated

    resp = ero.post(f"/api/v1/movements/{movement['id']}/depart/", {}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "in_transit"
    assert clocks(agent, case_id) == designated

    # The care provider's side (ORR) confirms the hand-over: custody transfers.
    resp = orr.post(f"/api/v1/movements/{movement['id']}/handover/", {}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "handed_over"
    case = agent.get(f"/api/v1/cases/{case_id}/").json()
    assert case["state"] == "transferred"
    assert case["custody_unit"] == "ORR-CP-BRO"
    assert {c["policy"]: c["status"] for c in case["sla_clocks"]} == {
        **designated,
        "uac_transfer": "met",
        "usbp_custody": "met",
    }
    transfer = EventLogEntry.objects.get(case_id=case_id, event_type="case.transferred")
    assert transfer.payload["trip_number"] == movement["trip_number"]
    assert transfer.actor == orr_user
    types = list(EventLogEntry.objects.filter(case_id=case_id).values_list("event_type", flat=True))
    assert types == [
        "case.booked",
        "case.submitted",
        "case.accepted",
        "placement.requested",
        "placement.designated",
        "case.transferred",
    ]
