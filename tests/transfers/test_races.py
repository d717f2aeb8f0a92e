"""Concurrent ORR officers on PostgreSQL: row locks make exactly one designation win."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from cases.exceptions import InvalidTransition, RuleViolation
from cases.models import EventLogEntry, Role, Unit
from tests import factories
from tests.factories import book
from transfers import services
from transfers.models import BedCapacity, PlacementRequest, PlacementState

pytestmark = [pytest.mark.postgres, pytest.mark.services]


def run_together(calls):
    """Start every call at the same instant, each on its own connection; collect what
    each one answered."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("won", call())
        except (InvalidTransition, RuleViolation) as exc:
            results[index] = ("lost", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def eight_years_ago() -> date:
    return date(timezone.localdate().year - 8, 1, 15)


def orr_officers(n):
    unit = Unit.objects.get(code="ORR-INTAKE")
    return [factories.UserFactory(role=Role.ORR_INTAKE, unit=unit) for _ in range(n)]


@pytest.mark.django_db(transaction=True)
def test_two_designations_of_one_request_exactly_one_wins(agent_ept, transfers_reference):
    first, second = orr_officers(2)
    placement = services.request_placement(
        case=book(agent_ept, demographic="uac"), actor=agent_ept, needs=services.PlacementNeeds()
    )
    bro, sat = Unit.objects.get(code="ORR-CP-BRO"), Unit.objects.get(code="ORR-CP-SAT")
    results = run_together(
        [
            lambda: services.designate_placement(placement=placement.pk, actor=first, facility=bro),
            lambda: services.designate_placement(
                placement=placement.pk, actor=second, facility=sat
            ),
        ]
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["lost", "won"], results
    lost = next(r[1] for r in results if r[0] == "lost")
    assert isinstance(lost, InvalidTransition)
    winner = next(r[1] for r in results if r[0] == "won")
    placement.refresh_from_db()
    assert placement.state == PlacementState.DESIGNATED
    assert placement.facility == winner.facility
    assert placement.case.designated_provider == winner.facility
    assert (
        EventLogEntry.objects.filter(
            event_type="placement.designated", payload__placement=placement.pk
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_two_officers_cannot_both_take_the_last_bed(agent_ept, transfers_reference):
    first, second = orr_officers(2)
    sdg = Unit.objects.get(code="ORR-CP-SDG")
    BedCapacity.objects.filter(provider=sdg, sex="F", age_band="tender_age").update(beds=1)
    requests = [
        services.request_placement(
            case=book(agent_ept, demographic="uac", sex="F", date_of_birth=eight_years_ago()),
            actor=agent_ept,
            needs=services.PlacementNeeds(),
        )
        for _ in range(2)
    ]
    results = run_together(
        [
            lambda: services.designate_placement(
                placement=requests[0].pk, actor=first, facility=sdg
            ),
            lambda: services.designate_placement(
                placement=requests[1].pk, actor=second, facility=sdg
            ),
        ]
    )
    assert sorted(r[0] for r in results) == ["lost", "won"], results
    lost = next(r[1] for r in results if r[0] == "lost")
    assert [v.rule for v in lost.violations] == ["care_provider_capacity"]
    assert (
        PlacementRequest.objects.filter(facility=sdg, state=PlacementState.DESIGNATED).count() == 1
    )
