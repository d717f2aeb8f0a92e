"""Loading the reference data in ``fixtures/``: units with AOR routing, and SLA policies.

Idempotent: each row is matched by its code or name and updated in place, so running it
again after the fixtures change brings a live database up to date.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import SlaPolicy, Unit

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def load_units(path: Path = FIXTURES / "units.json") -> int:
    rows = json.loads(path.read_text())
    with transaction.atomic():
        by_code: dict[str, Unit] = {}
        # Parents come first in the file; routing refers to AORs, set in a second pass.
        for row in rows:
            parent = by_code.get(row["parent"]) if row.get("parent") else None
            unit, _ = Unit.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "parent": parent,
                    "timezone": row["timezone"],
                },
            )
            by_code[unit.code] = unit
        for row in rows:
            if row.get("routes_to"):
                unit = by_code[row["code"]]
                unit.routes_to = by_code[row["routes_to"]]
                unit.save(update_fields=["routes_to"])
    return len(rows)


def load_sla_policies(path: Path = FIXTURES / "sla_policies.json") -> int:
    rows = json.loads(path.read_text())
    with transaction.atomic():
        for row in rows:
            data = dict(row)
            hours = data.pop("duration_hours")
            SlaPolicy.objects.update_or_create(
                name=data.pop("name"), defaults={**data, "duration": timedelta(hours=hours)}
            )
    return len(rows)


def load_reference() -> dict[str, int]:
    return {"units": load_units(), "sla_policies": load_sla_policies()}
