"""Set-up commands: reference data (``load_reference``) and the demo users (``seed_demo``),
both idempotent, and the reference data API.md promises."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient
from simple_history.models import HistoricalChanges

from cases.models import Case, EventLogEntry, Role, SlaPolicy, Unit, UnitKind, User
from tests.ports import free_port

pytestmark = pytest.mark.django_db

PASSWORD = "demo-Pass-2026"
SECTORS = {
    # code: (receiving ERO AOR, time zone) — DESIGN.md's routing table
    "SDC": ("SND", "America/Los_Angeles"),
    "ELC": ("SND", "America/Los_Angeles"),
    "YUM": ("PHO", "America/Phoenix"),
    "TCA": ("PHO", "America/Phoenix"),
    "EPT": ("ELP", "America/Denver"),
    "BBT": ("ELP", "America/Chicago"),
    "DRT": ("SNA", "America/Chicago"),
    "LRT": ("HLG", "America/Chicago"),
    "RGV": ("HLG", "America/Chicago"),
}
API_USERS = {
    # username: (role, unit kind, unit or its sector)
    "agent_ept": (Role.USBP_AGENT, UnitKind.STATION, "EPT"),
    "agent_tca": (Role.USBP_AGENT, UnitKind.STATION, "TCA"),
    "super_ept": (Role.USBP_SUPERVISOR, UnitKind.SECTOR, "EPT"),
    "ero_elp": (Role.ERO_OFFICER, UnitKind.AOR, "ELP"),
    "ero_pho": (Role.ERO_OFFICER, UnitKind.AOR, "PHO"),
    "orr_intake": (Role.ORR_INTAKE, UnitKind.ORR_INTAKE, "ORR-INTAKE"),
    "manager_hq": (Role.MANAGER, UnitKind.NATIONAL, "NAT"),
    "auditor_hq": (Role.AUDITOR, UnitKind.NATIONAL, "NAT"),
}


def units_snapshot() -> list[tuple]:
    return list(
        Unit.objects.order_by("code").values_list(
            "id", "code", "name", "kind", "parent__code", "routes_to__code", "timezone", "path"
        )
    )


def seed(password: str = PASSWORD) -> str:
    out = StringIO()
    call_command("seed_demo", password=password, stdout=out)
    return out.getvalue()


def users_snapshot() -> list[tuple]:
    return list(
        User.objects.order_by("username").values_list(
            "id", "username", "role", "unit__code", "is_staff", "is_active"
        )
    )


def all_row_counts() -> dict[str, int]:
    """Rows of every model of the three apps (reference data of transfers and notifications
    included), and of users and groups."""
    models = [
        m
        for app in ("cases", "transfers", "notifications")
        for m in apps.get_app_config(app).get_models()
    ]
    # Other apps' loaders may re-save unchanged reference rows, adding history rows; the
    # data rows themselves must not grow.
    models = [
        m for m in models if m._meta.app_label == "cases" or not issubclass(m, HistoricalChanges)
    ]
    models += [Group]
    return {m._meta.label: m._default_manager.count() for m in models}


# --- load_reference -------------------------------------------------------------------------


def test_load_reference_is_idempotent():
    call_command("load_reference", stdout=StringIO())
    units, policies = units_snapshot(), list(SlaPolicy.objects.order_by("name").values())
    call_command("load_reference", stdout=StringIO())
    assert units_snapshot() == units
    assert list(SlaPolicy.objects.order_by("name").values()) == policies


def test_load_reference_restores_edited_rows_in_place():
    ept = Unit.objects.get(code="EPT")
    Unit.objects.filter(pk=ept.pk).update(name="renamed", routes_to=Unit.objects.get(code="PHO"))
    call_command("load_reference", stdout=StringIO())
    ept.refresh_from_db()
    assert (ept.name, ept.routes_to.code) == ("El Paso Sector", "ELP")
    assert Unit.objects.filter(code="EPT").count() == 1


def test_reference_holds_the_nine_southwest_border_sectors_and_their_routing():
    sectors = Unit.objects.filter(kind=UnitKind.SECTOR)
    assert {s.code: (s.routes_to.code, s.timezone) for s in sectors} == SECTORS
    for sector in sectors:
        stations = sector.children.filter(kind=UnitKind.STATION)
        assert stations.count() >= 2, sector.code
        assert {s.timezone for s in stations} == {sector.timezone}


def test_reference_holds_aors_facilities_usms_and_orr():
    aors = Unit.objects.filter(kind=UnitKind.AOR)
    assert set(aors.values_list("code", flat=True)) == {"ELP", "SNA", "HLG", "PHO", "SND"}
    for aor in aors:
        assert aor.children.filter(kind=UnitKind.DETENTION_FACILITY).exists(), aor.code
    assert Unit.objects.filter(kind=UnitKind.USMS_DISTRICT).count() >= len(SECTORS)
    assert Unit.objects.filter(kind=UnitKind.ORR_INTAKE).count() == 1
    assert Unit.objects.filter(kind=UnitKind.CARE_PROVIDER).count() >= 3
    assert Unit.objects.get(kind=UnitKind.NATIONAL).code == "NAT"


def test_reference_holds_the_five_legal_clocks():
    assert set(SlaPolicy.objects.values_list("name", flat=True)) >= {
        "custody_determination",
        "uac_placement_request",
        "orr_placement_answer",
        "uac_transfer",
        "usbp_custody",
    }
    hours = {p.name: p.duration.total_seconds() / 3600 for p in SlaPolicy.objects.all()}
    assert hours["custody_determination"] == 48
    assert hours["uac_placement_request"] == 48
    assert hours["orr_placement_answer"] == 24
    assert hours["uac_transfer"] == 72
    assert hours["usbp_custody"] == 72


# --- seed_demo ----------------------------------------------------------------------------


def test_seed_demo_creates_the_users_of_the_api_contract():
    seed()
    for username, (role, kind, where) in API_USERS.items():
        user = User.objects.get(username=username)
        assert user.role == role, username
        assert user.unit.kind == kind, username
        assert where in (user.unit.code, getattr(user.unit.sector, "code", None)), username
        assert user.check_password(PASSWORD), username
        assert user.is_active


def test_seed_demo_is_idempotent():
    seed()
    users, cases, counts = users_snapshot(), Case.objects.count(), all_row_counts()
    events, units = EventLogEntry.objects.count(), units_snapshot()
    assert cases > 0  # demo cases were booked
    seed()
    assert users_snapshot() == users
    assert Case.objects.count() == cases
    assert EventLogEntry.objects.count() == events
    assert units_snapshot() == units
    assert User.objects.filter(username__in=API_USERS).count() == len(API_USERS)
    for username in API_USERS:
        assert User.objects.get(username=username).check_password(PASSWORD)
    assert all_row_counts() == counts
    readers = User.objects.filter(groups__name="National read-only")
    assert sorted(readers.values_list("username", flat=True)) == ["auditor_hq", "manager_hq"]


def test_seed_demo_again_with_a_new_password_replaces_it():
    seed()
    seed("another-Pass-2027")
    user = User.objects.get(username="agent_ept")
    assert user.check_password("another-Pass-2027")
    assert not user.check_password(PASSWORD)


def test_seeded_users_log_in_through_the_api():
    seed()
    client = APIClient()
    for username in API_USERS:
        resp = client.post(
            "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
        )
        assert resp.status_code == 200, (username, resp.content)
        assert resp.json()["token"]


def test_seed_demo_requires_a_password():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


# --- serve: the README's first command, end to end ------------------------------------------


def _free_port() -> int:
    """A free port of the range this suite may use (18600-18699)."""
    return free_port(range(18650, 18700), "the serve test in 18650-18699")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.mark.slow
def test_serve_starts_the_embedded_system_and_answers_healthz(tmp_path):
    """``manage.py serve`` on a fresh data folder: migrates SQLite, seeds, starts web, worker
    and beat; ``/healthz`` answers 200 and the admin login page loads; SIGTERM stops it all."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["CAS_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            "--demo-password",
            PASSWORD,
            "--bind",
            f"127.0.0.1:{port}",
            "--web-workers",
            "1",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            status = _get(f"{base}/healthz")
            if status == 200:
                break
            time.sleep(1)
        assert status == 200, f"/healthz answered {status}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            assert json.load(resp) == {"database": "ok", "broker": "ok"}
        assert _get(f"{base}/admin/login/") == 200
        assert (tmp_path / "cas.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output = proc.communicate(timeout=60)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0].decode(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert "running on" in output
