"""Two sweepers at once over the same due clocks: every breach fires exactly once.

On PostgreSQL each sweeper takes its batch with ``FOR UPDATE SKIP LOCKED``; the test holds
both sweepers' first batches open at the same moment to show the batches are disjoint, then
lets them race through the rest.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from cases import sla
from cases.models import EventLogEntry, SlaClock
from tests.factories import book

CASES = 24


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_fire_each_breach_exactly_once(agent_ept, monkeypatch):
    cases = [book(agent_ept, hours_ago=49, narrative=None) for _ in range(CASES)]
    due = SlaClock.objects.filter(case__in=cases, next_check_at__isnull=False).count()
    assert due == 2 * CASES  # custody determination (breach) and USBP custody (warning)

    both_hold_a_batch = threading.Barrier(2, timeout=30)
    first_batch: dict[int, set[int]] = {}
    real_due_batch = sla._due_batch

    def due_batch(now, batch_size):
        batch = real_due_batch(now, batch_size)
        me = threading.get_ident()
        if me not in first_batch:
            first_batch[me] = {c.pk for c in batch}
            both_hold_a_batch.wait()  # both transactions now hold their row locks
        return batch

    monkeypatch.setattr(sla, "_due_batch", due_batch)
    results: list[sla.SweepResult] = []
    errors: list[BaseException] = []

    def sweeper():
        try:
            results.append(sla.sweep_clocks(batch_size=5))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == 2

    a, b = first_batch.values()
    assert a and b and not (a & b), "two sweepers locked the same clock"
    assert all(r.breaches + r.warnings > 0 for r in results)
    assert sum(r.breaches for r in results) == CASES
    assert sum(r.warnings for r in results) == CASES

    breaches = Counter(
        EventLogEntry.objects.filter(event_type="sla.breached").values_list(
            "payload__clock", flat=True
        )
    )
    warnings = Counter(
        EventLogEntry.objects.filter(event_type="sla.warning").values_list(
            "payload__clock", flat=True
        )
    )
    assert len(breaches) == CASES and set(breaches.values()) == {1}
    assert len(warnings) == CASES and set(warnings.values()) == {1}
    assert not SlaClock.objects.filter(
        case__in=cases, policy__name="custody_determination", breached_at__isnull=True
    ).exists()
