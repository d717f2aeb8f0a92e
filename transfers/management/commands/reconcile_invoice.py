"""Import a transport contractor's invoice (CSV) and print its reconciliation against the
recorded movements: unsupported, duplicated and over-billed lines with the amounts."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.exceptions import DomainError, InvalidInput
from cases.models import User
from transfers import services
from transfers.models import Contractor
from transfers.serializers import InvoiceOutput


class Command(BaseCommand):
    help = (
        "Import and reconcile a contractor's invoice CSV (columns: "
        + ", ".join(services.INVOICE_COLUMNS)
        + ")."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The invoice CSV file.")
        parser.add_argument("--contractor", required=True, help="Contractor code.")
        parser.add_argument("--number", required=True, help="The invoice's number.")
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON."
        )

    def handle(self, *args, path, contractor, number, user, as_json: bool, **options):
        found = Contractor.objects.filter(code=contractor).first()
        if found is None:
            raise CommandError(f"No contractor {contractor!r}.")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            invoice = services.import_invoice(
                contractor=found, number=number, content=content, actor=actor
            )
        except InvalidInput as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        report = InvoiceOutput(invoice).data
        if as_json:
            self.stdout.write(json.dumps(report, indent=1, default=str))
            return
        self.stdout.write(
            f"Invoice {invoice.number} of {found.code}: billed {invoice.billed_total}, "
            f"supported {invoice.supported_total}, in question {invoice.questioned_total}"
        )
        for line in invoice.lines.all():
            if line.status == "ok":
                continue
            self.stdout.write(
                f"  line {line.line_number} {line.trip_number}: {line.status} "
                f"billed {line.amount} recorded {line.recorded_cost or '-'} "
                f"in question {line.questioned_amount} ({line.note})"
            )
