"""Celery tasks of the cases app: thin wrappers that call a service.

The beat schedule (config/settings.py) sends ``cases.sweep_clocks`` every
``CAS_SWEEP_INTERVAL_SECONDS``. The task carries no deadline: it asks the database which
clocks are due, so running it twice, late, or after the broker lost every message is safe.
"""

from __future__ import annotations

from celery import shared_task

from . import sla


@shared_task(name="cases.sweep_clocks", acks_late=True, reject_on_worker_lost=True)
def sweep_clocks() -> dict[str, int]:
    """Fire every due SLA warning and breach (idempotent: each fires once per clock)."""
    return sla.sweep_clocks().as_dict()
