"""factory-boy factories with realistic border data, and helpers that book through the
real services so that every case in a test has its event log and clocks."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import factory
from django.utils import timezone

from cases import services
from cases.models import ApprehensionEvent, Case, Role, Subject, Unit, User

FIRST_NAMES_F = ["Ana", "María", "Guadalupe", "Rosa", "Yesenia", "Daniela", "Karla", "Lucía"]
FIRST_NAMES_M = ["José", "Juan", "Luis", "Carlos", "Kevin", "Brayan", "Jorge", "Miguel"]
SURNAMES = [
    "López",
    "García",
    "Hernández",
    "Martínez",
    "Pérez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Morales",
    "Reyes",
    "Gómez",
    "Díaz",
    "Vásquez",
    "Castillo",
    "Ortiz",
    "Mejía",
]
COUNTRIES = ["GT", "HN", "SV", "MX", "NI", "EC", "VE", "CO"]

_event_seq = itertools.count(1)


def next_event_number(sector: str = "EPT") -> str:
    return f"{sector}{timezone.now():%y%m%d}{next(_event_seq):04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    first_name = factory.Iterator(FIRST_NAMES_F + FIRST_NAMES_M)
    last_name = factory.Iterator(SURNAMES)
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov")
    role = Role.USBP_AGENT
    unit = factory.LazyFunction(lambda: Unit.objects.get(code="EPT-EPS"))
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SubjectDataFactory(factory.Factory):
    """The booking input for one person (an adult by default)."""

    class Meta:
        model = services.SubjectData

    first_name = factory.Iterator(FIRST_NAMES_M)
    last_name = factory.Iterator(SURNAMES)
    second_last_name = factory.Iterator(list(reversed(SURNAMES)))
    date_of_birth = date(1990, 5, 17)
    sex = "M"
    country_of_citizenship = factory.Iterator(COUNTRIES)
    a_number = ""


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    first_name = factory.Iterator(FIRST_NAMES_F)
    last_name = factory.Iterator(SURNAMES)
    second_last_name = factory.Iterator(list(reversed(SURNAMES)))
    date_of_birth = date(1992, 3, 9)
    sex = "F"
    country_of_citizenship = "GT"
    apprehended_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))


class ApprehensionEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprehensionEvent

    event_number = factory.LazyFunction(next_event_number)
    station = factory.LazyFunction(lambda: Unit.objects.get(code="EPT-EPS"))
    apprehended_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))


NARRATIVE = (
    "Subject was encountered by agents approximately two miles west of the port of entry "
    "after crossing the international boundary on foot; subject stated no fear of return."
)

CHILD_DOB = date(2012, 6, 1)


def book(
    agent: User,
    *,
    demographic: str = "single_adult",
    hours_ago: float = 2,
    event_number: str | None = None,
    family_group_number: str | None = None,
    narrative: str | None = NARRATIVE,
    station: Unit | None = None,
    **subject_fields,
) -> Case:
    """Book one case through ``book_case`` (and write its narrative, so it can be submitted)."""
    if demographic == "uac":
        subject_fields.setdefault("date_of_birth", CHILD_DOB)
        subject_fields.setdefault("first_name", "Ana")
        subject_fields.setdefault("sex", "F")
    sector = (station or agent.unit).sector.code
    case = services.book_case(
        actor=agent,
        subject=SubjectDataFactory(**subject_fields),
        event_number=event_number or next_event_number(sector),
        apprehended_at=timezone.now() - timedelta(hours=hours_ago),
        demographic=demographic,
        family_group_number=family_group_number,
        station=station,
    )
    if narrative:
        case = services.set_narrative(case=case, actor=agent, text=narrative)
    return case


def submitted(agent: User, **kwargs) -> Case:
    case = book(agent, **kwargs)
    return services.submit_case(case=case, actor=agent, acknowledge_warnings=True)


def accepted(agent: User, officer: User, **kwargs) -> Case:
    case = submitted(agent, **kwargs)
    return services.accept_case(case=case, actor=officer)
