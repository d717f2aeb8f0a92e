"""After a transaction that wrote events commits, wake the fan-out.

Only a wake-up: if the broker is down the publish fails fast and is dropped, and the
periodic catch-up reads the same events from the log by cursor later.
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def wake_fan_out(sender, last_id: int | None = None, **kwargs) -> None:
    mode = getattr(settings, "NOTIFY_ON_COMMIT", "task")
    if mode == "off":
        return
    from . import services, tasks

    if mode == "inline":
        services.fan_out()
        return
    try:
        tasks.fan_out_task.apply_async(retry=False)
    except Exception as exc:  # broker down: the catch-up will find these events
        logger.warning("fan-out wake-up not sent (event %s): %s", last_id, exc)
