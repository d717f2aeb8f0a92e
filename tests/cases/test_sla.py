"""The five legal clocks: start, stop, warnings at 50 % and 75 %, one breach, extensions.

Time moves with time-machine and the sweep runs in-process, exactly as beat would call it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from cases import services, sla
from cases.exceptions import InvalidInput, InvalidTransition, NotPermitted, RuleViolation
from cases.models import Case, ClockStatus, EventLogEntry, SlaClock, SlaExtension, Unit
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # the subject's own apprehension time
BOOKED = T0 + timedelta(hours=1)
HOUR = timedelta(hours=1)

POLICIES = [
    "custody_determination",
    "uac_placement_request",
    "orr_placement_answer",
    "uac_transfer",
    "usbp_custody",
]
ADULT_POLICIES = {"custody_determination", "usbp_custody"}


def placement_event(case: Case, event_type: str) -> None:
    """What the placement flow records when a request is sent or a provider designated."""
    with transaction.atomic():
        services.record_event(event_type=event_type, case=case, actor=None, payload={})


def start(policy: str, agent, time_machine) -> SlaClock:
    time_machine.move_to(BOOKED, tick=False)
    demographic = "single_adult" if policy in ADULT_POLICIES else "uac"
    case = book(agent, demographic=demographic, hours_ago=1)
    if policy == "orr_placement_answer":
        placement_event(case, "placement.requested")
    return SlaClock.objects.select_related("policy").get(case=case, policy__name=policy)


def stop(policy: str, case: Case, agent, officer) -> None:
    """Make the transition or placement change that stops ``policy``'s clock."""
    case.refresh_from_db()
    if policy == "uac_placement_request":
        placement_event(case, "placement.requested")
        return
    if policy == "orr_placement_answer":
        placement_event(case, "placement.designated")
        return
    services.submit_case(case=case, actor=agent, acknowledge_warnings=True)
    services.accept_case(case=case, actor=officer)
    if policy == "custody_determination":
        return
    if policy == "uac_transfer":
        provider = Unit.objects.get(code="ORR-CP-SAT")
        Case.objects.filter(pk=case.pk).update(designated_provider=provider)
        services.transfer_case(case=case, actor=officer, to_unit=provider)
        return
    services.transfer_case(case=case, actor=officer, to_unit=Unit.objects.get(code="ELP-SPC"))


def clock_events(clock: SlaClock, event_type: str | None = None):
    qs = EventLogEntry.objects.filter(case=clock.case_id, payload__clock=clock.pk)
    if event_type:
        qs = qs.filter(event_type=event_type)
    return qs


def at_fraction(clock: SlaClock, fraction: float) -> datetime:
    return clock.started_at + (clock.due_at - clock.started_at) * fraction


# --- start -----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_clock_starts_with_its_transition_and_counts_from_the_law_anchor(
    policy, agent_ept, time_machine
):
    clock = start(policy, agent_ept, time_machine)
    expected_start = BOOKED if policy == "orr_placement_answer" else T0
    assert clock.started_at == expected_start
    assert clock.due_at - clock.started_at == clock.policy.duration
    assert clock.effective_due_at == clock.due_at
    assert clock.status == ClockStatus.RUNNING and clock.stopped_at is None
    assert clock.next_check_at == at_fraction(clock, 0.5)


def test_adult_case_gets_only_the_adult_clocks(agent_ept, time_machine):
    time_machine.move_to(BOOKED, tick=False)
    case = book(agent_ept, hours_ago=1)
    assert set(case.clocks.values_list("policy__name", flat=True)) == ADULT_POLICIES


def test_uac_clocks_count_from_the_subjects_own_apprehension_time(agent_ept, time_machine):
    """Two children of one event, apprehended an hour apart: each clock is their own."""
    time_machine.move_to(BOOKED, tick=False)
    first = book(agent_ept, demographic="uac", hours_ago=1, event_number="EPT2611200001")
    second = book(agent_ept, demographic="uac", hours_ago=3, event_number="EPT2611200001")
    assert first.event_id == second.event_id
    due = {
        c.case_id: c.due_at
        for c in SlaClock.objects.filter(policy__name="uac_transfer", case__in=[first, second])
    }
    assert due[first.pk] == T0 + 72 * HOUR
    assert due[second.pk] == T0 - 2 * HOUR + 72 * HOUR


# --- warnings and breach -------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_warnings_at_half_and_three_quarters_then_exactly_one_breach(
    policy, agent_ept, time_machine
):
    clock = start(policy, agent_ept, time_machine)

    time_machine.move_to(at_fraction(clock, 0.5) - timedelta(minutes=1), tick=False)
    sla.sweep_clocks()
    assert not clock_events(clock).exists()

    time_machine.move_to(at_fraction(clock, 0.5), tick=False)
    sla.sweep_clocks()
    sla.sweep_clocks()  # a second sweeper (or a retried task) changes nothing
    warnings = list(clock_events(clock, "sla.warning"))
    assert [w.payload["point"] for w in warnings] == [0.5]
    assert warnings[0].actor is None and warnings[0].payload["policy"] == policy
    assert warnings[0].payload["citation"] == clock.policy.citation

    time_machine.move_to(at_fraction(clock, 0.75), tick=False)
    sla.sweep_clocks()
    assert [w.payload["point"] for w in clock_events(clock, "sla.warning")] == [0.5, 0.75]

    time_machine.move_to(clock.due_at - timedelta(seconds=1), tick=False)
    sla.sweep_clocks()
    assert not clock_events(clock, "sla.breached").exists()

    time_machine.move_to(clock.due_at + timedelta(seconds=30), tick=False)
    sla.sweep_clocks()
    time_machine.move_to(clock.due_at + 5 * HOUR, tick=False)
    sla.sweep_clocks()
    clock.refresh_from_db()
    assert clock.status == ClockStatus.BREACHED
    assert clock.breached_at == clock.due_at
    assert clock.stopped_at is None and clock.next_check_at is None
    breach = clock_events(clock, "sla.breached").get()
    assert breach.occurred_at == clock.due_at + timedelta(seconds=30)
    assert clock_events(clock).count() == 3


@pytest.mark.parametrize("policy", POLICIES)
def test_clock_stopped_in_time_is_met_and_never_breaches(policy, agent_ept, ero_elp, time_machine):
    clock = start(policy, agent_ept, time_machine)
    stop_at = at_fraction(clock, 0.4)
    time_machine.move_to(stop_at, tick=False)
    stop(policy, clock.case, agent_ept, ero_elp)
    clock.refresh_from_db()
    assert clock.status == ClockStatus.MET
    assert clock.stopped_at == stop_at and clock.breached_at is None
    time_machine.move_to(clock.due_at + HOUR, tick=False)
    sla.sweep_clocks()
    assert not clock_events(clock).exists()


@pytest.mark.parametrize("policy", POLICIES)
def test_clock_met_after_an_extension(policy, agent_ept, ero_elp, super_ept, time_machine):
    clock = start(policy, agent_ept, time_machine)
    original_due = clock.due_at
    new_due = original_due + 12 * HOUR
    time_machine.move_to(at_fraction(clock, 0.6), tick=False)
    sla.extend_clock(
        clock=clock,
        actor=super_ept,
        new_due_at=new_due,
        justification="Medical emergency at the station; hospital transport of the subject.",
    )
    time_machine.move_to(original_due + HOUR, tick=False)
    sla.sweep_clocks()
    assert not clock_events(clock, "sla.breached").exists()

    time_machine.move_to(original_due + 2 * HOUR, tick=False)
    stop(policy, clock.case, agent_ept, ero_elp)
    clock.refresh_from_db()
    assert clock.status == ClockStatus.MET
    assert clock.due_at == original_due  # the original legal due time stays
    assert clock.extended_due_at == new_due == clock.effective_due_at
    extension = SlaExtension.objects.get(clock=clock)
    assert (extension.previous_due_at, extension.new_due_at) == (original_due, new_due)
    assert extension.granted_by == super_ept
    logged = clock_events(clock, "sla.extended").get()
    assert logged.actor == super_ept and "Medical emergency" in logged.reason
    assert logged.payload["due_at"] == original_due.isoformat()
    assert logged.payload["new_due_at"] == new_due.isoformat()


def test_extended_clock_still_breaches_at_the_new_due_time(agent_ept, super_ept, time_machine):
    clock = start("custody_determination", agent_ept, time_machine)
    new_due = clock.due_at + 6 * HOUR
    time_machine.move_to(at_fraction(clock, 0.9), tick=False)
    sla.extend_clock(clock=clock, actor=super_ept, new_due_at=new_due, justification="Flood.")
    time_machine.move_to(new_due + timedelta(minutes=1), tick=False)
    sla.sweep_clocks()
    clock.refresh_from_db()
    assert clock.breached_at == new_due and clock.due_at == new_due - 6 * HOUR
    assert clock_events(clock, "sla.breached").count() == 1


def test_clock_stopped_late_before_any_sweep_records_its_breach_once(
    agent_ept, ero_elp, time_machine
):
    clock = start("custody_determination", agent_ept, time_machine)
    time_machine.move_to(clock.due_at + 3 * HOUR, tick=False)
    stop("custody_determination", clock.case, agent_ept, ero_elp)
    clock.refresh_from_db()
    assert clock.status == ClockStatus.BREACHED and clock.breached_at == clock.due_at
    breach = clock_events(clock, "sla.breached").get()
    assert breach.payload["detected_by"] == "stop"
    sla.sweep_clocks()
    assert clock_events(clock, "sla.breached").count() == 1


def test_case_booked_after_the_limit_breaches_once_without_stale_warnings(agent_ept, time_machine):
    time_machine.move_to(BOOKED, tick=False)
    case = book(agent_ept, hours_ago=49)
    result = sla.sweep_clocks()
    clock = case.clocks.get(policy__name="custody_determination")
    assert [e.event_type for e in clock_events(clock)] == ["sla.breached"]
    assert clock_events(clock).get().payload["superseded_warnings"] == [0.5, 0.75]
    # usbp_custody (72 h) is at 68 %: one warning, the 50 % point.
    custody = case.clocks.get(policy__name="usbp_custody")
    assert [e.payload["point"] for e in clock_events(custody)] == [0.5]
    assert (result.breaches, result.warnings) == (1, 1)


def test_corrected_apprehension_time_moves_the_running_clocks(agent_ept, time_machine):
    time_machine.move_to(BOOKED, tick=False)
    case = book(agent_ept, hours_ago=1)
    services.update_case(case=case, actor=agent_ept, changes={"apprehended_at": T0 - 30 * HOUR})
    clock = case.clocks.get(policy__name="custody_determination")
    assert clock.due_at == T0 + 18 * HOUR
    sla.sweep_clocks()
    assert [e.payload["point"] for e in clock_events(clock)] == [0.5]


# --- extensions: who, why, when -----------------------------------------------------------


def test_only_supervisors_in_scope_may_extend(
    agent_ept, super_ept, manager_hq, reference, time_machine
):
    clock = start("usbp_custody", agent_ept, time_machine)
    time_machine.move_to(BOOKED + HOUR, tick=False)
    later = clock.due_at + HOUR
    with pytest.raises(NotPermitted):
        sla.extend_clock(clock=clock, actor=agent_ept, new_due_at=later, justification="x")
    super_yum = factories.UserFactory(role="usbp_supervisor", unit=Unit.objects.get(code="YUM"))
    from cases.exceptions import OutOfScope

    with pytest.raises(OutOfScope):
        sla.extend_clock(clock=clock, actor=super_yum, new_due_at=later, justification="x")
    # Managers keep read-only dashboards (DESIGN.md): they watch the clocks, never move them.
    with pytest.raises(NotPermitted):
        sla.extend_clock(clock=clock, actor=manager_hq, new_due_at=later, justification="x")
    sla.extend_clock(clock=clock, actor=super_ept, new_due_at=later, justification="Storm.")
    assert SlaExtension.objects.filter(clock=clock).count() == 1


def test_extension_needs_a_justification_and_a_later_time(agent_ept, super_ept, time_machine):
    clock = start("usbp_custody", agent_ept, time_machine)
    with pytest.raises(InvalidInput) as err:
        sla.extend_clock(
            clock=clock, actor=super_ept, new_due_at=clock.due_at + HOUR, justification="  "
        )
    assert "justification" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        sla.extend_clock(
            clock=clock, actor=super_ept, new_due_at=clock.due_at - HOUR, justification="Flood"
        )
    assert "new_due_at" in err.value.fields
    clock.refresh_from_db()
    assert clock.extended_due_at is None
    assert not SlaExtension.objects.exists()
    assert not clock_events(clock).exists()


def test_breached_or_stopped_clock_cannot_be_extended(agent_ept, ero_elp, super_ept, time_machine):
    clock = start("custody_determination", agent_ept, time_machine)
    time_machine.move_to(clock.due_at + HOUR, tick=False)
    sla.sweep_clocks()
    with pytest.raises(RuleViolation):
        sla.extend_clock(
            clock=clock, actor=super_ept, new_due_at=clock.due_at + 9 * HOUR, justification="x"
        )
    stop("custody_determination", clock.case, agent_ept, ero_elp)
    with pytest.raises(InvalidTransition):
        sla.extend_clock(
            clock=clock, actor=super_ept, new_due_at=clock.due_at + 9 * HOUR, justification="x"
        )


# --- time zones ------------------------------------------------------------------------------


def test_clock_across_spring_forward_is_due_after_48_elapsed_hours(agent_ept, time_machine):
    # El Paso (America/Denver) springs forward on 8 March 2026 at 02:00 local time.
    apprehended = datetime.fromisoformat("2026-03-07T10:00:00-07:00")
    time_machine.move_to(apprehended + HOUR, tick=False)
    case = book(agent_ept, hours_ago=1)
    clock = case.clocks.get(policy__name="custody_determination")
    assert clock.due_at - clock.started_at == timedelta(hours=48)
    # 48 elapsed hours are 49 hours on the station's wall clock.
    assert sla.local_time(clock.started_at, case.station) == "2026-03-07T10:00:00-07:00"
    assert sla.local_time(clock.due_at, case.station) == "2026-03-09T11:00:00-06:00"
    time_machine.move_to(datetime.fromisoformat("2026-03-09T10:59:00-06:00"), tick=False)
    sla.sweep_clocks()
    assert not clock_events(clock, "sla.breached").exists()
    time_machine.move_to(datetime.fromisoformat("2026-03-09T11:00:00-06:00"), tick=False)
    sla.sweep_clocks()
    assert clock_events(clock, "sla.breached").count() == 1


def test_clock_across_fall_back_is_due_after_48_elapsed_hours(agent_ept, time_machine):
    # Back to standard time on 1 November 2026 at 02:00 local time.
    apprehended = datetime.fromisoformat("2026-10-31T10:00:00-06:00")
    time_machine.move_to(apprehended + HOUR, tick=False)
    case = book(agent_ept, hours_ago=1)
    clock = case.clocks.get(policy__name="custody_determination")
    assert clock.due_at - clock.started_at == timedelta(hours=48)
    assert sla.local_time(clock.due_at, case.station) == "2026-11-02T09:00:00-07:00"


@pytest.mark.parametrize("station", ["TCA-NGL", "YUM-YST"])
def test_arizona_sectors_keep_utc_minus_seven_across_the_dst_change(
    station, reference, time_machine
):
    agent = factories.UserFactory(role="usbp_agent", unit=Unit.objects.get(code=station))
    apprehended = datetime.fromisoformat("2026-03-07T10:00:00-07:00")
    time_machine.move_to(apprehended + HOUR, tick=False)
    case = book(agent, hours_ago=1)
    assert case.station.timezone == "America/Phoenix"
    clock = case.clocks.get(policy__name="custody_determination")
    assert sla.local_time(clock.started_at, case.station) == "2026-03-07T10:00:00-07:00"
    # Arizona does not spring forward: 48 elapsed hours are 48 wall-clock hours.
    assert sla.local_time(clock.due_at, case.station) == "2026-03-09T10:00:00-07:00"
