"""Listeners on the cases app's event log (``transfers`` depends on ``cases``, never the
reverse): a transfer or a release records family separations in the same transaction."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from cases.models import EventLogEntry

SEPARATING_EVENTS = {"case.transferred", "case.released"}


@receiver(post_save, sender=EventLogEntry, dispatch_uid="transfers.record_separations")
def separations_on_departure(sender, instance: EventLogEntry, created: bool, **kwargs) -> None:
    if created and instance.case_id and instance.event_type in SEPARATING_EVENTS:
        from .services import record_separations

        record_separations(entry=instance)
