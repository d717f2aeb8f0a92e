"""Shared fixtures: reference data once per session, demo-like users, clock helpers."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import override_settings

from cases.models import Role, Unit
from cases.reference import load_reference
from tests import factories


def pytest_collection_modifyitems(config, items):
    """Tests that need a real PostgreSQL or Redis are skipped on the embedded default and
    must run in CI (``.ci/run`` refuses a run that skipped any of them)."""
    pg = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    redis = bool(os.environ.get("CAS_TEST_REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not pg:
            item.add_marker(pytest.mark.skip(reason="services: needs DATABASE_URL=postgres://"))
        if "redis" in item.keywords and not redis:
            item.add_marker(pytest.mark.skip(reason="services: needs CAS_TEST_REDIS_URL"))


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """Salted MD5 for the test run only: PBKDF2's deliberate slowness is for production."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture
def reference(db):
    """Reference units and SLA policies (reloaded after a transactional test's flush)."""
    if not Unit.objects.filter(code="NAT").exists():
        load_reference()
    return Unit.objects


@pytest.fixture
def unit(reference):
    return lambda code: Unit.objects.get(code=code)


@pytest.fixture
def agent_ept(reference):
    return factories.UserFactory(role=Role.USBP_AGENT, unit=Unit.objects.get(code="EPT-EPS"))


@pytest.fixture
def agent_tca(reference):
    return factories.UserFactory(role=Role.USBP_AGENT, unit=Unit.objects.get(code="TCA-NGL"))


@pytest.fixture
def super_ept(reference):
    return factories.UserFactory(role=Role.USBP_SUPERVISOR, unit=Unit.objects.get(code="EPT"))


@pytest.fixture
def ero_elp(reference):
    return factories.UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="ELP"))


@pytest.fixture
def ero_pho(reference):
    return factories.UserFactory(role=Role.ERO_OFFICER, unit=Unit.objects.get(code="PHO"))


@pytest.fixture
def orr_user(reference):
    return factories.UserFactory(role=Role.ORR_INTAKE, unit=Unit.objects.get(code="ORR-INTAKE"))


@pytest.fixture
def manager_hq(reference):
    return factories.UserFactory(role=Role.MANAGER, unit=Unit.objects.get(code="NAT"))


@pytest.fixture
def auditor_hq(reference):
    return factories.UserFactory(role=Role.AUDITOR, unit=Unit.objects.get(code="NAT"))


@pytest.fixture
def partner(reference):
    return factories.UserFactory(role=Role.PARTNER_SYSTEM, unit=Unit.objects.get(code="NAT"))


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


# --- API test support ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords_and_fresh_throttles(settings):
    """MD5 hashing keeps the many users of the API tests cheap; throttle counters live in
    the cache, which must not carry one test's requests into the next."""
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()
