"""An object outside the caller's scope answers exactly as an absent one (DESIGN.md: "so
that existence does not leak"): same status, same error body, whether its id is in the path
or in the input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, Role
from tests import factories

from . import matrix

ABSENT = 987654


@pytest.fixture
def world(reference):
    return matrix.World()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def same_answer(client, method: str, path_or_body, *, real, absent, path=None) -> None:
    """Send the request once with the real out-of-scope id and once with an absent one."""
    answers = []
    for pk in (real, absent):
        if path is None:
            resp = getattr(client, method)(path_or_body.format(pk=pk), {}, format="json")
        else:
            resp = getattr(client, method)(path, path_or_body(pk), format="json")
        answers.append((resp.status_code, resp.json()))
    assert answers[0] == answers[1], answers
    assert answers[0][0] in (400, 404), answers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "unit"),
    [(Role.USBP_AGENT, "TCA-NGL"), (Role.ERO_OFFICER, "PHO"), (Role.MANAGER, "TCA")],
)
def test_out_of_scope_ids_in_paths_answer_as_absent(world, role, unit):
    placement = world.placement("requested")
    movement = world.movement()
    clock = world.clock(placement.case)
    client = client_for(world.user(role, unit))
    for template, pk in [
        ("/api/v1/cases/{pk}/placement-request/", placement.case_id),
        ("/api/v1/cases/{pk}/criminal-history/", placement.case_id),
        ("/api/v1/cases/{pk}/relatives/", placement.case_id),
        ("/api/v1/subjects/{pk}/relatives/", placement.case.subject_id),
        ("/api/v1/placements/{pk}/", placement.pk),
        ("/api/v1/placements/{pk}/cancel/", placement.pk),
        ("/api/v1/placements/{pk}/designate/", placement.pk),
        ("/api/v1/movements/{pk}/", movement.pk),
        ("/api/v1/movements/{pk}/depart/", movement.pk),
        ("/api/v1/movements/{pk}/handover/", movement.pk),
        ("/api/v1/movements/{pk}/cancel/", movement.pk),
        ("/api/v1/sla/clocks/{pk}/", clock.pk),
        ("/api/v1/sla/clocks/{pk}/extend/", clock.pk),
    ]:
        method = "get" if template.endswith(("}/", "relatives/")) else "post"
        same_answer(client, method, template, real=pk, absent=ABSENT)


@pytest.mark.django_db
def test_out_of_scope_case_ids_in_input_answer_as_absent(world):
    """A Tucson agent naming an El Paso case on a manifest or as a travel companion learns
    nothing more than naming a case that does not exist."""
    world.transfers_reference()
    el_paso = world.case("accepted")
    tucson_agent = world.user(Role.USBP_AGENT, "TCA-NGL")
    child = factories.book(tucson_agent, demographic="uac")
    client = client_for(tucson_agent)

    def leg(pk):
        return {
            "from_unit": "TCA-NGL",
            "to_unit": "USMS-AZ-TUS",
            "cases": [pk],
            "carrier": {"contractor": matrix.CONTRACTOR},
            "scheduled_pickup_at": (timezone.now() + timedelta(hours=2)).isoformat(),
            "distance_miles": "12",
        }

    same_answer(client, "post", leg, real=el_paso.pk, absent=ABSENT, path="/api/v1/movements/")

    def companions(pk):
        return {"needs": {"travel_companions": [{"case": pk, "relation": "sibling"}]}}

    same_answer(
        client,
        "post",
        companions,
        real=el_paso.pk,
        absent=ABSENT,
        path=f"/api/v1/cases/{child.pk}/placement-request/",
    )
    assert not child.placements.exists()
    assert Case.objects.get(pk=el_paso.pk).state == "accepted"
