"""Each routing rule reaches exactly the queues and people who must act."""

from __future__ import annotations

import pytest

from cases import services
from cases.models import EventLogEntry, Role, Unit
from notifications.models import Channel, Delivery
from notifications.selectors import inbox_for
from tests import factories
from tests.notifications.conftest import inbox_keys, record
from transfers import reference as transfers_reference
from transfers import services as placements


def unit_key(code: str) -> str:
    return f"unit:{Unit.objects.get(code=code).pk}"


def last_event(case, event_type: str) -> EventLogEntry:
    return EventLogEntry.objects.filter(case=case, event_type=event_type).latest("id")


def test_submitted_case_reaches_the_ero_queue_of_the_routed_aor(
    agent_ept, ero_elp, ero_pho, fan_out
):
    case = factories.submitted(agent_ept)
    fan_out()
    assert inbox_keys(last_event(case, "case.submitted")) == {unit_key("ELP")}
    assert [d.event_type for d in inbox_for(ero_elp)] == ["case.submitted"]
    assert not inbox_for(ero_pho).exists()
    # Booking alone tells no one: nobody has to act yet.
    assert inbox_keys(last_event(case, "case.booked")) == set()


def test_rejected_case_reaches_the_station_and_the_submitting_agent_with_reasons(
    agent_ept, ero_elp, fan_out
):
    case = factories.submitted(agent_ept)
    services.reject_case(
        case=case, actor=ero_elp, reasons=["missing_i213", "invalid_address"], comment="Fix both"
    )
    fan_out()
    event = last_event(case, "case.rejected")
    assert inbox_keys(event) == {unit_key("EPT-EPS"), f"user:{agent_ept.pk}"}
    item = Delivery.objects.get(event=event, channel=Channel.INBOX, user=agent_ept)
    assert "Missing I-213 narrative" in item.message
    assert "Missing or invalid address" in item.message
    assert "Fix both" in item.message


def test_rejection_goes_to_the_agent_who_submitted_not_the_one_who_booked(
    agent_ept, ero_elp, fan_out
):
    colleague = factories.UserFactory(role=Role.USBP_AGENT, unit=agent_ept.unit)
    case = factories.book(agent_ept)
    services.submit_case(case=case, actor=colleague, acknowledge_warnings=True)
    services.reject_case(case=case, actor=ero_elp, reasons=["document_illegible"], comment="")
    fan_out()
    assert f"user:{colleague.pk}" in inbox_keys(last_event(case, "case.rejected"))
    assert f"user:{agent_ept.pk}" not in inbox_keys(last_event(case, "case.rejected"))


@pytest.mark.parametrize("outcome", ["accepted", "transferred", "released"])
def test_case_outcomes_reach_the_station(agent_ept, ero_elp, fan_out, outcome):
    case = factories.accepted(agent_ept, ero_elp)
    if outcome == "transferred":
        facility = Unit.objects.filter(kind="detention_facility", parent__code="ELP").first()
        services.transfer_case(case=case, actor=ero_elp, to_unit=facility)
    elif outcome == "released":
        services.release_case(
            case=case,
            actor=agent_ept,
            release_type="ror",
            address={
                "street": "1200 E Yandell Dr",
                "city": "El Paso",
                "state": "TX",
                "zip": "79902",
            },
            acknowledge_warnings=True,
        )
    fan_out()
    assert inbox_keys(last_event(case, f"case.{outcome}")) == {unit_key("EPT-EPS")}


def request_placement(agent):
    transfers_reference.load()
    case = factories.book(agent, demographic="uac")
    placement = placements.request_placement(
        case=case, actor=agent, needs=placements.PlacementNeeds()
    )
    return case, placement


def test_placement_request_reaches_orr_intake(agent_ept, orr_user, fan_out):
    case, _ = request_placement(agent_ept)
    fan_out()
    assert inbox_keys(last_event(case, "placement.requested")) == {unit_key("ORR-INTAKE")}
    assert inbox_for(orr_user).count() == 1


@pytest.mark.parametrize("answer", ["designated", "declined"])
def test_placement_answer_reaches_the_aor_and_the_station(agent_ept, orr_user, fan_out, answer):
    case, placement = request_placement(agent_ept)
    if answer == "designated":
        provider = Unit.objects.get(code="ORR-CP-BRO")
        placements.designate_placement(placement=placement, actor=orr_user, facility=provider)
    else:
        placements.decline_placement(placement=placement, actor=orr_user, reason="No bed free")
    fan_out()
    event = last_event(case, f"placement.{answer}")
    assert inbox_keys(event) == {unit_key("ELP"), unit_key("EPT-EPS")}
    message = Delivery.objects.filter(event=event).first().message
    assert ("ORR-CP-BRO" if answer == "designated" else "No bed free") in message


def test_sla_warning_reaches_only_the_unit_that_must_act(agent_ept, super_ept, fan_out):
    case = factories.submitted(agent_ept)
    record("sla.warning", case, None, policy="custody_determination", responsible_unit="ELP")
    fan_out()
    assert inbox_keys(last_event(case, "sla.warning")) == {unit_key("ELP")}


def test_sla_warning_without_a_named_unit_follows_the_policy(agent_ept, fan_out):
    case = factories.book(agent_ept, demographic="uac")
    record("sla.warning", case, None, policy="uac_placement_request")
    fan_out()
    assert inbox_keys(last_event(case, "sla.warning")) == {unit_key("EPT-EPS")}


def test_sla_breach_reaches_the_unit_its_supervisors_and_managers_in_scope(
    agent_ept, super_ept, manager_hq, fan_out
):
    other_sector_super = factories.UserFactory(
        role=Role.USBP_SUPERVISOR, unit=Unit.objects.get(code="TCA")
    )
    other_manager = factories.UserFactory(role=Role.MANAGER, unit=Unit.objects.get(code="TCA"))
    sector_manager = factories.UserFactory(role=Role.MANAGER, unit=Unit.objects.get(code="EPT"))
    case = factories.book(agent_ept)
    record("sla.breached", case, None, policy="usbp_custody", responsible_unit="EPT-EPS")
    fan_out()
    keys = inbox_keys(last_event(case, "sla.breached"))
    assert keys == {
        unit_key("EPT-EPS"),
        f"user:{super_ept.pk}",
        f"user:{manager_hq.pk}",
        f"user:{sector_manager.pk}",
    }
    assert f"user:{other_sector_super.pk}" not in keys
    assert f"user:{other_manager.pk}" not in keys


def test_routing_rules_load_from_the_fixture_through_load_extras_idempotently():
    from django.core.management import call_command

    from notifications.models import RoutingRule

    call_command("load_extras")
    call_command("load_extras")
    rules = set(RoutingRule.objects.filter(active=True).values_list("event_type", "target"))
    assert len(rules) == RoutingRule.objects.count() == 15
    assert ("case.rejected", "submitting_agent") in rules
    assert ("sla.breached", "managers") in rules
