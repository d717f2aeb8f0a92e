"""Placement requests: the machine, who may do what, ORR's need-to-know view, and care
providers' capacity."""

from datetime import date

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.exceptions import InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from cases.models import ClockStatus, EventLogEntry, SlaClock
from tests.factories import NARRATIVE, accepted, book
from transfers import services
from transfers.models import BedCapacity, PlacementRequest, PlacementState

pytestmark = pytest.mark.django_db


def request_for(case, agent, **needs):
    return services.request_placement(
        case=case, actor=agent, needs=services.PlacementNeeds(**needs)
    )


def child_dob(years: int) -> date:
    today = timezone.localdate()
    return date(today.year - years, 1, 15)


def test_request_needs_a_uac(agent_ept, transfers_reference):
    adult = book(agent_ept)
    with pytest.raises(RuleViolation) as err:
        request_for(adult, agent_ept)
    assert [v.rule for v in err.value.violations] == ["placement_for_uac_only"]
    assert not PlacementRequest.objects.exists()


def test_only_one_open_request_per_child(agent_ept, transfers_reference):
    child = book(agent_ept, demographic="uac")
    request_for(child, agent_ept)
    with pytest.raises(InvalidTransition):
        request_for(child, agent_ept)


def test_declined_request_is_re_requested_as_a_new_request(
    agent_ept, orr_user, transfers_reference
):
    child = book(agent_ept, demographic="uac")
    first = request_for(child, agent_ept)
    orr_clock = SlaClock.objects.get(case=child, policy__name="orr_placement_answer")
    services.decline_placement(
        placement=first, actor=orr_user, reason="Sibling group must be kept together."
    )
    first.refresh_from_db()
    assert first.state == PlacementState.DECLINED
    assert first.decline_reason == "Sibling group must be kept together."
    declined = EventLogEntry.objects.get(case=child, event_type="placement.declined")
    assert declined.reason == declined.payload["reason"] == first.decline_reason
    # ORR's answer clock keeps counting from the first request: a decline does not stop it.
    orr_clock.refresh_from_db()
    assert orr_clock.stopped_at is None
    second = request_for(child, agent_ept)
    assert second.previous == first
    assert SlaClock.objects.get(pk=orr_clock.pk).started_at == orr_clock.started_at
    services.designate_placement(
        placement=second, actor=orr_user, facility=transfers_reference.get(code="ORR-CP-SAT")
    )
    orr_clock.refresh_from_db()
    assert orr_clock.status == ClockStatus.MET
    events = list(
        EventLogEntry.objects.filter(case=child, event_type__startswith="placement.")
        .order_by("id")
        .values_list("event_type", "payload__placement")
    )
    assert events == [
        ("placement.requested", first.pk),
        ("placement.declined", first.pk),
        ("placement.requested", second.pk),
        ("placement.designated", second.pk),
    ]


def test_cancelled_designation_frees_the_provider(agent_ept, orr_user, transfers_reference):
    child = book(agent_ept, demographic="uac")
    placement = request_for(child, agent_ept)
    services.designate_placement(
        placement=placement, actor=orr_user, facility=transfers_reference.get(code="ORR-CP-PHX")
    )
    services.cancel_placement(
        placement=placement, actor=agent_ept, reason="Parent located in custody; family unit."
    )
    placement.refresh_from_db()
    child.refresh_from_db()
    assert placement.state == PlacementState.CANCELLED
    assert placement.cancel_reason == "Parent located in custody; family unit."
    assert child.designated_provider is None
    assert EventLogEntry.objects.filter(case=child, event_type="placement.cancelled").exists()


def test_cancel_needs_a_reason(agent_ept, transfers_reference):
    placement = request_for(book(agent_ept, demographic="uac"), agent_ept)
    with pytest.raises(Exception) as err:
        services.cancel_placement(placement=placement, actor=agent_ept, reason="  ")
    assert err.type.__name__ == "InvalidInput"


def test_roles_and_scope(agent_ept, agent_tca, ero_elp, orr_user, transfers_reference):
    child = book(agent_ept, demographic="uac")
    with pytest.raises(OutOfScope):
        request_for(child, agent_tca)
    with pytest.raises(NotPermitted):
        request_for(child, ero_elp)
    placement = request_for(child, agent_ept)
    with pytest.raises(NotPermitted):
        services.designate_placement(
            placement=placement,
            actor=agent_ept,
            facility=transfers_reference.get(code="ORR-CP-BRO"),
        )
    with pytest.raises(OutOfScope):
        services.cancel_placement(placement=placement, actor=agent_tca, reason="not mine")


def test_placement_api_errors(api, agent_ept, agent_tca, orr_user, transfers_reference):
    child = book(agent_ept, demographic="uac")
    agent, other, orr = api(agent_ept), api(agent_tca), api(orr_user)
    assert (
        other.post(f"/api/v1/cases/{child.pk}/placement-request/", {}, format="json").json()[
            "error"
        ]["code"]
        == "not_found"
    )
    resp = orr.post(f"/api/v1/cases/{child.pk}/placement-request/", {}, format="json")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    resp = agent.post(
        f"/api/v1/cases/{child.pk}/placement-request/",
        {"needs": {"pregnant": "perhaps"}, "languages": "es"},
        format="json",
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"
    assert not PlacementRequest.objects.exists()
    placement = agent.post(f"/api/v1/cases/{child.pk}/placement-request/", {}, format="json").json()
    url = f"/api/v1/placements/{placement['id']}/"
    assert other.get(url).status_code == 404
    assert (
        agent.post(url + "designate/", {"facility": "ORR-CP-BRO"}, format="json").status_code == 403
    )
    for body in ({}, {"facility": "EPT-EPS"}, {"facility": "NOPE"}, {"facility": ["x"]}):
        resp = orr.post(url + "designate/", body, format="json")
        assert resp.status_code == 400, (body, resp.json())
    assert orr.post(url + "decline/", {"reason": ""}, format="json").status_code == 400
    assert orr.get("/api/v1/placements/?state=bogus").status_code == 400
    assert orr.get("/api/v1/placements/999999/").status_code == 404
    resp = orr.post(url + "decline/", {"reason": "No bed for a sibling group"}, format="json")
    assert resp.json()["state"] == "declined"
    resp = orr.post(url + "designate/", {"facility": "ORR-CP-BRO"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "invalid_transition"


# --- need to know -----------------------------------------------------------------------------


def test_orr_sees_only_what_placement_needs(api, agent_ept, ero_elp, orr_user, transfers_reference):
    uncle = book(agent_ept, first_name="Mateo", last_name="Cruz", a_number="A098765432")
    services.record_criminal_history_check(
        case=uncle,
        actor=agent_ept,
        status="record_found",
        summary="Alien smuggling conviction, 2019 (8 U.S.C. 1324).",
    )
    child = book(
        agent_ept,
        demographic="uac",
        first_name="Lucía",
        last_name="Cruz",
        second_last_name="Mejía",
        date_of_birth=child_dob(15),
        sex="F",
        a_number="A201234568",
    )
    case_services.link_relative(
        actor=agent_ept, case=uncle, relative_case=child, relation="other_relative"
    )
    resp = api(agent_ept).post(
        f"/api/v1/cases/{child.pk}/placement-request/",
        {
            "needs": {
                "pregnant": True,
                "disability": False,
                "medical_notes": "Second trimester; prenatal vitamins.",
                "tender_age": False,
                "travel_companions": [{"case": uncle.pk, "relation": "uncle"}],
            },
            "languages": ["es"],
            "sponsor": {
                "name": "Marta Cruz",
                "relationship": "mother",
                "phone": "+1 713 555 0199",
                "address": "1200 Main St, Houston, TX 77002",
            },
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    body = api(orr_user).get(f"/api/v1/placements/{resp.json()['id']}/").json()
    assert set(body) == {
        "id",
        "case",
        "state",
        "previous",
        "requested_at",
        "requesting_station",
        "child",
        "languages",
        "needs",
        "travel_companions",
        "sponsor",
        "facility",
        "age_band",
        "designated_at",
        "decline_reason",
        "declined_at",
        "cancel_reason",
        "cancelled_at",
    }
    assert body["child"] == {
        "first_name": "Lucía",
        "last_name": "Cruz",
        "second_last_name": "Mejía",
        "date_of_birth": child_dob(15).isoformat(),
        "sex": "F",
        "country_of_citizenship": child.subject.country_of_citizenship,
        "a_number": "201234568",
    }
    assert body["needs"] == {
        "pregnant": True,
        "disability": False,
        "medical_notes": "Second trimester; prenatal vitamins.",
        "tender_age": False,
    }
    assert body["languages"] == ["es"]
    assert body["sponsor"] == {
        "name": "Marta Cruz",
        "relationship": "mother",
        "phone": "+1 713 555 0199",
        "address": "1200 Main St, Houston, TX 77002",
    }
    assert body["requesting_station"] == "EPT-EPS"
    [companion] = body["travel_companions"]
    assert set(companion) == {"name", "relation", "criminal_history"}
    assert companion["name"].startswith("Mateo Cruz")
    assert companion["relation"] == "uncle"
    assert set(companion["criminal_history"]) == {"status", "summary", "checked_at"}
    assert companion["criminal_history"]["status"] == "record_found"
    assert "1324" in companion["criminal_history"]["summary"]
    # Nothing else of the A-file: no narrative, no companion identifiers, no apprehension.
    text = str(body)
    assert NARRATIVE[:40] not in text
    assert "098765432" not in text
    assert "apprehended_at" not in text and "event_number" not in text
    # And the case itself stays closed to ORR.
    assert api(orr_user).get(f"/api/v1/cases/{child.pk}/").status_code in (403, 404)
    assert api(orr_user).get(f"/api/v1/cases/{uncle.pk}/").status_code in (403, 404)


def test_companions_default_to_the_childs_family_links(agent_ept, transfers_reference):
    mother = book(agent_ept, first_name="Rosa", sex="F")
    child = book(agent_ept, demographic="uac")
    case_services.link_relative(
        actor=agent_ept, case=mother, relative_case=child, relation="parent"
    )
    placement = request_for(child, agent_ept)
    [companion] = placement.companions.all()
    assert companion.subject == mother.subject and companion.relation == "parent"


# --- capacity ---------------------------------------------------------------------------------


def test_designation_beyond_free_capacity_is_refused(api, agent_ept, orr_user, transfers_reference):
    provider = transfers_reference.get(code="ORR-CP-SDG")
    BedCapacity.objects.filter(provider=provider, sex="M", age_band="teen").update(beds=1)
    first = request_for(
        book(agent_ept, demographic="uac", sex="M", date_of_birth=child_dob(16)), agent_ept
    )
    second = request_for(
        book(agent_ept, demographic="uac", sex="M", date_of_birth=child_dob(15)), agent_ept
    )
    orr = api(orr_user)
    resp = orr.post(
        f"/api/v1/placements/{first.pk}/designate/", {"facility": "ORR-CP-SDG"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["age_band"] == "teen"
    resp = orr.post(
        f"/api/v1/placements/{second.pk}/designate/", {"facility": "ORR-CP-SDG"}, format="json"
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "rule_violation"
    assert [v["rule"] for v in error["violations"]] == ["care_provider_capacity"]
    second.refresh_from_db()
    assert second.state == PlacementState.REQUESTED
    assert not EventLogEntry.objects.filter(
        event_type="placement.designated", payload__placement=second.pk
    ).exists()
    sdg = next(p for p in orr.get("/api/v1/care-providers/").json() if p["code"] == "ORR-CP-SDG")
    band = next(b for b in sdg["capacity"] if (b["sex"], b["age_band"]) == ("M", "teen"))
    assert band == {"sex": "M", "age_band": "teen", "beds": 1, "occupied": 1, "free": 0}
    # A girl of the same age still finds a bed there: beds are kept by sex and age band.
    girl = request_for(
        book(agent_ept, demographic="uac", sex="F", date_of_birth=child_dob(15)), agent_ept
    )
    services.designate_placement(placement=girl, actor=orr_user, facility=provider)


def test_uac_placement_may_be_requested_before_acceptance(agent_ept, ero_elp, transfers_reference):
    child = book(agent_ept, demographic="uac")
    placement = request_for(child, agent_ept)
    assert placement.state == PlacementState.REQUESTED
    later = accepted(agent_ept, ero_elp, demographic="uac")
    assert request_for(later, agent_ept).state == PlacementState.REQUESTED
