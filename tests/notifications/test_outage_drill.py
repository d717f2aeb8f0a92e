"""The outage drill: a real worker on a private Redis; Redis stops, 200 transitions are
made, Redis starts again empty: every expected delivery arrives, none twice."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from cases import services
from cases.models import EventLogEntry
from config.celery import app
from notifications.models import Channel, Delivery, FanOutCursor, WebhookSubscription
from tests import factories
from tests.notifications.processes import (
    PrivateRedis,
    free_port,
    start_worker,
    stop_worker,
    wait_until,
)
from tests.notifications.receiver import Receiver

SECRET = "drill-secret"


@pytest.fixture
def broker(tmp_path):
    redis = PrivateRedis(free_port(), tmp_path / "redis.log")
    redis.start()
    old = app.conf.broker_url
    app.conf.broker_url = redis.url
    app._pool = None
    app.amqp._producer_pool = None
    yield redis
    redis.stop()
    app.conf.broker_url = old
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_delays_notifications_and_loses_none(
    reference, routing, settings, broker, tmp_path, agent_ept, ero_elp, partner
):
    settings.NOTIFY_ON_COMMIT = "task"
    cases = [factories.book(agent_ept) for _ in range(100)]
    with Receiver(SECRET) as receiver:
        WebhookSubscription.objects.create(
            name="drill partner",
            url=receiver.url,
            secret=SECRET,
            event_types=["case.submitted", "case.accepted"],
            owner=partner,
        )
        worker = start_worker(broker.url, tmp_path)
        try:
            last = EventLogEntry.objects.order_by("-id").first().pk
            caught_up = wait_until(
                lambda: FanOutCursor.objects.filter(last_event_id__gte=last).exists(), 90
            )
            assert caught_up, (tmp_path / "worker.log").read_text()[-3000:]

            broker.stop()
            started = time.monotonic()
            for case in cases:
                services.submit_case(case=case, actor=agent_ept, acknowledge_warnings=True)
            for case in cases:
                services.accept_case(case=case, actor=ero_elp)
            outage_seconds = time.monotonic() - started
            events = list(
                EventLogEntry.objects.filter(
                    event_type__in=["case.submitted", "case.accepted"]
                ).values_list("id", flat=True)
            )
            assert len(events) == 200
            broker.start()  # empty: every wake-up sent during the outage is gone

            def all_arrived() -> bool:
                inbox = Delivery.objects.filter(channel=Channel.INBOX, event_id__in=events)
                return inbox.count() == 200 and len(receiver.received) >= 200

            arrived = wait_until(all_arrived, 180, interval=1)
            time.sleep(3)  # a late duplicate would show up here
            assert arrived, (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            stop_worker(worker)

    inbox = Counter(
        Delivery.objects.filter(channel=Channel.INBOX, event_id__in=events).values_list(
            "event_id", "recipient_key"
        )
    )
    assert len(inbox) == 200 and set(inbox.values()) == {1}
    assert {e for e, _ in inbox} == set(events)
    received = Counter(body["id"] for body in receiver.received)
    assert set(received) == set(events) and set(received.values()) == {1}
    assert receiver.refused == []
    assert outage_seconds < 120  # a dead broker must not stall the transitions
