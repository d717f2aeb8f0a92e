"""Business rules: each a small named function returning violations.

The same lists serve the API (422 with ``violations``), the booking form's live feedback and
the tests. A rule returns ``[]`` when satisfied. ``level`` is ``blocking`` (refuses the
action, changes nothing) or ``warning`` (must be acknowledged; the acknowledgement is logged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pycountry
import usaddress

from .exceptions import Violation
from .models import FAMILY_DEMOGRAPHICS, Case, CaseState, Demographic, Subject, Unit

BLOCKING = "blocking"
WARNING = "warning"

MAX_APPREHENSION_AGE = timedelta(days=30)
# Device clocks at a station drift; a few minutes ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)
FAMILY_GROUP_NUMBER = re.compile(r"^[A-Z]{3}[0-9]{10}$")
A_NUMBER = re.compile(r"^[0-9]{8,9}$")
PLACEHOLDER_NAMES = {"UNK", "UNKN", "UNKNOWN", "NONE", "TEST", "FNU", "LNU", "XXX"}
# "N/A", "N.A.", "N-A": only with a separator, since "Na" is a real (Korean) surname.
NOT_APPLICABLE = re.compile(r"^N\s*[/.\-]\s*A\.?$", re.IGNORECASE)
MAX_SUBJECTS_PER_ADDRESS = 5
# USPS codes of the states, DC and the territories that take mail.
US_STATE_CODES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "GU",
        "VI",
        "AS",
        "MP",
    ]
)
ZIP_CODE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
# No ZIP code starts 000; they are the placeholder agents type when the subject has none.
PLACEHOLDER_ZIP = re.compile(r"^000")


def violation(rule: str, message: str, level: str = BLOCKING, field: str = "") -> Violation:
    return Violation(rule=rule, message=message, level=level, field=field)


# --- normalisers (used by the booking service before the rules run) ---------------------


def normalize_a_number(raw: str | None) -> str:
    """'A-012 345 678', 'a12345678' → '012345678'. Returns digits only, left-padded to 9.

    Raises ValueError when the result is not 8 or 9 digits."""
    if not raw:
        return ""
    digits = re.sub(r"[\s-]", "", str(raw)).upper().removeprefix("A")
    if not A_NUMBER.match(digits):
        raise ValueError("An A-number has 8 or 9 digits, optionally prefixed with A.")
    return digits.zfill(9)


def normalize_country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 or alpha-3 → alpha-2; None when it is not a code."""
    if not raw:
        return None
    code = str(raw).strip().upper()
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    else:
        country = None
    return country.alpha_2 if country else None


def apprehension_local_day(subject: Subject, station: Unit | None) -> date:
    """The calendar day of the apprehension at the station. A child turning 18 on that day
    in El Paso may already be "tomorrow" in UTC, so ages are counted on the local day."""
    at = subject.apprehended_at
    zone = ZoneInfo(station.timezone) if station is not None and station.timezone else None
    return at.astimezone(zone).date() if zone else at.date()


def age_at_apprehension(subject: Subject, station: Unit | None) -> int:
    return subject.age_on(apprehension_local_day(subject, station))


# --- booking rules ------------------------------------------------------------------------


def apprehension_time_valid(*, subject: Subject, now: datetime, **_) -> list[Violation]:
    at = subject.apprehended_at
    if at is None:
        return [
            violation(
                "apprehension_time_present",
                "Enter the subject's apprehension time.",
                field="apprehended_at",
            )
        ]
    if at > now + CLOCK_SKEW:
        return [
            violation(
                "apprehension_time_not_future",
                "The apprehension time is in the future; check the date, time and time zone.",
                field="apprehended_at",
            )
        ]
    if at < now - MAX_APPREHENSION_AGE:
        return [
            violation(
                "apprehension_time_recent",
                "The apprehension time is more than 30 days before booking; check the year "
                "and month.",
                field="apprehended_at",
            )
        ]
    return []


def uac_is_minor(*, subject: Subject, case: Case, **_) -> list[Violation]:
    if subject.date_of_birth is None or subject.apprehended_at is None:
        return []
    age = age_at_apprehension(subject, getattr(case, "station", None))
    if age < 0:
        return [
            violation(
                "date_of_birth_valid",
                "The date of birth is after the apprehension.",
                field="date_of_birth",
            )
        ]
    if case.demographic == Demographic.UAC and age >= 18:
        return [
            violation(
                "uac_is_minor",
                f"The subject was {age} at apprehension; an adult cannot be booked as an "
                "unaccompanied child. Book as single adult or family member.",
                field="demographic",
            )
        ]
    if case.demographic == Demographic.SINGLE_ADULT and age < 18:
        return [
            violation(
                "single_adult_is_adult",
                f"The subject was {age} at apprehension; a child without a parent or legal "
                "guardian is booked as an unaccompanied child (UAC).",
                field="demographic",
            )
        ]
    return []


def family_group_number_valid(*, case: Case, **_) -> list[Violation]:
    number = case.family_group_number or ""
    if case.demographic in FAMILY_DEMOGRAPHICS:
        if not number:
            return [
                violation(
                    "family_group_number_required",
                    "A family unit or family group needs its family group number.",
                    field="family_group_number",
                )
            ]
        if not FAMILY_GROUP_NUMBER.match(number):
            return [
                violation(
                    "family_group_number_format",
                    "A family group number is exactly 3 letters and 10 digits, "
                    "e.g. EPT2611220001 (not truncated).",
                    field="family_group_number",
                )
            ]
    elif number:
        return [
            violation(
                "family_group_number_unexpected",
                "Only family units and family groups carry a family group number.",
                field="family_group_number",
            )
        ]
    return []


def _name_problem(value: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return "is blank"
    if text.upper().strip(".") in PLACEHOLDER_NAMES or NOT_APPLICABLE.match(text):
        return f"is a placeholder ({text})"
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "has no letters"
    if len(letters) < 2:
        return "has only one letter"
    return None


def names_valid(*, subject: Subject, **_) -> list[Violation]:
    out = []
    for field_name, label in (("first_name", "First name"), ("last_name", "Last name")):
        problem = _name_problem(getattr(subject, field_name))
        if problem:
            out.append(
                violation(
                    "name_valid",
                    f"{label} {problem}; enter the name as documented or as declared.",
                    field=field_name,
                )
            )
    second = (subject.second_last_name or "").strip()
    if second:
        problem = _name_problem(second)
        if problem:
            out.append(
                violation(
                    "name_valid",
                    f"Second last name {problem}; leave it empty if the "
                    "subject has only one surname.",
                    field="second_last_name",
                )
            )
    return out


def a_number_valid(*, subject: Subject, **_) -> list[Violation]:
    if subject.a_number and not re.fullmatch(r"[0-9]{9}", subject.a_number):
        return [violation("a_number_format", "An A-number has 8 or 9 digits.", field="a_number")]
    return []


def country_valid(*, subject: Subject, **_) -> list[Violation]:
    if normalize_country(subject.country_of_citizenship) != subject.country_of_citizenship:
        return [
            violation(
                "country_iso3166",
                "Country of citizenship must be an ISO 3166-1 code such as GT, HN, MX.",
                field="country_of_citizenship",
            )
        ]
    return []


BOOKING_RULES: tuple[Callable[..., list[Violation]], ...] = (
    apprehension_time_valid,
    uac_is_minor,
    family_group_number_valid,
    names_valid,
    a_number_valid,
    country_valid,
)


def check_booking(*, subject: Subject, case: Case, now: datetime) -> list[Violation]:
    return _run(BOOKING_RULES, subject=subject, case=case, now=now)


# --- submission rules ---------------------------------------------------------------------


def narrative_present(*, case: Case, **_) -> list[Violation]:
    if len((case.narrative or "").strip()) < 20:
        return [
            violation(
                "i213_narrative_required",
                "Add the I-213 narrative (how, where and when the subject was encountered) "
                "before submitting.",
                field="narrative",
            )
        ]
    return []


def family_unit_composition(*, case: Case, **_) -> list[Violation]:
    if case.demographic != Demographic.FAMILY_UNIT or not case.family_group_number:
        return []
    members = Case.objects.filter(
        family_group_number=case.family_group_number, demographic=Demographic.FAMILY_UNIT
    ).select_related("subject", "station")
    ages = [age_at_apprehension(m.subject, m.station) for m in members]
    if not any(a < 18 for a in ages) or not any(a >= 18 for a in ages):
        return [
            violation(
                "family_unit_composition",
                f"Family unit {case.family_group_number} needs at least one minor and one "
                "adult booked with the same family group number.",
                field="family_group_number",
            )
        ]
    return []


def _surnames(subject: Subject) -> set[str]:
    return {s.strip().upper() for s in (subject.last_name, subject.second_last_name) if s.strip()}


def family_linkage_warning(*, case: Case, **_) -> list[Violation]:
    """A minor and an adult of one event, sharing a surname and country, but with no family
    group number between them: the linkage auditors found missing."""
    subject = case.subject
    is_minor = age_at_apprehension(subject, case.station) < 18
    others = (
        Case.objects.filter(event_id=case.event_id)
        .exclude(pk=case.pk)
        .select_related("subject", "station")
    )
    mine = _surnames(subject)
    for other in others:
        o = other.subject
        if o.country_of_citizenship != subject.country_of_citizenship:
            continue
        if not (mine & _surnames(o)):
            continue
        other_minor = age_at_apprehension(o, other.station) < 18
        if is_minor == other_minor:
            continue
        if case.family_group_number and case.family_group_number == other.family_group_number:
            continue
        return [
            violation(
                "family_linkage_missing",
                f"{o.first_name} {o.last_name} (case {other.case_number}) was apprehended "
                "in the same event with a shared surname and country but no family group "
                "number links them; link them or confirm they are not family.",
                level=WARNING,
                field="family_group_number",
            )
        ]
    return []


SUBMISSION_RULES = (
    names_valid,
    a_number_valid,
    country_valid,
    uac_is_minor,
    family_group_number_valid,
    narrative_present,
    family_unit_composition,
    family_linkage_warning,
)


def check_submission(*, case: Case) -> list[Violation]:
    return _run(SUBMISSION_RULES, subject=case.subject, case=case)


# --- release rules ------------------------------------------------------------------------


def address_key(address: dict) -> str:
    parts = [str(address.get(k, "")) for k in ("street", "city", "state", "zip")]
    return re.sub(r"[^A-Z0-9]+", " ", " ".join(parts).upper()).strip()[:300]


def release_not_uac(*, case: Case, **_) -> list[Violation]:
    if case.is_uac:
        return [
            violation(
                "uac_release_forbidden",
                "An unaccompanied child is never released by DHS; request an ORR placement "
                "and transfer the child to the designated care provider.",
            )
        ]
    return []


def release_type_valid(*, release_type: str, **_) -> list[Violation]:
    from .models import ReleaseType

    if release_type not in ReleaseType.values:
        return [
            violation(
                "release_type_required",
                "Choose a release type: ror, parole or prosecutorial_discretion.",
                field="release_type",
            )
        ]
    return []


def release_address_valid(*, address: dict | None, **_) -> list[Violation]:
    if not isinstance(address, dict):
        return [
            violation(
                "release_address_required", "A release needs a U.S. address.", field="address"
            )
        ]
    street = str(address.get("street") or "").strip()
    city = str(address.get("city") or "").strip()
    state = str(address.get("state") or "").strip().upper()
    zip_code = str(address.get("zip") or "").strip()
    problems = []
    try:
        tagged, kind = usaddress.tag(f"{street}, {city}, {state} {zip_code}")
    except usaddress.RepeatedLabelError:
        tagged, kind = {}, "Ambiguous"
    if kind != "Street Address" or not tagged.get("AddressNumber") or not tagged.get("StreetName"):
        problems.append("the street line needs a house number and a street name")
    if len(city) < 2:
        problems.append("the city is missing")
    if state not in US_STATE_CODES:
        problems.append(f"'{state or '(blank)'}' is not a U.S. state code")
    if not ZIP_CODE.match(zip_code):
        problems.append("the ZIP code must be 5 digits (or ZIP+4)")
    elif PLACEHOLDER_ZIP.match(zip_code):
        problems.append(f"{zip_code} is not a real ZIP code")
    if problems:
        return [
            violation(
                "release_address_valid",
                "Release address: " + "; ".join(problems) + ".",
                field="address",
            )
        ]
    return []


def release_address_crowded(*, case: Case, address: dict | None, **_) -> list[Violation]:
    if not isinstance(address, dict):
        return []
    key = address_key(address)
    others = Case.objects.filter(state=CaseState.RELEASED, release_address_key=key).exclude(
        pk=case.pk
    )
    if case.family_group_number:
        others = others.exclude(family_group_number=case.family_group_number)
    count = others.count()
    if count > MAX_SUBJECTS_PER_ADDRESS:
        return [
            violation(
                "release_address_shared",
                f"{count} subjects of other families were already released to this "
                "address; confirm it with the subject.",
                level=WARNING,
                field="address",
            )
        ]
    return []


RELEASE_RULES = (
    release_not_uac,
    release_type_valid,
    release_address_valid,
    release_address_crowded,
)


def check_release(*, case: Case, release_type: str, address: dict | None) -> list[Violation]:
    return _run(RELEASE_RULES, case=case, release_type=release_type, address=address)


# --- helpers ------------------------------------------------------------------------------


def _run(rules: Iterable[Callable[..., list[Violation]]], **context) -> list[Violation]:
    out: list[Violation] = []
    for rule in rules:
        out.extend(rule(**context))
    return out


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == BLOCKING]


def warnings(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == WARNING]
