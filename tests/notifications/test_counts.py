"""One unaccompanied child from booking to transfer to ORR: one notification per queue that
must act at each step, and no e-mail to anyone who need not act."""

from __future__ import annotations

from collections import Counter

from cases import services
from cases.models import EventLogEntry, Role, Unit
from notifications.models import Channel, Delivery
from tests import factories
from transfers import reference as transfers_reference
from transfers import services as placements


def test_one_uac_placement_notifies_exactly_who_must_act(
    agent_ept, agent_tca, super_ept, ero_elp, ero_pho, orr_user, manager_hq, fan_out, mailoutbox
):
    addresses = {"EPT-EPS": "eps-station@example.gov", "ELP": "ero-elp@example.gov"}
    addresses["ORR-INTAKE"] = "orr-intake@example.gov"
    for code, email in addresses.items():
        Unit.objects.filter(code=code).update(email=email)
    factories.UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="SNA"))
    transfers_reference.load()
    provider = Unit.objects.get(code="ORR-CP-BRO")

    case = factories.book(agent_ept, demographic="uac")
    placement = placements.request_placement(
        case=case, actor=agent_ept, needs=placements.PlacementNeeds()
    )
    placements.designate_placement(placement=placement, actor=orr_user, facility=provider)
    case.refresh_from_db()
    case = services.submit_case(case=case, actor=agent_ept, acknowledge_warnings=True)
    case = services.accept_case(case=case, actor=ero_elp)
    case = services.transfer_case(case=case, actor=ero_elp, to_unit=provider)
    fan_out()
    fan_out()  # a second run (a redelivered task, the catch-up) adds nothing

    inbox = Delivery.objects.filter(channel=Channel.INBOX)
    per_event = Counter(inbox.values_list("event_type", "unit__code"))
    assert per_event == {
        ("placement.requested", "ORR-INTAKE"): 1,
        ("placement.designated", "ELP"): 1,
        ("placement.designated", "EPT-EPS"): 1,
        ("case.submitted", "ELP"): 1,
        ("case.accepted", "EPT-EPS"): 1,
        ("case.transferred", "EPT-EPS"): 1,
    }
    assert not inbox.filter(user__isnull=False).exists()  # no person was named: queues act
    assert EventLogEntry.objects.filter(case=case).count() == 6  # booking tells no one

    sent_to = Counter(address for mail in mailoutbox for address in mail.to)
    assert sent_to == {
        "orr-intake@example.gov": 1,
        "ero-elp@example.gov": 2,
        "eps-station@example.gov": 3,
    }
    people = [agent_ept, agent_tca, super_ept, ero_elp, ero_pho, orr_user, manager_hq]
    assert not set(sent_to) & {p.email for p in people}
