"""The case state machine end to end through the services, with its event log."""

import pytest

from cases import services
from cases.exceptions import InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from cases.models import CaseState, EventLogEntry, Unit
from tests.factories import accepted, book

pytestmark = pytest.mark.django_db

ADDRESS = {
    "street": "1600 Pennsylvania Ave NW",
    "city": "Washington",
    "state": "DC",
    "zip": "20500",
}


def transitions_of(case):
    return list(
        EventLogEntry.objects.filter(case=case)
        .exclude(transition__in=["book", "edit"])
        .values_list("transition", "from_state", "to_state", "actor__username")
    )


def test_full_path_booked_rejected_resubmitted_accepted_transferred(agent_ept, ero_elp):
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    services.reject_case(
        case=case,
        actor=ero_elp,
        reasons=["missing_i213", "document_illegible"],
        comment="Narrative lacks the place of entry.",
    )
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    assert case.last_rejection_reasons == ["missing_i213", "document_illegible"]
    services.set_narrative(
        case=case,
        actor=agent_ept,
        text="Entered two miles west of the Paso del Norte port on foot.",
    )
    services.submit_case(case=case, actor=agent_ept)
    services.accept_case(case=case, actor=ero_elp)
    services.transfer_case(case=case, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC"))
    case.refresh_from_db()
    assert case.state == CaseState.TRANSFERRED
    assert case.submissions == 2
    assert case.custody_unit.code == "ELP-SPC"
    u_agent, u_ero = agent_ept.username, ero_elp.username
    assert transitions_of(case) == [
        ("submit", "booked", "submitted", u_agent),
        ("reject", "submitted", "rejected", u_ero),
        ("submit", "rejected", "submitted", u_agent),
        ("accept", "submitted", "accepted", u_ero),
        ("transfer", "accepted", "transferred", u_ero),
    ]
    rows = EventLogEntry.objects.filter(case=case, transition="reject").get()
    assert rows.actor_role == "ero_officer" and rows.actor_unit.code == "ELP"
    assert rows.payload["reasons"] == ["missing_i213", "document_illegible"]


def test_adult_is_released_to_a_valid_address(agent_ept, ero_elp):
    case = accepted(agent_ept, ero_elp)
    services.release_case(case=case, actor=agent_ept, release_type="ror", address=ADDRESS)
    case.refresh_from_db()
    assert case.state == CaseState.RELEASED
    assert case.release_address["state"] == "DC"
    entry = EventLogEntry.objects.get(case=case, transition="release")
    assert (entry.from_state, entry.to_state) == ("accepted", "released")


def test_uac_cannot_be_released(agent_ept, ero_elp):
    case = accepted(agent_ept, ero_elp, demographic="uac")
    with pytest.raises(RuleViolation) as err:
        services.release_case(case=case, actor=ero_elp, release_type="parole", address=ADDRESS)
    assert [v.rule for v in err.value.violations] == ["uac_release_forbidden"]
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    assert not EventLogEntry.objects.filter(case=case, transition="release").exists()


def test_state_field_is_protected(agent_ept):
    case = book(agent_ept)
    with pytest.raises(AttributeError):
        case.state = CaseState.ACCEPTED


def test_accept_twice_is_an_invalid_transition(agent_ept, ero_elp):
    case = accepted(agent_ept, ero_elp)
    with pytest.raises(InvalidTransition):
        services.accept_case(case=case, actor=ero_elp)


def test_only_the_routed_aor_may_accept(agent_ept, ero_pho):
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    with pytest.raises(OutOfScope):
        services.accept_case(case=case, actor=ero_pho)


def test_agent_may_not_accept_own_case(agent_ept):
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    with pytest.raises(NotPermitted):
        services.accept_case(case=case, actor=agent_ept)


def test_agent_of_another_sector_cannot_submit(agent_ept, agent_tca):
    case = book(agent_ept)
    with pytest.raises(OutOfScope):
        services.submit_case(case=case, actor=agent_tca)
    case.refresh_from_db()
    assert case.state == CaseState.BOOKED


def test_booking_routes_by_sector_table(agent_tca):
    case = book(agent_tca)
    assert (case.sector.code, case.routed_to.code) == ("TCA", "PHO")


def test_case_keeps_field_history(agent_ept):
    case = book(agent_ept)
    services.update_case(case=case, actor=agent_ept, changes={"first_name": "Juana"})
    history = case.subject.history.order_by("history_date")
    assert [h.first_name for h in history][-1] == "Juana"
    assert history.count() >= 2
