"""The fan-out of the event log: routing rules as data, the cursor of the catch-up, one
delivery row per (event, recipient, channel), e-mail preferences and partner webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import EventLogEntry, Unit


class Target(models.TextChoices):
    """Who a routing rule reaches, resolved against the event's case when it is fanned out."""

    AOR_QUEUE = "aor_queue", "Queue of the ERO AOR the case is routed to"
    STATION_QUEUE = "station_queue", "Queue of the booking station"
    SUBMITTING_AGENT = "submitting_agent", "The agent who submitted the case"
    ORR_INTAKE = "orr_intake", "ORR intake queue"
    RESPONSIBLE_UNIT = "responsible_unit", "Queue of the unit that must act next (SLA)"
    SUPERVISORS = "supervisors", "USBP supervisors over the responsible unit"
    MANAGERS = "managers", "Managers whose scope holds the case"


class RoutingRule(models.Model):
    """``event_type`` → ``target``: loaded from ``fixtures/routing_rules.json``."""

    event_type = models.CharField(max_length=40, db_index=True)
    target = models.CharField(max_length=32, choices=Target.choices)
    email = models.BooleanField(default=True, help_text="Also send e-mail to this target.")
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["event_type", "target"]
        constraints = [
            models.UniqueConstraint(fields=["event_type", "target"], name="one_rule_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.target}"


class FanOutCursor(models.Model):
    """How far the fan-out has read the event log. Advanced under a row lock, only up to the
    safe horizon (``notifications.selectors.safe_horizon``), so no event is ever skipped."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"


class Channel(models.TextChoices):
    INBOX = "inbox", "In-app inbox"
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DIGEST = "digest", "Held for the hourly digest"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead letter"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    HOURLY = "hourly", "Hourly digest"
    OFF = "off", "Off"


class WebhookSubscription(models.Model):
    """A partner system's endpoint: which event types it wants, and the shared secret that
    signs every request (HMAC-SHA256 over ``"<timestamp>.<body>"``)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty: every type.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One (event, recipient, channel). The unique constraint is what makes a redelivered
    task, a second catch-up or a retried webhook harmless: inserts ignore conflicts.

    ``recipient_key`` is ``user:<id>``, ``unit:<id>`` or ``hook:<id>``; the matching foreign
    key is set too. For the inbox, a unit row is that unit's work queue: any member who reads
    it acknowledges it for the queue.
    """

    event = models.ForeignKey(EventLogEntry, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient_key = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event_type = models.CharField(max_length=40)
    case_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient_key", "channel"], name="one_delivery_per_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "user", "read_at"], name="inbox_user_idx"),
            models.Index(fields=["channel", "unit", "read_at"], name="inbox_unit_idx"),
            models.Index(fields=["channel", "status", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event_type} → {self.recipient_key}"


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP try."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"try {self.number} of {self.delivery_id}: {self.status_code or self.error}"


class NotificationPreference(models.Model):
    """How a person wants their e-mail: immediately, as an hourly digest, or not at all.
    The in-app inbox is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_pref"
    )
    email_mode = models.CharField(
        max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"
