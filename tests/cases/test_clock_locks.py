"""Transitions of different cases do not wait for each other on the clocks' shared policies.

Stopping and starting clocks locks the case's running clocks. If that lock also covered the
joined ``SlaPolicy`` rows, every transition of every case would queue behind one policy row
(all custody clocks share one policy), and a slow transaction on one case would stall the
whole border. Real row locks need PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from cases import services, sla
from cases.models import CaseState
from tests.factories import book, submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fan_out(settings):
    settings.NOTIFY_ON_COMMIT = "off"


def test_a_transaction_holding_one_cases_clocks_does_not_block_another_case(agent_ept, ero_elp):
    held_case = book(agent_ept)
    other = submitted(agent_ept)
    holding = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold_clocks() -> None:
        try:
            with transaction.atomic():
                # Locks held_case's running clocks the way a transition does, then waits.
                sla.apply_event(case=held_case, event_type="case.noted", at=held_case.booked_at)
                holding.set()
                release.wait(timeout=30)
        except BaseException as exc:  # reported below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_clocks)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '3s'")
            accepted = services.accept_case(case=other, actor=ero_elp)
        assert accepted.state == CaseState.ACCEPTED
        stopped = accepted.clocks.get(policy__name="custody_determination")
        assert stopped.stopped_at is not None
    finally:
        release.set()
        holder.join(timeout=30)
    assert not errors, errors
