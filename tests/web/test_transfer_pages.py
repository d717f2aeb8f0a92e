"""The UAC placement, ORR and movement pages, and the inbox: each form goes through the
transfers or notifications service; ORR sees only what placement needs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import CaseState, EventLogEntry, Unit
from tests import factories
from transfers.models import Movement, MovementState, PlacementRequest, PlacementState

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")


@pytest.fixture
def uac(agent_ept, ero_elp, transfers_reference):
    return factories.accepted(agent_ept, ero_elp, demographic="uac", a_number="201234567")


@pytest.fixture
def transfers_reference(reference):
    from transfers.models import BedCapacity
    from transfers.reference import load

    if not BedCapacity.objects.exists():
        load()
    return reference


def request_placement(client, case):
    return client.post(
        reverse("web:placement-request", args=[case.pk]),
        {
            "languages": "Spanish, Mam",
            "medical_notes": "Asthma; inhaler with her.",
            "sponsor_name": "Rosa López",
            "sponsor_relationship": "aunt",
            "sponsor_phone": "+1 915 555 0101",
        },
    )


def test_agent_requests_placement_from_the_packet_page(login, agent_ept, uac):
    client = login(agent_ept)
    page = client.get(reverse("web:case", args=[uac.pk])).text
    assert "Request ORR placement" in page
    response = request_placement(client, uac)
    assert response.status_code == 302
    placement = PlacementRequest.objects.get(case=uac)
    assert placement.state == PlacementState.REQUESTED
    assert placement.languages == ["Spanish", "Mam"]
    assert placement.sponsor["relationship"] == "aunt"
    assert EventLogEntry.objects.filter(case=uac, event_type="placement.requested").count() == 1
    # A second request while one is open is refused and changes nothing.
    response = request_placement(client, uac)
    assert PlacementRequest.objects.filter(case=uac).count() == 1
    page = client.get(reverse("web:case", args=[uac.pk])).text
    assert "Request ORR placement" not in page


def test_an_adult_gets_no_placement_request(login, agent_ept, ero_elp, transfers_reference):
    adult = factories.accepted(agent_ept, ero_elp)
    response = request_placement(login(agent_ept), adult)
    assert response.status_code == 422
    assert "Only an unaccompanied child" in response.text
    assert not PlacementRequest.objects.exists()


def test_orr_sees_the_queue_and_only_what_placement_needs(login, agent_ept, orr_user, uac):
    request_placement(login(agent_ept), uac)
    placement = PlacementRequest.objects.get(case=uac)
    client = login(orr_user)
    queue = client.get(reverse("web:orr-queue")).text
    assert uac.subject.first_name in queue
    assert "24 h" in queue or "23 h" in queue
    page = client.get(reverse("web:orr-placement", args=[placement.pk])).text
    assert "Rosa López" in page
    assert "Asthma" in page
    assert "free of" in page  # capacity shown per provider
    # Not the A-file: no narrative, no event number, no link to the case.
    assert factories.NARRATIVE[:40] not in page
    assert uac.event.event_number not in page
    assert reverse("web:case", args=[uac.pk]) not in page
    # ...and the case itself stays out of reach.
    assert client.get(reverse("web:case", args=[uac.pk])).status_code == 403


def test_orr_designates_with_capacity_and_declines_with_a_reason(login, agent_ept, orr_user, uac):
    request_placement(login(agent_ept), uac)
    placement = PlacementRequest.objects.get(case=uac)
    client = login(orr_user)
    url = reverse("web:orr-designate", args=[placement.pk])
    assert client.post(url, {"facility": "NOPE"}).status_code == 422
    assert client.post(url, {"facility": "ORR-CP-BRO"}).status_code == 302
    placement.refresh_from_db()
    uac.refresh_from_db()
    assert placement.state == PlacementState.DESIGNATED
    assert uac.designated_provider.code == "ORR-CP-BRO"
    assert EventLogEntry.objects.filter(case=uac, event_type="placement.designated").exists()
    # A decline after the designation is a conflict, not an error.
    response = client.post(
        reverse("web:orr-decline", args=[placement.pk]), {"reason": "No bed"}, follow=True
    )
    assert response.status_code == 200
    placement.refresh_from_db()
    assert placement.state == PlacementState.DESIGNATED


def test_orr_decline_needs_a_reason(login, agent_ept, orr_user, uac):
    request_placement(login(agent_ept), uac)
    placement = PlacementRequest.objects.get(case=uac)
    client = login(orr_user)
    url = reverse("web:orr-decline", args=[placement.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Needs a medical placement."}).status_code == 302
    placement.refresh_from_db()
    assert placement.state == PlacementState.DECLINED


def test_only_orr_uses_the_orr_pages(login, agent_ept, ero_elp, uac):
    request_placement(login(agent_ept), uac)
    placement = PlacementRequest.objects.get(case=uac)
    for user in (agent_ept, ero_elp):
        client = login(user)
        assert client.get(reverse("web:orr-queue")).status_code == 403
        assert (
            client.post(
                reverse("web:orr-designate", args=[placement.pk]), {"facility": "ORR-CP-BRO"}
            ).status_code
            == 403
        )
    placement.refresh_from_db()
    assert placement.state == PlacementState.REQUESTED


def test_movement_scheduled_departed_and_handed_over_to_orr(
    login, agent_ept, ero_elp, orr_user, uac
):
    request_placement(login(agent_ept), uac)
    placement = PlacementRequest.objects.get(case=uac)
    login(orr_user).post(
        reverse("web:orr-designate", args=[placement.pk]), {"facility": "ORR-CP-BRO"}
    )
    officer = login(ero_elp)
    board = officer.get(reverse("web:movement-board")).text
    assert uac.case_number in board  # ready to move
    pickup = timezone.localtime(timezone.now() + timedelta(hours=1), timezone=DENVER)
    response = officer.post(
        reverse("web:movement-schedule"),
        {
            "cases": [uac.pk],
            "to_unit": Unit.objects.get(code="ORR-CP-BRO").pk,
            "scheduled_pickup_at": pickup.strftime("%Y-%m-%dT%H:%M"),
            "contractor": "",
            "carrier_agency": Unit.objects.get(code="ERO").pk,
            "distance_miles": "780",
        },
    )
    assert response.status_code == 302, response.text
    movement = Movement.objects.get()
    assert movement.from_unit.code == "EPT-EPS"
    assert movement.trip_number in officer.get(reverse("web:movement-board")).text
    # The receiving side cannot sign before the leg leaves.
    orr = login(orr_user)
    orr.post(reverse("web:movement-handover", args=[movement.pk]))
    movement.refresh_from_db()
    assert movement.state == MovementState.SCHEDULED
    officer.post(reverse("web:movement-depart", args=[movement.pk]))
    movement.refresh_from_db()
    assert movement.state == MovementState.IN_TRANSIT
    assert "Confirm hand-over" in orr.get(reverse("web:movement-board")).text
    assert orr.post(reverse("web:movement-handover", args=[movement.pk])).status_code == 302
    movement.refresh_from_db()
    uac.refresh_from_db()
    assert movement.state == MovementState.HANDED_OVER
    assert uac.state == CaseState.TRANSFERRED
    assert uac.custody_unit.code == "ORR-CP-BRO"
    assert EventLogEntry.objects.filter(case=uac, event_type="case.transferred").count() == 1


def test_an_adult_to_the_wrong_destination_is_refused_on_the_board(
    login, agent_ept, ero_elp, transfers_reference
):
    adult = factories.accepted(agent_ept, ero_elp)
    pickup = timezone.localtime(timezone.now() + timedelta(hours=1), timezone=DENVER)
    response = login(ero_elp).post(
        reverse("web:movement-schedule"),
        {
            "cases": [adult.pk],
            "to_unit": Unit.objects.get(code="ORR-CP-BRO").pk,
            "scheduled_pickup_at": pickup.strftime("%Y-%m-%dT%H:%M"),
            "carrier_agency": Unit.objects.get(code="ERO").pk,
            "distance_miles": "10",
        },
    )
    assert response.status_code == 422
    assert "ICE detention facility or a USMS district" in response.text
    assert not Movement.objects.exists()


def test_a_manager_sees_the_board_page_403(login, manager_hq):
    assert login(manager_hq).get(reverse("web:movement-board")).status_code == 403


def test_orr_lands_on_its_queue(login, orr_user):
    assert login(orr_user).get("/").url == reverse("web:orr-queue")


# --- the inbox ------------------------------------------------------------------------------


@pytest.fixture
def routed(settings):
    """The notifications' routing rules; fan-out is run by the test (no broker)."""
    from notifications import reference
    from notifications import services as notify

    settings.NOTIFY_ON_COMMIT = "off"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reference.load()
    return notify.fan_out


def test_a_rejection_reaches_the_agents_inbox_and_badge(login, agent_ept, ero_elp, routed):
    case = factories.submitted(agent_ept)
    services.reject_case(case=case, actor=ero_elp, reasons=["missing_i213"], comment="Where?")
    routed()
    client = login(agent_ept)
    badge = client.get(reverse("web:inbox-badge")).text
    assert 'class="badge"' in badge
    page = client.get(reverse("web:inbox")).text
    assert "case.rejected" in page
    assert reverse("web:case", args=[case.pk]) in page
    from notifications.selectors import inbox_for, unread_count

    before = unread_count(agent_ept)
    item = inbox_for(agent_ept).filter(event_type="case.rejected").first()
    response = client.post(reverse("web:inbox-read", args=[item.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "inbox-changed"
    assert unread_count(agent_ept) == before - 1


def test_nobody_marks_another_users_notification(login, agent_ept, agent_tca, ero_elp, routed):
    case = factories.submitted(agent_ept)
    services.reject_case(case=case, actor=ero_elp, reasons=["missing_i213"], comment="")
    routed()
    from notifications.selectors import inbox_for

    item = inbox_for(agent_ept).first()
    response = login(agent_tca).post(reverse("web:inbox-read", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.read_at is None
