"""Admin: routing rules, webhook subscriptions, deliveries with the delivery log, and the
replay of dead letters."""

from django.contrib import admin, messages

from . import services
from .models import (
    Delivery,
    FanOutCursor,
    NotificationPreference,
    RoutingRule,
    WebhookAttempt,
    WebhookSubscription,
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["event_type", "target", "email", "active"]
    list_filter = ["event_type", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "created_at"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "status_code", "error", "duration_ms"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "event_type", "recipient_key", "status", "attempts"]
    list_filter = ["channel", "status", "event_type"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["replay_deliveries"]

    @admin.action(description="Replay the selected e-mail/webhook deliveries")
    def replay_deliveries(self, request, queryset):
        count = services.replay(deliveries=queryset)
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


admin.site.register(FanOutCursor)
admin.site.register(NotificationPreference)
