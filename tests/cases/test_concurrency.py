"""Two officers acting on one case at once: exactly one wins, the other gets a conflict.

Each round books a fresh case, then starts two threads (two database connections) that
meet at a barrier and fire their transitions together. The services lock the case row
(``SELECT ... FOR UPDATE``), so the second writer waits, then finds the state already moved
and raises ``InvalidTransition`` (409 ``invalid_transition`` over HTTP). The event log must
hold exactly one row for the contested change. Real row locks need PostgreSQL, so these run
there (``.ci/run`` refuses a run that skipped them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cases import services
from cases.exceptions import InvalidTransition
from cases.models import Case, CaseState, EventLogEntry, Role, Unit
from tests import factories
from tests.factories import book

ROUNDS = 50

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fan_out(settings):
    # The notification fan-out is not under test here; keep it from queueing wake-ups.
    settings.NOTIFY_ON_COMMIT = "off"


def race(first: Callable[[], object], second: Callable[[], object]) -> list[str]:
    """Run both callables at the same instant on two connections; return each outcome:
    ``won``, ``conflict`` or the unexpected exception's repr."""
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str] = ["", ""]

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
            outcomes[index] = "won"
        except InvalidTransition:
            outcomes[index] = "conflict"
        except Exception as exc:  # reported, and fails the round below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a transition hung"
    return outcomes


@pytest.fixture
def second_officer(reference):
    return factories.UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="ELP"))


@pytest.fixture
def second_agent(reference):
    return factories.UserFactory(role=Role.USBP_AGENT, unit=Unit.objects.get(code="EPT-EPS"))


def _rows(case: Case, event_type: str) -> int:
    return EventLogEntry.objects.filter(case=case, event_type=event_type).count()


def test_accept_against_reject_one_wins(agent_ept, ero_elp, second_officer):
    for round_ in range(ROUNDS):
        case = book(agent_ept)
        services.submit_case(case=case, actor=agent_ept)
        outcomes = race(
            lambda c=case: services.accept_case(case=c.pk, actor=ero_elp),
            lambda c=case: services.reject_case(
                case=c.pk, actor=second_officer, reasons=["missing_i213"], comment="No I-213."
            ),
        )
        assert sorted(outcomes) == ["conflict", "won"], (round_, outcomes)
        case.refresh_from_db()
        accepted = outcomes[0] == "won"
        assert case.state == (CaseState.ACCEPTED if accepted else CaseState.REJECTED)
        assert (_rows(case, "case.accepted"), _rows(case, "case.rejected")) == (
            (1, 0) if accepted else (0, 1)
        )
        assert EventLogEntry.objects.filter(case=case).count() == 3  # booked, submitted, one


def test_two_accepts_one_wins(agent_ept, ero_elp, second_officer):
    for round_ in range(ROUNDS):
        case = book(agent_ept)
        services.submit_case(case=case, actor=agent_ept)
        outcomes = race(
            lambda c=case: services.accept_case(case=c.pk, actor=ero_elp),
            lambda c=case: services.accept_case(case=c.pk, actor=second_officer),
        )
        assert sorted(outcomes) == ["conflict", "won"], (round_, outcomes)
        case.refresh_from_db()
        assert case.state == CaseState.ACCEPTED
        assert _rows(case, "case.accepted") == 1
        winner = ero_elp if outcomes[0] == "won" else second_officer
        assert EventLogEntry.objects.get(case=case, event_type="case.accepted").actor == winner
        # The custody-determination clock was stopped exactly once.
        clock = case.clocks.get(policy__name="custody_determination")
        assert clock.stopped_at is not None


def test_two_submits_one_wins(agent_ept, second_agent):
    for round_ in range(ROUNDS):
        case = book(agent_ept)
        outcomes = race(
            lambda c=case: services.submit_case(case=c.pk, actor=agent_ept),
            lambda c=case: services.submit_case(case=c.pk, actor=second_agent),
        )
        assert sorted(outcomes) == ["conflict", "won"], (round_, outcomes)
        case.refresh_from_db()
        assert case.state == CaseState.SUBMITTED
        assert case.submissions == 1
        assert _rows(case, "case.submitted") == 1


def test_release_against_transfer_one_wins(agent_ept, ero_elp):
    facility = Unit.objects.get(code="ELP-SPC")
    for round_ in range(ROUNDS):
        # A fresh address each round, so that the shared-address warning stays out of it.
        address = {
            "street": f"{500 + round_} E San Antonio Ave",
            "city": "El Paso",
            "state": "TX",
            "zip": "79901",
        }
        case = book(agent_ept)
        services.submit_case(case=case, actor=agent_ept)
        services.accept_case(case=case, actor=ero_elp)
        outcomes = race(
            lambda c=case, a=address: services.release_case(
                case=c.pk, actor=agent_ept, release_type="ror", address=a
            ),
            lambda c=case: services.transfer_case(case=c.pk, actor=ero_elp, to_unit=facility),
        )
        assert sorted(outcomes) == ["conflict", "won"], (round_, outcomes)
        case.refresh_from_db()
        closing = EventLogEntry.objects.filter(
            case=case, event_type__in=["case.released", "case.transferred"]
        )
        assert closing.count() == 1
        assert case.state == closing.get().to_state


def test_over_http_the_loser_gets_409(agent_ept, ero_elp, second_officer):
    """The same race through the API: one 200, one 409 ``invalid_transition``."""
    accept_client, reject_client = APIClient(), APIClient()
    accept_client.force_authenticate(ero_elp)
    reject_client.force_authenticate(second_officer)
    for round_ in range(ROUNDS):
        case = book(agent_ept)
        services.submit_case(case=case, actor=agent_ept)
        responses: dict[str, object] = {}

        def post(name, client, path, body, c=case, responses=responses):
            responses[name] = client.post(f"/api/v1/cases/{c.pk}/{path}/", body, format="json")

        outcomes = race(
            lambda: post("accept", accept_client, "accept", {}),
            lambda: post(
                "reject", reject_client, "reject", {"reasons": ["other"], "comment": "Recheck."}
            ),
        )
        assert outcomes == ["won", "won"], (round_, outcomes)  # both answered
        statuses = sorted(r.status_code for r in responses.values())
        assert statuses == [200, 409], (round_, statuses)
        loser = next(r for r in responses.values() if r.status_code == 409)
        assert loser.json()["error"]["code"] == "invalid_transition"
        case.refresh_from_db()
        assert case.state in (CaseState.ACCEPTED, CaseState.REJECTED)
        assert EventLogEntry.objects.filter(case=case).count() == 3
