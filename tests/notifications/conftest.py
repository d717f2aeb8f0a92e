"""Notification fixtures: routing rules loaded, the after-commit wake-up off (tests call the
fan-out in-process), and helpers to record placement events and run the fan-out."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases import services as case_services
from notifications import reference
from notifications import services as notify
from notifications.models import Channel, Delivery


@pytest.fixture(autouse=True)
def routing(db, settings):
    settings.NOTIFY_ON_COMMIT = "off"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reference.load()


@pytest.fixture
def fan_out():
    def run():
        result = notify.fan_out()
        notify.dispatch()
        return result

    return run


def record(event_type: str, case, actor=None, **payload):
    """Record an event the way a service does (placement events until transfers lands)."""
    with transaction.atomic():
        return case_services.record_event(
            event_type=event_type, case=case, actor=actor, payload=payload
        )


def inbox_keys(event) -> set[str]:
    return set(
        Delivery.objects.filter(event=event, channel=Channel.INBOX).values_list(
            "recipient_key", flat=True
        )
    )
