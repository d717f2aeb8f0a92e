"""The case state machine end to end through the services, with its event log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.exceptions import InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from cases.models import Case, CaseState, EventLogEntry, Role, Unit
from tests.factories import SubjectDataFactory, UserFactory, accepted, book

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
    """Booking is an event (``case.booked``, it starts the clocks) but not a transition of the
    diagram; the path then makes exactly five transitions, one event-log row each."""
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
    services.accept_case(case=case, actor=ero_elp, comment="Bed space at Socorro.")
    services.transfer_case(case=case, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC"))
    case.refresh_from_db()
    assert case.state == CaseState.TRANSFERRED
    assert case.submissions == 2
    assert case.custody_unit.code == "ELP-SPC"
    assert case.closed_at is not None

    rows = list(EventLogEntry.objects.filter(case=case).order_by("id"))
    # One booking event, then the five transitions and nothing else (edits such as the
    # narrative are kept by the field history, not the event log).
    assert [r.event_type for r in rows] == [
        "case.booked",
        "case.submitted",
        "case.rejected",
        "case.submitted",
        "case.accepted",
        "case.transferred",
    ]
    booked, transitions = rows[0], rows[1:]
    assert (booked.transition, booked.from_state, booked.to_state) == ("book", "", "booked")
    assert len(transitions) == 5
    eps, elp = Unit.objects.get(code="EPT-EPS"), Unit.objects.get(code="ELP")
    assert [
        (r.transition, r.from_state, r.to_state, r.actor, r.actor_role, r.actor_unit)
        for r in transitions
    ] == [
        ("submit", "booked", "submitted", agent_ept, "usbp_agent", eps),
        ("reject", "submitted", "rejected", ero_elp, "ero_officer", elp),
        ("submit", "rejected", "submitted", agent_ept, "usbp_agent", eps),
        ("accept", "submitted", "accepted", ero_elp, "ero_officer", elp),
        ("transfer", "accepted", "transferred", ero_elp, "ero_officer", elp),
    ]
    assert transitions_of(case) == [
        (r.transition, r.from_state, r.to_state, r.actor.username) for r in transitions
    ]
    # Times never go backwards, and each row says what the change was.
    assert [r.occurred_at for r in rows] == sorted(r.occurred_at for r in rows)
    reject = transitions[1]
    assert reject.reason == "Narrative lacks the place of entry."
    assert reject.payload == {"reasons": ["missing_i213", "document_illegible"], "submission": 1}
    assert [r.payload["submission"] for r in transitions if r.transition == "submit"] == [1, 2]
    assert transitions[3].reason == "Bed space at Socorro."
    assert transitions[4].payload["to_unit"] == "ELP-SPC"
    assert transitions[4].payload["from_unit"] == "EPT-EPS"


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


def test_release_of_an_adult_logs_one_row_with_the_address(agent_ept, ero_elp):
    case = accepted(agent_ept, ero_elp)
    services.release_case(case=case, actor=ero_elp, release_type="parole", address=ADDRESS)
    case.refresh_from_db()
    assert case.state == CaseState.RELEASED
    assert case.release_type == "parole" and case.closed_at is not None
    assert transitions_of(case) == [
        ("submit", "booked", "submitted", agent_ept.username),
        ("accept", "submitted", "accepted", ero_elp.username),
        ("release", "accepted", "released", ero_elp.username),
    ]
    entry = EventLogEntry.objects.get(case=case, transition="release")
    assert entry.payload["address"] == ADDRESS
    assert entry.payload["release_type"] == "parole"


@pytest.mark.parametrize("state", ["booked", "submitted", "accepted"])
def test_uac_release_is_refused_in_every_state_and_changes_nothing(agent_ept, ero_elp, state):
    case = book(agent_ept, demographic="uac")
    if state != "booked":
        services.submit_case(case=case, actor=agent_ept, acknowledge_warnings=True)
    if state == "accepted":
        services.accept_case(case=case, actor=ero_elp)
    rows = EventLogEntry.objects.count()
    with pytest.raises(RuleViolation) as err:
        services.release_case(case=case, actor=agent_ept, release_type="ror", address=ADDRESS)
    assert [(v.rule, v.level) for v in err.value.violations] == [
        ("uac_release_forbidden", "blocking")
    ]
    case.refresh_from_db()
    assert case.state == state and case.release_address is None
    assert EventLogEntry.objects.count() == rows


def test_state_machine_has_exactly_the_transitions_of_the_design():
    field = Case._meta.get_field("state")
    graph = {(t.name, t.source, t.target) for t in field.get_all_transitions(Case)}
    assert graph == {
        ("submit", "booked", "submitted"),
        ("submit", "rejected", "submitted"),
        ("accept", "submitted", "accepted"),
        ("reject", "submitted", "rejected"),
        ("transfer", "accepted", "transferred"),
        ("release", "accepted", "released"),
    }
    assert set(CaseState.values) == {
        "booked",
        "submitted",
        "rejected",
        "accepted",
        "transferred",
        "released",
    }


@pytest.mark.parametrize(
    ("reach", "action"),
    [
        ("booked", "accept"),
        ("booked", "reject"),
        ("booked", "transfer"),
        ("booked", "release"),
        ("submitted", "submit"),
        ("accepted", "submit"),
        ("accepted", "reject"),
        ("transferred", "release"),
        ("transferred", "transfer"),
    ],
)
def test_transitions_outside_the_diagram_are_refused(agent_ept, ero_elp, reach, action):
    case = book(agent_ept)
    if reach != "booked":
        services.submit_case(case=case, actor=agent_ept)
    if reach in ("accepted", "transferred"):
        services.accept_case(case=case, actor=ero_elp)
    if reach == "transferred":
        services.transfer_case(case=case, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC"))
    rows = EventLogEntry.objects.count()
    calls = {
        "submit": lambda: services.submit_case(case=case, actor=agent_ept),
        "accept": lambda: services.accept_case(case=case, actor=ero_elp),
        "reject": lambda: services.reject_case(
            case=case, actor=ero_elp, reasons=["other"], comment="x"
        ),
        "transfer": lambda: services.transfer_case(
            case=case, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC")
        ),
        "release": lambda: services.release_case(
            case=case, actor=ero_elp, release_type="ror", address=ADDRESS
        ),
    }
    with pytest.raises(InvalidTransition):
        calls[action]()
    case.refresh_from_db()
    assert case.state == reach
    assert EventLogEntry.objects.count() == rows


def test_each_subject_keeps_its_own_apprehension_time(agent_ept):
    """The event's time is only a default: auditors found 46,000 conflicting times."""
    event = "EPT2611220777"
    first = services.book_case(
        actor=agent_ept,
        subject=SubjectDataFactory(),
        event_number=event,
        apprehended_at=timezone.now() - timedelta(hours=6),
        demographic="single_adult",
    )
    own = timezone.now() - timedelta(hours=4)
    second = services.book_case(
        actor=agent_ept,
        subject=SubjectDataFactory(),
        event_number=event,
        apprehended_at=own,
        demographic="single_adult",
    )
    third = services.book_case(
        actor=agent_ept,
        subject=SubjectDataFactory(),
        event_number=event,
        apprehended_at=None,
        demographic="single_adult",
    )
    assert first.event_id == second.event_id == third.event_id
    assert second.subject.apprehended_at == own
    assert third.subject.apprehended_at == first.event.apprehended_at
    assert first.subject.apprehended_at == first.event.apprehended_at
    # The custody clock counts from each subject's own time.
    clock = second.clocks.get(policy__name="custody_determination")
    assert clock.started_at == own


SUBMIT_OUTCOMES = {
    "agent_ept": "ok",
    "super_ept": "ok",  # a sector supervisor acts across the sector's stations
    "agent_tca": OutOfScope,  # another sector: answered as absent
    "ero_elp": NotPermitted,  # sees the case (routed to ELP) but may not submit
    "ero_pho": OutOfScope,
    "orr_user": OutOfScope,  # ORR sees cases only through placement requests
    "manager_hq": NotPermitted,  # read-only
    "auditor_hq": NotPermitted,
    "partner": OutOfScope,
}
ACCEPT_OUTCOMES = {
    "ero_elp": "ok",
    "ero_pho": OutOfScope,
    "agent_ept": NotPermitted,
    "super_ept": NotPermitted,
    "agent_tca": OutOfScope,
    "orr_user": OutOfScope,
    "manager_hq": NotPermitted,
    "auditor_hq": NotPermitted,
    "partner": OutOfScope,
}


@pytest.mark.parametrize(("who", "outcome"), SUBMIT_OUTCOMES.items())
def test_submit_checks_role_and_unit(request, agent_ept, who, outcome):
    actor = request.getfixturevalue(who)
    case = book(agent_ept)
    rows = EventLogEntry.objects.count()
    if outcome == "ok":
        assert services.submit_case(case=case, actor=actor).state == CaseState.SUBMITTED
        entry = EventLogEntry.objects.get(case=case, transition="submit")
        assert (entry.actor, entry.actor_unit) == (actor, actor.unit)
        return
    with pytest.raises(outcome):
        services.submit_case(case=case, actor=actor)
    case.refresh_from_db()
    assert case.state == CaseState.BOOKED and EventLogEntry.objects.count() == rows


@pytest.mark.parametrize(("who", "outcome"), ACCEPT_OUTCOMES.items())
def test_accept_checks_role_and_unit(request, agent_ept, who, outcome):
    actor = request.getfixturevalue(who)
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    rows = EventLogEntry.objects.count()
    if outcome == "ok":
        assert services.accept_case(case=case, actor=actor).state == CaseState.ACCEPTED
        return
    with pytest.raises(outcome):
        services.accept_case(case=case, actor=actor)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and EventLogEntry.objects.count() == rows


def test_ero_officer_posted_to_a_facility_works_the_aor_queue(agent_ept):
    officer = UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="ELP-SPC"))
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    assert services.accept_case(case=case, actor=officer).state == CaseState.ACCEPTED
    entry = EventLogEntry.objects.get(case=case, transition="accept")
    assert (entry.actor_role, entry.actor_unit.code) == ("ero_officer", "ELP-SPC")


def test_a_transition_writes_every_column_it_or_its_service_changed(agent_ept, ero_elp):
    """Transitions save only the changed columns: what the service set before the transition
    (who submitted), what the transition set, and ``updated_at`` must all reach the row,
    and the field history must show the new state."""
    case = book(agent_ept)
    booked_update = Case.objects.get(pk=case.pk).updated_at
    services.submit_case(case=case.pk, actor=agent_ept)
    row = Case.objects.get(pk=case.pk)
    assert (row.state, row.submissions, row.last_submitted_by) == ("submitted", 1, agent_ept)
    assert row.updated_at > booked_update
    services.reject_case(case=case.pk, actor=ero_elp, reasons=["other"], comment="Redo page 2.")
    row = Case.objects.get(pk=case.pk)
    assert (row.last_rejection_reasons, row.last_rejection_comment) == (["other"], "Redo page 2.")
    services.submit_case(case=case.pk, actor=agent_ept)
    services.accept_case(case=case.pk, actor=ero_elp)
    row = Case.objects.get(pk=case.pk)
    assert (row.state, row.submissions, row.last_rejection_reasons) == ("accepted", 2, [])
    services.transfer_case(case=case.pk, actor=ero_elp, to_unit=Unit.objects.get(code="ELP-SPC"))
    row = Case.objects.get(pk=case.pk)
    assert (row.state, row.custody_unit.code) == ("transferred", "ELP-SPC")
    assert row.closed_at is not None
    assert [h.state for h in row.history.order_by("history_id")][-2:] == ["accepted", "transferred"]
