"""E-mail with preferences and digests, signed webhooks with retries, dead letters and
replay, and exactly one delivery per (event, recipient, channel)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.models import EventLogEntry, Unit
from notifications import services as notify
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    NotificationPreference,
    WebhookAttempt,
    WebhookSubscription,
)
from tests import factories
from tests.notifications.receiver import Receiver

SECRET = "s3cr3t-shared-with-the-partner"


def reject(agent, officer):
    case = factories.submitted(agent)
    services.reject_case(case=case, actor=officer, reasons=["missing_i213"], comment="")
    return case


# --- e-mail -------------------------------------------------------------------------------


def test_immediate_email_goes_to_the_person_who_must_act(agent_ept, ero_elp, fan_out, mailoutbox):
    reject(agent_ept, ero_elp)
    fan_out()
    assert [m.to for m in mailoutbox] == [[agent_ept.email]]
    assert "Missing I-213 narrative" in mailoutbox[0].body


def test_email_off_sends_nothing_but_the_inbox_still_gets_it(
    agent_ept, ero_elp, fan_out, mailoutbox
):
    NotificationPreference.objects.create(user=agent_ept, email_mode="off")
    reject(agent_ept, ero_elp)
    fan_out()
    assert mailoutbox == []
    assert Delivery.objects.filter(channel=Channel.INBOX, user=agent_ept).count() == 1


def test_hourly_preference_collects_events_into_one_digest(agent_ept, ero_elp, fan_out, mailoutbox):
    NotificationPreference.objects.create(user=agent_ept, email_mode="hourly")
    reject(agent_ept, ero_elp)
    reject(agent_ept, ero_elp)
    fan_out()
    assert mailoutbox == []
    assert notify.send_digests() == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [agent_ept.email]
    assert mailoutbox[0].body.count("rejected") == 2
    assert notify.send_digests() == 0  # nothing is sent twice


def test_a_busy_queue_gets_digests_instead_of_one_mail_per_event(
    agent_ept, fan_out, mailoutbox, settings
):
    settings.NOTIFY_QUEUE_DIGEST_THRESHOLD = 3
    Unit.objects.filter(code="ELP").update(email="ero-elp-intake@example.gov")
    for _ in range(6):
        factories.submitted(agent_ept)
    fan_out()
    # Three mails an hour go out at once; after that the queue is busy: one digest.
    assert len(mailoutbox) == 3
    assert notify.send_digests() == 1
    assert len(mailoutbox) == 4
    assert mailoutbox[-1].to == ["ero-elp-intake@example.gov"]
    assert "3 notifications" in mailoutbox[-1].subject


def test_people_who_need_not_act_get_no_email(agent_ept, agent_tca, ero_elp, fan_out, mailoutbox):
    factories.accepted(agent_ept, ero_elp)
    fan_out()
    assert mailoutbox == []  # the station queue has no address; no person was named


# --- webhooks -----------------------------------------------------------------------------


@pytest.fixture
def receiver():
    with Receiver(SECRET) as r:
        yield r


@pytest.fixture
def subscription(receiver, partner):
    return WebhookSubscription.objects.create(
        name="DOJ EOIR intake",
        url=receiver.url,
        secret=SECRET,
        event_types=["case.submitted", "case.rejected"],
        owner=partner,
    )


def test_webhook_is_signed_and_verified_by_the_receiver(
    agent_ept, ero_elp, subscription, receiver, fan_out
):
    case = reject(agent_ept, ero_elp)
    fan_out()
    assert receiver.refused == []
    assert [b["type"] for b in receiver.received] == ["case.submitted", "case.rejected"]
    body = receiver.received[1]
    assert body["case"] == case.pk and body["data"]["reasons"] == ["missing_i213"]
    assert Delivery.objects.filter(channel=Channel.WEBHOOK, status="sent").count() == 2


def test_a_wrong_secret_fails_verification_and_is_retried(
    agent_ept, subscription, receiver, fan_out
):
    subscription.secret = "not-the-partners-secret"
    subscription.save()
    factories.submitted(agent_ept)
    fan_out()
    assert receiver.refused == ["signature"] and receiver.received == []
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1


def test_failed_webhooks_retry_with_exponential_backoff_then_succeed(
    agent_ept, subscription, receiver, fan_out, settings
):
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    receiver.fail_next = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        factories.submitted(agent_ept)
        fan_out()
        delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
        assert delivery.attempts == 1
        assert delivery.next_attempt_at == start + timedelta(seconds=60)
        clock.shift(timedelta(seconds=59))
        assert notify.send_due_webhooks() == 0  # not due yet
        clock.shift(timedelta(seconds=1))
        assert notify.send_due_webhooks() == 0  # second try fails too
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + timedelta(seconds=60 + 120)
        clock.shift(timedelta(seconds=120))
        assert notify.send_due_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True)
    )
    assert log == [500, 500, 204]
    assert len(receiver.received) == 1


def test_after_the_last_try_the_delivery_is_a_dead_letter_and_replay_sends_it(
    agent_ept, subscription, receiver, fan_out, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    receiver.fail_next = 100
    with time_machine.travel(timezone.now(), tick=False) as clock:
        factories.submitted(agent_ept)
        fan_out()
        for _ in range(5):
            clock.shift(timedelta(hours=1))
            notify.send_due_webhooks()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 3
    assert delivery.tries.count() == 3 and receiver.received == []
    receiver.fail_next = 0
    call_command("replay_webhooks")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(receiver.received) == 1
    assert Delivery.objects.filter(channel=Channel.WEBHOOK).count() == 1


def test_an_unreachable_partner_is_retried_not_lost(agent_ept, partner, fan_out):
    WebhookSubscription.objects.create(
        name="down", url="http://127.0.0.1:18399/nothing-listens", secret=SECRET, owner=partner
    )
    factories.submitted(agent_ept)
    fan_out()
    delivery = Delivery.objects.filter(channel=Channel.WEBHOOK).first()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts >= 1
    assert delivery.last_error


# --- exactly once -------------------------------------------------------------------------


def test_fanning_out_again_creates_nothing_new(agent_ept, ero_elp, fan_out, mailoutbox):
    reject(agent_ept, ero_elp)
    fan_out()
    before = Delivery.objects.count()
    # A redelivered task, or a catch-up from a rewound cursor, finds every row there.
    from notifications.models import FanOutCursor

    FanOutCursor.objects.update(last_event_id=0)
    fan_out()
    assert Delivery.objects.count() == before
    assert len(mailoutbox) == 1


def test_the_database_refuses_a_second_delivery_for_the_same_recipient_and_channel(agent_ept):
    factories.submitted(agent_ept)
    notify.fan_out()
    existing = Delivery.objects.filter(channel=Channel.INBOX).first()
    event = EventLogEntry.objects.get(pk=existing.event_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            event=event,
            channel=Channel.INBOX,
            recipient_key=existing.recipient_key,
            unit=existing.unit,
            event_type=event.event_type,
            message="again",
        )
