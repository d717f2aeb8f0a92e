"""Load reference data and the demo users of API.md (idempotent)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from cases.demo import seed_demo


class Command(BaseCommand):
    help = "Load reference units and SLA policies, create the demo users and demo cases."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="Password for every demo user.")
        parser.add_argument("--no-cases", action="store_true", help="Do not book demo cases.")

    def handle(self, *args, password, no_cases, **options):
        counts = seed_demo(password, with_cases=not no_cases)
        call_command("load_extras", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(", ".join(f"{n} {k}" for k, n in counts.items())))
