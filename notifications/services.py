"""Every write of the notifications app: the fan-out of the event log into deliveries, reading
an inbox item, sending e-mail (immediate and hourly digests), signed webhooks with retries and
dead letters, and the replay of dead letters.

The event log is the outbox (docs/decisions/031-event-log-is-the-outbox.md): the fan-out reads
it by cursor, so the task sent after commit is only a wake-up. Whatever runs twice, the unique
constraint on (event, recipient, channel) keeps exactly one delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from cases.exceptions import OutOfScope
from cases.models import EventLogEntry, User

from . import routing, selectors
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EmailMode,
    FanOutCursor,
    NotificationPreference,
    RoutingRule,
    WebhookAttempt,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

CURSOR_NAME = "fan-out"


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- fan-out ------------------------------------------------------------------------------


@dataclass
class FanOutResult:
    events: int = 0
    deliveries: int = 0
    cursor: int = 0
    channels: dict = field(default_factory=dict)


def _email_mode(user: User, prefs: dict[int, str]) -> str:
    return prefs.get(user.pk, _setting("NOTIFY_DEFAULT_EMAIL_MODE", EmailMode.IMMEDIATE))


def _queue_is_busy(unit_id: int, now: datetime, pending_new: int) -> bool:
    """A queue that already had many mails this hour gets the hourly digest instead."""
    threshold = int(_setting("NOTIFY_QUEUE_DIGEST_THRESHOLD", 5))
    recent = Delivery.objects.filter(
        channel=Channel.EMAIL, unit_id=unit_id, created_at__gte=now - timedelta(hours=1)
    ).count()
    return recent + pending_new >= threshold


def event_document(event: EventLogEntry) -> dict:
    """The partner representation of an event: the feed's item and the webhook's body."""
    data = {
        "case_number": event.case.case_number if event.case_id else None,
        "transition": event.transition,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "actor_role": event.actor_role,
        "actor_unit": event.actor_unit.code if event.actor_unit_id else None,
        **(event.payload or {}),
    }
    return {
        "id": event.id,
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "case": event.case_id,
        "data": data,
    }


def deliveries_for(
    event: EventLogEntry,
    rules: list[RoutingRule],
    hooks: list[WebhookSubscription],
    prefs: dict[int, str],
    now: datetime,
    busy: dict[int, int],
) -> list[Delivery]:
    message = routing.message_for(event)
    common = {
        "event": event,
        "event_type": event.event_type,
        "case_id": event.case_id,
        "message": message,
        "created_at": now,
    }
    out: list[Delivery] = []
    for r in routing.recipients_for(event, rules):
        out.append(
            Delivery(
                **common,
                channel=Channel.INBOX,
                recipient_key=r.key,
                user=r.user,
                unit=r.unit,
                status=DeliveryStatus.SENT,
                sent_at=now,
            )
        )
        if not r.email:
            continue
        if r.user is not None:
            mode = _email_mode(r.user, prefs)
            if mode == EmailMode.OFF or not r.user.email:
                continue
            status = DeliveryStatus.DIGEST if mode == EmailMode.HOURLY else DeliveryStatus.PENDING
        else:
            if not r.unit.email:
                continue
            status = (
                DeliveryStatus.DIGEST
                if _queue_is_busy(r.unit.pk, now, busy.get(r.unit.pk, 0))
                else DeliveryStatus.PENDING
            )
            busy[r.unit.pk] = busy.get(r.unit.pk, 0) + 1
        out.append(
            Delivery(
                **common,
                channel=Channel.EMAIL,
                recipient_key=r.key,
                user=r.user,
                unit=r.unit,
                status=status,
                next_attempt_at=now,
            )
        )
    for hook in hooks:
        if hook.wants(event.event_type):
            out.append(
                Delivery(
                    **common,
                    channel=Channel.WEBHOOK,
                    recipient_key=f"hook:{hook.pk}",
                    subscription=hook,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now,
                )
            )
    return out


def fan_out(*, batch_size: int = 500, max_batches: int = 20) -> FanOutResult:
    """Turn every event after the cursor (up to the safe horizon) into deliveries.

    The cursor row is locked for the whole batch, so two workers (the after-commit task and
    the periodic catch-up) take turns instead of racing; each batch commits the deliveries
    and the advanced cursor together."""
    result = FanOutResult()
    for _ in range(max_batches):
        with transaction.atomic():
            cursor, _ = FanOutCursor.objects.get_or_create(name=CURSOR_NAME)
            cursor = FanOutCursor.objects.select_for_update().get(pk=cursor.pk)
            horizon = selectors.safe_horizon()
            events = list(
                EventLogEntry.objects.filter(id__gt=cursor.last_event_id, id__lte=horizon)
                .select_related(
                    "case__station",
                    "case__routed_to",
                    "case__custody_unit",
                    "case__designated_provider",
                    "actor",
                    "actor_unit",
                )
                .order_by("id")[:batch_size]
            )
            if not events:
                result.cursor = cursor.last_event_id
                return result
            types = {e.event_type for e in events}
            rules = list(RoutingRule.objects.filter(event_type__in=types, active=True))
            hooks = list(WebhookSubscription.objects.filter(active=True))
            prefs = dict(NotificationPreference.objects.values_list("user_id", "email_mode"))
            now = timezone.now()
            busy: dict[int, int] = {}
            rows: list[Delivery] = []
            for event in events:
                rows += deliveries_for(event, rules, hooks, prefs, now, busy)
            Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
            cursor.last_event_id = events[-1].id
            cursor.updated_at = now
            cursor.save(update_fields=["last_event_id", "updated_at"])
            result.events += len(events)
            result.deliveries += len(rows)
            result.cursor = cursor.last_event_id
            for row in rows:
                result.channels[row.channel] = result.channels.get(row.channel, 0) + 1
        if len(events) < batch_size:
            break
    return result


# --- the inbox ----------------------------------------------------------------------------


def mark_read(*, delivery_id: int, actor: User) -> Delivery:
    """Mark one inbox item read. A queue item read by any member is acknowledged for the
    queue (``read_by`` says who)."""
    with transaction.atomic():
        item = selectors.inbox_for(actor).select_for_update().filter(pk=delivery_id).first()
        if item is None:
            raise OutOfScope("No such notification.")
        if item.read_at is None:
            item.read_at = timezone.now()
            item.read_by = actor
            item.save(update_fields=["read_at", "read_by"])
    return item


def set_email_mode(*, user: User, mode: str) -> NotificationPreference:
    if mode not in EmailMode.values:
        from cases.exceptions import InvalidInput

        raise InvalidInput({"email_mode": [f"Choose from: {', '.join(EmailMode.values)}."]})
    pref, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_mode": mode}
    )
    return pref


# --- e-mail -------------------------------------------------------------------------------


def _address(delivery: Delivery) -> str:
    if delivery.user_id:
        return delivery.user.email
    return delivery.unit.email if delivery.unit_id else ""


def _backoff(attempts: int) -> timedelta:
    base = float(_setting("NOTIFY_RETRY_BASE_SECONDS", 30))
    return timedelta(seconds=base * (2 ** max(attempts - 1, 0)))


def _failed(delivery: Delivery, error: str, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:2000]
    if delivery.attempts >= int(_setting("NOTIFY_MAX_ATTEMPTS", 6)):
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + _backoff(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def _take_due(channel: str, now: datetime) -> Delivery | None:
    """Claim one due delivery; SKIP LOCKED lets other workers take the next one."""
    return (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(channel=channel, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .select_related("user", "unit", "subscription", "event__case", "event__actor_unit")
        .order_by("next_attempt_at", "id")
        .first()
    )


def send_due_emails(*, limit: int = 200) -> int:
    """Send the immediate e-mails that are due, each in its own short transaction."""
    sent = 0
    now = timezone.now()
    for _ in range(limit):
        with transaction.atomic():
            delivery = _take_due(Channel.EMAIL, now)
            if delivery is None:
                break
            try:
                send_mail(
                    subject=f"[CAS] {delivery.message[:120]}",
                    message=delivery.message,
                    from_email=None,
                    recipient_list=[_address(delivery)],
                )
            except Exception as exc:  # a mail server down must not stop the others
                logger.warning("e-mail delivery %s failed: %s", delivery.pk, exc)
                _failed(delivery, str(exc), now)
                continue
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.attempts += 1
            delivery.save(update_fields=["status", "sent_at", "attempts"])
            sent += 1
    return sent


def send_digests(*, now: datetime | None = None) -> int:
    """One e-mail per recipient listing everything held for the digest since the last one."""
    now = now or timezone.now()
    mails = 0
    with transaction.atomic():
        held = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(channel=Channel.EMAIL, status=DeliveryStatus.DIGEST, created_at__lte=now)
            .select_related("user", "unit")
            .order_by("recipient_key", "id")
        )
        groups: dict[str, list[Delivery]] = {}
        for d in held:
            groups.setdefault(d.recipient_key, []).append(d)
        for items in groups.values():
            address = _address(items[0])
            body = "\n".join(f"- {d.created_at:%Y-%m-%d %H:%M} UTC  {d.message}" for d in items)
            try:
                send_mail(
                    subject=f"[CAS] {len(items)} notifications in the last hour",
                    message=body,
                    from_email=None,
                    recipient_list=[address],
                )
            except Exception as exc:
                logger.warning("digest to %s failed: %s", items[0].recipient_key, exc)
                continue
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                status=DeliveryStatus.SENT, sent_at=now, attempts=1
            )
            mails += 1
    return mails


# --- webhooks -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>.<body>"``: the timestamp is signed
    so a captured request cannot be replayed later with a fresh header."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _post(delivery: Delivery, event: EventLogEntry) -> tuple[int | None, str]:
    hook = delivery.subscription
    if not hook.url.lower().startswith(("http://", "https://")):
        return None, "only http(s) webhook URLs are called"
    body = json.dumps(event_document(event), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - partner URLs are http(s) by validation
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "cas-webhooks/1",
            "X-CAS-Event-Id": str(event.id),
            "X-CAS-Event-Type": event.event_type,
            "X-CAS-Delivery-Id": str(delivery.pk),
            "X-CAS-Timestamp": timestamp,
            "X-CAS-Signature": sign(hook.secret, timestamp, body),
        },
    )
    timeout = float(_setting("NOTIFY_WEBHOOK_TIMEOUT_SECONDS", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))


def send_due_webhooks(*, limit: int = 100) -> int:
    """POST every due webhook delivery once; on failure schedule the next try with
    exponential back-off, and after the last try keep it as a dead letter. Each try is its
    own transaction holding only that row, with its line in the delivery log."""
    delivered = 0
    now = timezone.now()
    for _ in range(limit):
        with transaction.atomic():
            delivery = _take_due(Channel.WEBHOOK, now)
            if delivery is None:
                break
            started = time.monotonic()
            code, error = _post(delivery, delivery.event)
            WebhookAttempt.objects.create(
                delivery=delivery,
                number=delivery.attempts + 1,
                at=now,
                status_code=code,
                error=error[:2000],
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            if code is not None and 200 <= code < 300:
                delivery.attempts += 1
                delivery.status = DeliveryStatus.SENT
                delivery.sent_at = now
                delivery.last_error = ""
                delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
                delivered += 1
            else:
                _failed(delivery, error or f"HTTP {code}", now)
    return delivered


def replay(*, deliveries) -> int:
    """Send dead (or any) webhook and e-mail deliveries again, from a fresh try count. The
    row stays the same one, so a replay can never create a second delivery."""
    now = timezone.now()
    return deliveries.exclude(channel=Channel.INBOX).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )


def dispatch(*, rounds: int = 10) -> dict:
    """Send what is due on the outbound channels."""
    mails = hooks = 0
    for _ in range(rounds):
        m = send_due_emails()
        h = send_due_webhooks()
        mails += m
        hooks += h
        if not m and not h:
            break
    return {"emails": mails, "webhooks": hooks}
