"""Fixtures of the transfers suites: the app's reference data and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.models import Role, Unit
from tests import factories
from transfers.models import BedCapacity
from transfers.reference import load


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made in every test; the production hasher's cost buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def transfers_reference(reference):
    """Care-provider capacity and contractors (reloaded after a transactional flush)."""
    if not BedCapacity.objects.exists():
        load()
    return reference


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def agent_rgv(reference):
    return factories.UserFactory(role=Role.USBP_AGENT, unit=Unit.objects.get(code="RGV-MCA"))
