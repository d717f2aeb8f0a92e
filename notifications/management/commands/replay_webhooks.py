"""Send dead-letter deliveries again (all, or by id / subscription), then dispatch."""

from django.core.management.base import BaseCommand

from notifications import services
from notifications.models import Channel, Delivery, DeliveryStatus


class Command(BaseCommand):
    help = "Replay dead webhook (or e-mail) deliveries."

    def add_arguments(self, parser):
        parser.add_argument("--delivery", type=int, action="append", default=[])
        parser.add_argument("--subscription", type=int)
        parser.add_argument("--channel", choices=[Channel.WEBHOOK, Channel.EMAIL])
        parser.add_argument("--no-send", action="store_true", help="Only queue them again.")

    def handle(self, *args, **opts):
        qs = Delivery.objects.filter(status=DeliveryStatus.DEAD)
        if opts["delivery"]:
            qs = Delivery.objects.filter(pk__in=opts["delivery"])
        if opts["subscription"]:
            qs = qs.filter(subscription_id=opts["subscription"])
        qs = qs.filter(channel=opts["channel"] or Channel.WEBHOOK)
        count = services.replay(deliveries=qs)
        self.stdout.write(f"queued {count} deliveries again")
        if not opts["no_send"]:
            self.stdout.write(f"sent: {services.dispatch()}")
