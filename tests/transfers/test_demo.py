"""The demo data includes placements, made through the real services, idempotently."""

import pytest

from cases.demo import seed_demo
from transfers.models import PlacementRequest

pytestmark = pytest.mark.django_db


def test_demo_placements_are_seeded_once(reference, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = seed_demo("demo-pass-1")
    assert counts["placements"] == 2
    states = sorted(PlacementRequest.objects.values_list("state", flat=True))
    assert states == ["designated", "requested"]
    assert seed_demo("demo-pass-1")["placements"] == 0
    assert PlacementRequest.objects.count() == 2
