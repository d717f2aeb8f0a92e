"""Thin Celery tasks over the notification services; each is idempotent and safe to run
twice (the delivery rows are unique, outbound sends take rows with SKIP LOCKED)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="notifications.fan_out", acks_late=True, reject_on_worker_lost=True)
def fan_out_task() -> dict:
    """Wake-up sent after a commit, and the periodic catch-up: read the log by cursor."""
    result = services.fan_out()
    sent = services.dispatch() if result.deliveries else {}
    return {"events": result.events, "deliveries": result.deliveries, **sent}


@shared_task(name="notifications.dispatch", acks_late=True, reject_on_worker_lost=True)
def dispatch_task() -> dict:
    """Send due e-mails and webhook retries."""
    return services.dispatch()


@shared_task(name="notifications.digests", acks_late=True, reject_on_worker_lost=True)
def digest_task() -> int:
    return services.send_digests()
