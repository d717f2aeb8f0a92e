"""After a transaction that wrote events commits, wake the fan-out.

Only a wake-up, so it never holds up the transition that caused it: the commit sets a flag
and one background thread per process publishes the task (many commits in a burst coalesce
into few tasks). If the broker is down the publish fails and is dropped (redis-py spends
seconds retrying a refused connection; that must not be a transition's seconds) and the
periodic catch-up reads the same events from the log by cursor later.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

_wake = threading.Event()
_guard = threading.Lock()
_owner_pid: int | None = None


def _publisher() -> None:
    from . import tasks

    while True:
        _wake.wait()
        _wake.clear()
        try:
            tasks.fan_out_task.apply_async(retry=False)
        except Exception as exc:  # broker down: the catch-up will find these events
            logger.warning("fan-out wake-up not sent: %s", exc)
            time.sleep(float(getattr(settings, "NOTIFY_WAKE_BACKOFF_SECONDS", 5)))


def _ensure_publisher() -> None:
    """One publisher thread per process (a forked worker child starts its own)."""
    global _owner_pid
    if _owner_pid == os.getpid():
        return
    with _guard:
        if _owner_pid != os.getpid():
            threading.Thread(target=_publisher, name="fan-out-wake", daemon=True).start()
            _owner_pid = os.getpid()


def wake_fan_out(sender, last_id: int | None = None, **kwargs) -> None:
    mode = getattr(settings, "NOTIFY_ON_COMMIT", "task")
    if mode == "off":
        return
    if mode == "inline":
        from . import services

        services.fan_out()
        return
    _ensure_publisher()
    _wake.set()
