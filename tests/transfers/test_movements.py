"""Movements: manifests, the UAC destination rule, the all-or-nothing hand-over, and the
movement board."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases import services as case_services
from cases.exceptions import InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from cases.models import CaseState, EventLogEntry, Role, Unit
from tests import factories
from tests.factories import accepted
from transfers import services
from transfers.models import Contractor, MovementState

pytestmark = pytest.mark.django_db


def schedule(actor, cases, to="ELP-SPC", frm="EPT-EPS", hours=1, **kwargs):
    kwargs.setdefault("contractor", Contractor.objects.get(code="sw-transport"))
    return services.schedule_movement(
        actor=actor,
        from_unit=Unit.objects.get(code=frm),
        to_unit=Unit.objects.get(code=to),
        cases=cases,
        scheduled_pickup_at=timezone.now() + timedelta(hours=hours),
        distance_miles=kwargs.pop("miles", Decimal("12")),
        **kwargs,
    )


def test_cost_follows_the_contract_terms(agent_ept, ero_elp, transfers_reference):
    cases = [accepted(agent_ept, ero_elp) for _ in range(3)]
    movement = schedule(ero_elp, cases, miles=Decimal("40"))
    # 350 + 3 x 45 + 40 x 3.10
    assert movement.cost == Decimal("609.00")
    assert movement.cost_basis["persons"] == 3
    assert movement.trip_number.startswith("MV")
    agency = schedule(
        ero_elp,
        [accepted(agent_ept, ero_elp)],
        contractor=None,
        carrier_agency=Unit.objects.get(code="ERO"),
    )
    assert agency.cost == Decimal("0.00") and agency.carrier == "ERO"


def test_uac_moves_only_to_its_designated_provider(
    agent_ept, ero_elp, orr_user, transfers_reference
):
    child = accepted(agent_ept, ero_elp, demographic="uac")
    with pytest.raises(RuleViolation) as err:
        schedule(ero_elp, [child], to="ORR-CP-BRO")
    assert [v.rule for v in err.value.violations] == ["uac_moves_to_designated_provider"]
    placement = services.request_placement(
        case=child, actor=agent_ept, needs=services.PlacementNeeds()
    )
    services.designate_placement(
        placement=placement, actor=orr_user, facility=Unit.objects.get(code="ORR-CP-SAT")
    )
    with pytest.raises(RuleViolation) as err:
        schedule(ero_elp, [child], to="ORR-CP-BRO")
    assert [v.rule for v in err.value.violations] == ["uac_moves_to_designated_provider"]
    with pytest.raises(RuleViolation):
        schedule(ero_elp, [child], to="ELP-SPC")
    assert schedule(ero_elp, [child], to="ORR-CP-SAT").state == MovementState.SCHEDULED


def test_manifest_rules(agent_ept, agent_tca, ero_elp, transfers_reference):
    booked = factories.book(agent_ept)
    with pytest.raises(RuleViolation) as err:
        schedule(ero_elp, [booked])
    assert "manifest_case_accepted" in [v.rule for v in err.value.violations]
    ok = accepted(agent_ept, ero_elp)
    with pytest.raises(RuleViolation) as err:
        schedule(ero_elp, [ok], frm="EPT-STN")
    assert [v.rule for v in err.value.violations] == ["manifest_from_custody_unit"]
    schedule(ero_elp, [ok])
    with pytest.raises(RuleViolation) as err:
        schedule(ero_elp, [ok])
    assert [v.rule for v in err.value.violations] == ["case_on_one_open_movement"]
    with pytest.raises(Exception) as err:
        schedule(agent_tca, [accepted(agent_ept, ero_elp)])
    assert err.type.__name__ == "InvalidInput"


def test_handover_transfers_every_case_or_none(agent_ept, ero_elp, transfers_reference):
    first, second = accepted(agent_ept, ero_elp), accepted(agent_ept, ero_elp)
    movement = schedule(ero_elp, [first, second])
    services.depart_movement(movement=movement, actor=ero_elp)
    # Before the bus arrives, the second person is released: the hand-over must not
    # transfer the first alone.
    case_services.release_case(
        case=second,
        actor=agent_ept,
        release_type="ror",
        address={
            "street": "1600 Pennsylvania Ave NW",
            "city": "Washington",
            "state": "DC",
            "zip": "20500",
        },
        acknowledge_warnings=True,
    )
    receiver = factories.UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="ELP-SPC"))
    with pytest.raises(InvalidTransition):
        services.confirm_handover(movement=movement, actor=receiver)
    first.refresh_from_db()
    movement.refresh_from_db()
    assert first.state == CaseState.ACCEPTED and first.custody_unit.code == "EPT-EPS"
    assert movement.state == MovementState.IN_TRANSIT
    assert not EventLogEntry.objects.filter(case=first, event_type="case.transferred").exists()


def test_only_the_receiving_unit_confirms(
    agent_ept, ero_elp, ero_pho, orr_user, transfers_reference
):
    movement = schedule(ero_elp, [accepted(agent_ept, ero_elp)])
    services.depart_movement(movement=movement, actor=ero_elp)
    with pytest.raises(NotPermitted):
        services.confirm_handover(movement=movement, actor=agent_ept)
    with pytest.raises(OutOfScope):
        services.confirm_handover(movement=movement, actor=ero_pho)
    with pytest.raises(OutOfScope):
        services.confirm_handover(movement=movement, actor=orr_user)
    services.arrive_movement(movement=movement, actor=ero_elp)
    moved = services.confirm_handover(movement=movement, actor=ero_elp)
    assert moved.state == MovementState.HANDED_OVER
    assert moved.manifest.get().case.custody_unit.code == "ELP-SPC"


def test_cancel_and_steps_in_order(agent_ept, ero_elp, transfers_reference):
    movement = schedule(ero_elp, [accepted(agent_ept, ero_elp)])
    with pytest.raises(InvalidTransition):
        services.arrive_movement(movement=movement, actor=ero_elp)
    services.cancel_movement(movement=movement, actor=ero_elp, reason="Bus broke down.")
    with pytest.raises(InvalidTransition):
        services.depart_movement(movement=movement, actor=ero_elp)
    assert EventLogEntry.objects.filter(
        event_type="movement.cancelled", payload__movement=movement.pk
    ).exists()


def test_board_shows_today_and_tomorrow_in_scope(
    api, agent_ept, agent_tca, ero_elp, transfers_reference
):
    # 15:00 UTC is 08:00 in El Paso (Mountain time): today runs until 07:00 UTC tomorrow.
    with time_machine.travel(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), tick=False):
        cases = [accepted(agent_ept, ero_elp) for _ in range(4)]
        today = schedule(ero_elp, [cases[0]], hours=2)
        tomorrow = schedule(ero_elp, [cases[1]], hours=30)
        later = schedule(ero_elp, [cases[2]], hours=60)
        yesterday_local = schedule(ero_elp, [cases[3]], hours=-9)  # 23:00 local yesterday
        board = [m["id"] for m in api(ero_elp).get("/api/v1/movements/").json()["results"]]
        assert board == [today.pk, tomorrow.pk]
        assert later.pk not in board and yesterday_local.pk not in board
        agent_board = api(agent_ept).get("/api/v1/movements/").json()["results"]
        assert [m["id"] for m in agent_board] == board
        assert api(agent_tca).get("/api/v1/movements/").json()["results"] == []
        assert api(agent_tca).get(f"/api/v1/movements/{today.pk}/").status_code == 404


def test_movement_api_input_errors(api, agent_ept, ero_elp, orr_user, transfers_reference):
    case = accepted(agent_ept, ero_elp)
    ero = api(ero_elp)
    good = {
        "from_unit": "EPT-EPS",
        "to_unit": "ELP-SPC",
        "cases": [case.pk],
        "carrier": {"contractor": "sw-transport"},
        "scheduled_pickup_at": (timezone.now() + timedelta(hours=3)).isoformat(),
    }
    for bad in (
        {**good, "cases": []},
        {**good, "cases": ["x"]},
        {**good, "cases": [999999]},
        {**good, "carrier": {}},
        {**good, "carrier": {"contractor": "nobody"}},
        {**good, "carrier": {"contractor": "sw-transport", "agency": "ERO"}},
        {**good, "to_unit": "NOPE"},
        {**good, "scheduled_pickup_at": "2026-11-24T10:00:00"},
        {**good, "distance_miles": "-4"},
        {**good, "to_unit": "EPT-EPS"},
    ):
        resp = ero.post("/api/v1/movements/", bad, format="json")
        assert resp.status_code == 400, (bad, resp.status_code, resp.json())
        assert resp.json()["error"]["code"] == "invalid"
    assert api(orr_user).post("/api/v1/movements/", good, format="json").status_code == 403
    resp = ero.post("/api/v1/movements/", good, format="json")
    assert resp.status_code == 201
    mid = resp.json()["id"]
    assert ero.post(f"/api/v1/movements/{mid}/arrive/", {}, format="json").status_code == 409
    future = (timezone.now() + timedelta(hours=5)).isoformat()
    assert (
        ero.post(f"/api/v1/movements/{mid}/depart/", {"at": future}, format="json").status_code
        == 400
    )
    assert ero.post(f"/api/v1/movements/{mid}/cancel/", {}, format="json").status_code == 400
    assert ero.post("/api/v1/movements/424242/depart/", {}, format="json").status_code == 404


def test_escorting_agents_hand_over_to_the_marshals(
    agent_ept, agent_tca, ero_elp, transfers_reference
):
    movement = schedule(
        agent_ept,
        [accepted(agent_ept, ero_elp)],
        to="USMS-TXW-ELP",
        contractor=None,
        carrier_agency=Unit.objects.get(code="USBP"),
    )
    services.depart_movement(movement=movement, actor=agent_ept)
    with pytest.raises(OutOfScope):
        services.confirm_handover(movement=movement, actor=agent_tca)
    moved = services.confirm_handover(movement=movement, actor=agent_ept)
    assert moved.manifest.get().case.custody_unit.code == "USMS-TXW-ELP"
