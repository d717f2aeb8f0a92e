"""Family links followed across agencies: a child separated from a parent who goes to the
U.S. Marshals, as each side (and ORR) sees it."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases.models import EventLogEntry
from tests.factories import NARRATIVE
from transfers import services
from transfers.models import Separation, SeparationReason

pytestmark = pytest.mark.django_db


def book_via_api(client, **fields):
    subject = {
        "first_name": fields.pop("first_name"),
        "last_name": "Ramírez",
        "second_last_name": "Cruz",
        "date_of_birth": fields.pop("dob"),
        "sex": fields.pop("sex"),
        "country_of_citizenship": "HN",
    }
    body = {
        "subject": subject,
        "event_number": "EPT2611230077",
        "apprehended_at": (timezone.now() - timedelta(hours=4)).isoformat(),
        **fields,
    }
    resp = client.post("/api/v1/cases/", body, format="json")
    assert resp.status_code == 201, resp.json()
    case_id = resp.json()["id"]
    client.post(f"/api/v1/cases/{case_id}/narrative/", {"text": NARRATIVE}, format="json")
    return case_id


def test_child_separated_from_parent_sent_to_usms(
    api, agent_ept, agent_tca, ero_elp, orr_user, transfers_reference
):
    agent, ero, orr = api(agent_ept), api(ero_elp), api(orr_user)
    father = book_via_api(
        agent, first_name="José", dob="1984-02-11", sex="M", demographic="single_adult"
    )
    today = timezone.localdate()
    child = book_via_api(
        agent,
        first_name="Kevin",
        dob=date(today.year - 9, 3, 1).isoformat(),
        sex="M",
        demographic="uac",
        # Linked at booking: the child is the child of the father.
        relatives=[{"case": father, "relation": "child", "source": "declared"}],
    )
    for case_id in (father, child):
        assert (
            agent.post(
                f"/api/v1/cases/{case_id}/submit/", {"acknowledge_warnings": True}, format="json"
            ).status_code
            == 200
        )
        assert ero.post(f"/api/v1/cases/{case_id}/accept/", {}, format="json").status_code == 200

    # The father is referred for prosecution: the agent transfers him to the Marshals.
    resp = agent.post(
        f"/api/v1/cases/{father}/transfer/", {"to_unit": "USMS-TXW-ELP"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    separation = Separation.objects.get()
    assert separation.reason == SeparationReason.PROSECUTION
    assert (separation.moved_to.code, separation.relative_at.code) == ("USMS-TXW-ELP", "EPT-EPS")
    assert EventLogEntry.objects.filter(event_type="family.separated", case_id=father).exists()

    # Both sides show the separation and where the other person is now.
    for client in (agent, ero):
        [dad] = client.get(f"/api/v1/cases/{child}/relatives/").json()
        assert dad["relation"] == "parent" and dad["source"] == "declared"
        assert (dad["current_unit"], dad["custody_state"]) == ("USMS-TXW-ELP", "transferred")
        assert dad["separation"]["reason"] == "prosecution"
        assert dad["in_scope"] is True and dad["case"] == father
        [son] = client.get(f"/api/v1/cases/{father}/relatives/").json()
        assert son["relation"] == "child"
        assert (son["current_unit"], son["custody_state"]) == ("EPT-EPS", "accepted")
        assert son["separation"]["reason"] == "prosecution"

    # Another sector sees neither.
    assert api(agent_tca).get(f"/api/v1/cases/{child}/relatives/").status_code == 404

    # ORR sees the father only as the relative of a child it is asked to place.
    assert orr.get(f"/api/v1/cases/{child}/relatives/").status_code == 404
    resp = agent.post(f"/api/v1/cases/{child}/placement-request/", {}, format="json")
    assert resp.status_code == 201
    [summary] = orr.get(f"/api/v1/cases/{child}/relatives/").json()
    assert summary == {
        "relation": "parent",
        "source": "declared",
        "name": "José Ramírez",
        "current_unit": "USMS-TXW-ELP",
        "current_unit_kind": "usms_district",
        "custody_state": "transferred",
        "separation": summary["separation"],
        "in_scope": False,
        "case": None,
    }
    assert summary["separation"]["reason"] == "prosecution"
    father_subject = EventLogEntry.objects.get(
        case_id=father, event_type="case.booked"
    ).case.subject_id
    child_subject = EventLogEntry.objects.get(
        case_id=child, event_type="case.booked"
    ).case.subject_id
    assert orr.get(f"/api/v1/cases/{father}/relatives/").status_code == 404
    assert orr.get(f"/api/v1/subjects/{father_subject}/relatives/").status_code == 404
    assert orr.get(f"/api/v1/subjects/{child_subject}/relatives/").json() == [summary]
    # The father's placement companion summary names him, and no check was recorded yet.
    placement = orr.get("/api/v1/placements/").json()["results"][0]
    assert placement["travel_companions"][0]["criminal_history"]["status"] == "not_checked"


def test_family_moving_together_is_not_separated(agent_ept, ero_elp, transfers_reference):
    from cases import services as case_services
    from tests.factories import accepted
    from transfers.models import Contractor

    mother = accepted(agent_ept, ero_elp, first_name="Rosa", sex="F")
    son = accepted(agent_ept, ero_elp, first_name="Brayan")
    case_services.link_relative(actor=agent_ept, case=mother, relative_case=son, relation="parent")
    movement = services.schedule_movement(
        actor=ero_elp,
        from_unit=mother.custody_unit,
        to_unit=transfers_reference.get(code="ELP-SPC"),
        cases=[mother, son],
        scheduled_pickup_at=timezone.now() + timedelta(hours=1),
        contractor=Contractor.objects.get(code="sw-transport"),
    )
    services.depart_movement(movement=movement, actor=ero_elp)
    services.confirm_handover(movement=movement, actor=ero_elp)
    assert not Separation.objects.exists()


ADDRESS = {"street": "1200 Main St", "city": "Houston", "state": "TX", "zip": "77002"}
OTHER_ADDRESS = {"street": "45 Elm St", "city": "Dallas", "state": "TX", "zip": "75201"}


def _linked_family(agent, officer):
    from cases import services as case_services
    from tests.factories import accepted

    mother = accepted(agent, officer, first_name="Rosa", sex="F", family_group_number=None)
    son = accepted(agent, officer, first_name="Brayan")
    case_services.link_relative(actor=agent, case=mother, relative_case=son, relation="parent")
    return mother, son


def _release(case, agent, address):
    from cases import services as case_services

    return case_services.release_case(
        case=case, actor=agent, release_type="ror", address=address, acknowledge_warnings=True
    )


def test_family_released_to_one_address_is_not_separated(agent_ept, ero_elp, transfers_reference):
    mother, son = _linked_family(agent_ept, ero_elp)
    _release(mother, agent_ept, ADDRESS)
    _release(son, agent_ept, ADDRESS)
    assert not Separation.objects.exists()


def test_released_apart_or_detained_apart_is_a_separation(agent_ept, ero_elp, transfers_reference):
    from cases import services as case_services

    mother, son = _linked_family(agent_ept, ero_elp)
    _release(mother, agent_ept, ADDRESS)
    # The son is still at the station: nothing is known yet.
    assert not Separation.objects.exists()
    case_services.transfer_case(
        case=son, actor=ero_elp, to_unit=transfers_reference.get(code="ELP-SPC")
    )
    separation = Separation.objects.get()
    assert separation.reason == SeparationReason.DETENTION
    assert separation.moved_case_id == son.pk
    assert separation.relative_at.code == "EPT-EPS"
