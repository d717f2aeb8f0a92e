"""Reference data of the transfers app: care-provider bed capacity and transport
contractors with their contract terms. Called by ``manage.py load_extras``; idempotent
(rows are matched by their natural keys and updated in place)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cases.models import Unit, UnitKind

from .models import BedCapacity, Contractor, ContractTerms

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def load_care_providers(path: Path = FIXTURES / "care_providers.json") -> int:
    rows = json.loads(path.read_text())
    count = 0
    with transaction.atomic():
        for row in rows:
            provider = Unit.objects.filter(code=row["code"], kind=UnitKind.CARE_PROVIDER).first()
            if provider is None:
                continue
            for band in row["beds"]:
                BedCapacity.objects.update_or_create(
                    provider=provider,
                    sex=band["sex"],
                    age_band=band["age_band"],
                    defaults={"beds": band["beds"]},
                )
                count += 1
    return count


def load_contractors(path: Path = FIXTURES / "contractors.json") -> int:
    rows = json.loads(path.read_text())
    with transaction.atomic():
        for row in rows:
            contractor, _ = Contractor.objects.update_or_create(
                code=row["code"],
                defaults={"name": row["name"], "contract_number": row.get("contract_number", "")},
            )
            for terms in row["terms"]:
                ContractTerms.objects.update_or_create(
                    contractor=contractor,
                    valid_from=date.fromisoformat(terms["valid_from"]),
                    defaults={
                        "valid_to": date.fromisoformat(terms["valid_to"])
                        if terms.get("valid_to")
                        else None,
                        "per_trip": Decimal(terms["per_trip"]),
                        "per_person": Decimal(terms["per_person"]),
                        "per_mile": Decimal(terms["per_mile"]),
                    },
                )
    return len(rows)


def load() -> dict[str, int]:
    return {"bed_capacity": load_care_providers(), "contractors": load_contractors()}
