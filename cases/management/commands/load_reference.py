"""Load (or refresh) the reference units, AOR routing and SLA policies."""

from django.core.management.base import BaseCommand

from cases.reference import load_reference


class Command(BaseCommand):
    help = "Load or refresh reference data from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        counts = load_reference()
        self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))
