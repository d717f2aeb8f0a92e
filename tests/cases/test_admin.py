"""The admin lists the seeded units and users, and cannot rewrite the event log."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from cases.models import EventLogEntry, Unit, User
from tests.factories import book

pytestmark = pytest.mark.django_db

PASSWORD = "demo-Pass-2026"
SEEDED = ["agent_ept", "agent_tca", "super_ept", "ero_elp", "ero_pho", "orr_intake"]
SEEDED += ["manager_hq", "auditor_hq"]
SECTORS = ["SDC", "ELC", "YUM", "TCA", "EPT", "BBT", "DRT", "LRT", "RGV"]


@pytest.fixture
def seeded():
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


def admin_login(username: str, password: str) -> Client:
    """Log in through the admin's own login form (as a person would; axes sees it)."""
    client = Client()
    resp = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    assert resp.status_code == 302 and resp["Location"] == "/admin/", username
    return client


@pytest.fixture
def superuser_client():
    User.objects.create_superuser("root", "root@example.gov", "root-Pass-2026")
    return admin_login("root", "root-Pass-2026")


def test_admin_login_page_loads(client):
    resp = client.get("/admin/login/")
    assert resp.status_code == 200
    assert b'name="username"' in resp.content


def test_admin_lists_the_seeded_units(seeded, superuser_client):
    resp = superuser_client.get("/admin/cases/unit/", {"all": ""})
    assert resp.status_code == 200
    body = resp.content.decode()
    for code in [*SECTORS, "ELP", "PHO", "ORR-INTAKE", "EPT-EPS", "TCA-NGL"]:
        assert f">{code}<" in body, code
    # One row per unit: the change list counts them all.
    assert f"{Unit.objects.count()} units" in body


def test_admin_lists_the_seeded_users(seeded, superuser_client):
    resp = superuser_client.get("/admin/cases/user/")
    assert resp.status_code == 200
    body = resp.content.decode()
    for username in SEEDED:
        assert f">{username}<" in body, username


@pytest.mark.parametrize("username", ["manager_hq", "auditor_hq"])
def test_national_staff_read_units_and_users_in_the_admin(seeded, username):
    """The README sends managers and auditors to the admin: they must see, not change."""
    client = admin_login(username, PASSWORD)
    index = client.get("/admin/")
    assert index.status_code == 200
    for url in ["/admin/cases/unit/", "/admin/cases/user/", "/admin/cases/eventlogentry/"]:
        assert client.get(url).status_code == 200, url
    assert ">EPT<" in client.get("/admin/cases/unit/").content.decode()
    assert ">agent_ept<" in client.get("/admin/cases/user/").content.decode()
    # Read-only: no adding units, no changing users.
    assert client.get("/admin/cases/unit/add/").status_code == 403
    agent = User.objects.get(username="agent_ept")
    resp = client.post(f"/admin/cases/user/{agent.pk}/change/", {"username": "renamed"})
    assert resp.status_code == 403
    agent.refresh_from_db()
    assert agent.username == "agent_ept"


def test_agents_have_no_admin(seeded):
    client = Client()
    resp = client.post("/admin/login/", {"username": "agent_ept", "password": PASSWORD})
    assert resp.status_code == 200  # the form again: not a staff account
    assert client.get("/admin/cases/unit/").status_code == 302  # to the admin login


def test_admin_cannot_change_or_delete_event_log_rows(superuser_client, agent_ept):
    case = book(agent_ept)
    entry = EventLogEntry.objects.get(case=case)
    assert superuser_client.get("/admin/cases/eventlogentry/").status_code == 200
    assert superuser_client.get(f"/admin/cases/eventlogentry/{entry.pk}/change/").status_code == 200
    resp = superuser_client.post(f"/admin/cases/eventlogentry/{entry.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403
    resp = superuser_client.post(
        f"/admin/cases/eventlogentry/{entry.pk}/change/", {"reason": "rewritten"}
    )
    assert resp.status_code == 403
    assert EventLogEntry.objects.filter(pk=entry.pk, reason="").exists()
