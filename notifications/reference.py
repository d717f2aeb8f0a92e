"""Routing rules as reference data: ``fixtures/routing_rules.json`` → ``RoutingRule`` rows.

Idempotent; a rule missing from the file is deactivated, not deleted. ``manage.py
load_extras`` calls ``load()``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import RoutingRule

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "routing_rules.json"


def load(path: Path = FIXTURE) -> dict[str, int]:
    rows = json.loads(path.read_text())
    keep = []
    with transaction.atomic():
        for row in rows:
            rule, _ = RoutingRule.objects.update_or_create(
                event_type=row["event_type"],
                target=row["target"],
                defaults={
                    "email": row.get("email", True),
                    "note": row.get("note", ""),
                    "active": True,
                },
            )
            keep.append(rule.pk)
        RoutingRule.objects.exclude(pk__in=keep).update(active=False)
    return {"routing_rules": len(rows)}
