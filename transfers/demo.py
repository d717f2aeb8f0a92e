"""Demo placements for the demo cases of ``cases.demo``: one request waiting for ORR and
one designated, through the real services. Idempotent (a child with a placement request is
left alone)."""

from __future__ import annotations

from django.db import transaction

from cases.models import Case, Demographic, Unit, User

from . import services
from .reference import load


def seed() -> dict[str, int]:
    load()
    agent = User.objects.filter(username="agent_ept").first()
    orr = User.objects.filter(username="orr_intake").first()
    if agent is None or orr is None:
        return {"placements": 0}
    children = list(
        Case.objects.filter(
            station=agent.unit, demographic=Demographic.UAC, placements__isnull=True
        ).order_by("id")
    )
    made = 0
    with transaction.atomic():
        for index, child in enumerate(children[:2]):
            placement = services.request_placement(
                case=child,
                actor=agent,
                needs=services.PlacementNeeds(
                    medical_notes="Seen by EMT at intake; no acute issues.",
                    languages=["es"],
                    sponsor={"name": "Rosa Morales", "relationship": "aunt", "phone": ""},
                ),
            )
            made += 1
            if index == 1:
                services.designate_placement(
                    placement=placement, actor=orr, facility=Unit.objects.get(code="ORR-CP-BRO")
                )
    return {"placements": made}
