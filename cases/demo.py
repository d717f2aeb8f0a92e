"""Demo users of API.md and a handful of demo cases, through the real services."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Case, Role, Unit, User
from .reference import load_reference

DEMO_USERS = [
    ("agent_ept", Role.USBP_AGENT, "EPT-EPS", "Ana", "Villarreal"),
    ("agent_tca", Role.USBP_AGENT, "TCA-NGL", "Luis", "Ochoa"),
    ("super_ept", Role.USBP_SUPERVISOR, "EPT", "Marta", "Salinas"),
    ("ero_elp", Role.ERO_OFFICER, "ELP", "Jorge", "Medina"),
    ("ero_pho", Role.ERO_OFFICER, "PHO", "Carla", "Ibarra"),
    ("orr_intake", Role.ORR_INTAKE, "ORR-INTAKE", "Rosa", "Delgado"),
    ("manager_hq", Role.MANAGER, "NAT", "Peter", "Lang"),
    ("auditor_hq", Role.AUDITOR, "NAT", "Grace", "Moreno"),
    ("partner_feed", Role.PARTNER_SYSTEM, "NAT", "Partner", "System"),
]


def seed_users(password: str) -> list[User]:
    users = []
    with transaction.atomic():
        for username, role, unit_code, first, last in DEMO_USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "role": role,
                    "unit": Unit.objects.get(code=unit_code),
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.gov",
                    "is_staff": role in (Role.MANAGER, Role.AUDITOR),
                    "is_active": True,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            users.append(user)
        national_read_only = _national_read_only_group()
        for user in users:
            if user.role in NATIONAL_READERS:
                user.groups.add(national_read_only)
    return users


# The README sends managers and auditors to the admin: they read everything there, and
# change nothing (the services are the only writers).
NATIONAL_READERS = (Role.MANAGER, Role.AUDITOR)
READ_ONLY_APPS = ("cases", "transfers", "notifications")


def _national_read_only_group() -> Group:
    group, _ = Group.objects.get_or_create(name="National read-only")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=READ_ONLY_APPS, codename__startswith="view_"
        )
    )
    return group


DEMO_SUBJECTS = [
    # (first, last, second, dob, sex, country, demographic, hours since apprehension)
    ("Ana", "López", "García", date(2010, 4, 2), "F", "GT", "uac", 30),
    ("José", "Hernández", "Pérez", date(1991, 8, 17), "M", "HN", "single_adult", 20),
    ("María", "Ramírez", "Cruz", date(1988, 1, 5), "F", "SV", "single_adult", 40),
    ("Kevin", "Morales", "Ruiz", date(2009, 11, 23), "M", "GT", "uac", 8),
]


def seed_cases() -> int:
    """Book the demo cases once (skipped when the demo station already has cases)."""
    agent = User.objects.get(username="agent_ept")
    if Case.objects.filter(station=agent.unit).exists():
        return 0
    now = timezone.now()
    for index, (first, last, second, dob, sex, country, demo, hours) in enumerate(
        DEMO_SUBJECTS, start=1
    ):
        services.book_case(
            actor=agent,
            subject=services.SubjectData(
                first_name=first,
                last_name=last,
                second_last_name=second,
                date_of_birth=dob,
                sex=sex,
                country_of_citizenship=country,
            ),
            event_number=f"EPT{now:%y%m%d}{9000 + index:04d}",
            apprehended_at=now - timedelta(hours=hours),
            demographic=demo,
        )
    return len(DEMO_SUBJECTS)


def seed_demo(password: str, with_cases: bool = True) -> dict[str, int]:
    counts = load_reference()
    counts["users"] = len(seed_users(password))
    counts["cases"] = seed_cases() if with_cases else 0
    if with_cases:
        counts.update(seed_app_demos())
    return counts


def seed_app_demos() -> dict[str, int]:
    """Demo data of the apps built on cases (``<app>.demo.seed()``, e.g. transfers' demo
    placements), found through the app registry so that cases imports none of them."""
    from importlib import import_module

    from django.apps import apps

    counts: dict[str, int] = {}
    for config in apps.get_app_configs():
        if config.name == "cases" or not config.name.isidentifier():
            continue
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError:
            continue
        if callable(getattr(module, "seed", None)):
            counts.update(module.seed())
    return counts
