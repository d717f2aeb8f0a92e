"""Booking, submission and release rules, each driven through the service that enforces it.

Every refusal is checked for the rule's name and level, and a blocking refusal for changing
nothing: no case, subject, apprehension event, event-log row or clock appears, and an
existing case keeps its state.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.exceptions import RuleViolation
from cases.models import (
    ApprehensionEvent,
    Case,
    CaseState,
    EventLogEntry,
    SlaClock,
    Subject,
)
from tests.factories import NARRATIVE, SubjectDataFactory, accepted, book, next_event_number

pytestmark = pytest.mark.django_db

ADDRESS = {
    "street": "1600 Pennsylvania Ave NW",
    "city": "Washington",
    "state": "DC",
    "zip": "20500",
}
FGN = "EPT2611220001"


def snapshot() -> tuple:
    return (
        Case.objects.count(),
        Subject.objects.count(),
        ApprehensionEvent.objects.count(),
        EventLogEntry.objects.count(),
        SlaClock.objects.count(),
        list(Case.objects.order_by("pk").values_list("pk", "state", "submissions")),
        Case.history.count(),
        Subject.history.count(),
    )


@contextmanager
def refused(rule: str, level: str = "blocking"):
    """Expect exactly one violation, ``rule`` at ``level``, and no change in the database."""
    before = snapshot()
    with pytest.raises(RuleViolation) as err:
        yield err
    found = [(v.rule, v.level) for v in err.value.violations]
    assert found == [(rule, level)], found
    assert all(v.message for v in err.value.violations)
    assert snapshot() == before


def book_subject(
    agent,
    *,
    demographic: str = "single_adult",
    apprehended_at: datetime | str | None = "default",
    family_group_number: str | None = None,
    event_number: str | None = None,
    **subject_fields,
) -> Case:
    if apprehended_at == "default":
        apprehended_at = timezone.now() - timedelta(hours=2)
    return services.book_case(
        actor=agent,
        subject=SubjectDataFactory(**subject_fields),
        event_number=event_number or next_event_number("EPT"),
        apprehended_at=apprehended_at,
        demographic=demographic,
        family_group_number=family_group_number,
    )


# --- apprehension time --------------------------------------------------------------------


def test_apprehension_time_must_be_present(agent_ept):
    with refused("apprehension_time_present"):
        book_subject(agent_ept, apprehended_at=None)


def test_apprehension_time_present_books_the_case(agent_ept):
    at = timezone.now() - timedelta(hours=5)
    case = book_subject(agent_ept, apprehended_at=at)
    assert case.state == CaseState.BOOKED
    assert case.subject.apprehended_at == at


def test_apprehension_time_in_the_future_is_refused(agent_ept):
    with refused("apprehension_time_not_future"):
        book_subject(agent_ept, apprehended_at=timezone.now() + timedelta(hours=1))


def test_apprehension_time_just_now_is_accepted_despite_clock_skew(agent_ept):
    # A handheld a couple of minutes ahead of the server is not "the future" (CLOCK_SKEW).
    case = book_subject(agent_ept, apprehended_at=timezone.now() + timedelta(minutes=2))
    assert case.pk


def test_apprehension_more_than_30_days_before_booking_is_refused(agent_ept):
    with refused("apprehension_time_recent"):
        book_subject(agent_ept, apprehended_at=timezone.now() - timedelta(days=31))


def test_apprehension_29_days_before_booking_is_accepted(agent_ept):
    case = book_subject(agent_ept, apprehended_at=timezone.now() - timedelta(days=29))
    assert case.pk


# --- UAC age ----------------------------------------------------------------------------


def test_child_is_booked_as_uac(agent_ept):
    case = book_subject(agent_ept, demographic="uac", date_of_birth=date(2012, 6, 1))
    assert case.is_uac


def test_adult_cannot_be_booked_as_uac(agent_ept):
    with refused("uac_is_minor"):
        book_subject(agent_ept, demographic="uac", date_of_birth=date(1990, 5, 17))


def test_date_of_birth_after_apprehension_is_refused(agent_ept):
    with refused("date_of_birth_valid"):
        book_subject(agent_ept, date_of_birth=timezone.now().date() + timedelta(days=400))


# El Paso keeps Mountain time (UTC-7 in November). A child born 2008-11-22 turns 18 on
# 2026-11-22 local time; 05:00 UTC that day is still 22:00 on the 21st in El Paso.
@time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), tick=False)
def test_uac_age_is_counted_on_the_stations_local_day(agent_ept):
    dob = date(2008, 11, 22)
    eve = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)  # 2026-11-21 22:00 MST: still 17
    case = book_subject(agent_ept, demographic="uac", date_of_birth=dob, apprehended_at=eve)
    assert case.is_uac


@time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), tick=False)
def test_uac_turning_18_on_the_local_day_of_apprehension_is_an_adult(agent_ept):
    dob = date(2008, 11, 22)
    morning = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 2026-11-22 01:00 MST: 18 today
    with refused("uac_is_minor"):
        book_subject(agent_ept, demographic="uac", date_of_birth=dob, apprehended_at=morning)


# --- family group number and family unit ------------------------------------------------


def test_family_unit_with_a_valid_family_group_number_is_booked(agent_ept):
    case = book_subject(agent_ept, demographic="family_unit", family_group_number=FGN)
    assert case.family_group_number == FGN


def test_family_group_number_is_stored_upper_case(agent_ept):
    case = book_subject(agent_ept, demographic="family_group", family_group_number=FGN.lower())
    assert case.family_group_number == FGN


@pytest.mark.parametrize("demographic", ["family_unit", "family_group"])
def test_family_demographics_need_a_family_group_number(agent_ept, demographic):
    with refused("family_group_number_required"):
        book_subject(agent_ept, demographic=demographic, family_group_number=None)


@pytest.mark.parametrize(
    "number",
    [
        "EPT261122000",  # truncated: 9 digits
        "EPT26112200011",  # 11 digits
        "EP2611220001",  # 2 letters
        "EPTX611220001",  # 4 letters
        "EPT 2611220001",
        "1232611220001",
    ],
)
def test_family_group_number_is_exactly_3_letters_and_10_digits(agent_ept, number):
    with refused("family_group_number_format"):
        book_subject(agent_ept, demographic="family_unit", family_group_number=number)


def test_single_adult_carries_no_family_group_number(agent_ept):
    with refused("family_group_number_unexpected"):
        book_subject(agent_ept, demographic="single_adult", family_group_number=FGN)


def test_family_unit_without_a_minor_cannot_be_submitted(agent_ept):
    adult = book(agent_ept, demographic="family_unit", family_group_number=FGN)
    with refused("family_unit_composition"):
        services.submit_case(case=adult, actor=agent_ept, acknowledge_warnings=True)


def test_family_unit_of_only_minors_cannot_be_submitted(agent_ept):
    child = book(
        agent_ept,
        demographic="family_unit",
        family_group_number=FGN,
        date_of_birth=date(2015, 1, 1),
    )
    with refused("family_unit_composition"):
        services.submit_case(case=child, actor=agent_ept, acknowledge_warnings=True)


def test_family_unit_with_a_minor_and_an_adult_is_submitted(agent_ept):
    event = next_event_number("EPT")
    adult = book(
        agent_ept,
        demographic="family_unit",
        family_group_number=FGN,
        event_number=event,
        last_name="Gómez",
        second_last_name="Díaz",
        country_of_citizenship="HN",
    )
    child = book(
        agent_ept,
        demographic="family_unit",
        family_group_number=FGN,
        event_number=event,
        last_name="Gómez",
        second_last_name="Ortiz",
        country_of_citizenship="HN",
        date_of_birth=date(2016, 2, 2),
    )
    # Shared surname and country, but the family group number links them: no warning.
    for case in (adult, child):
        case = services.submit_case(case=case, actor=agent_ept)
        assert case.state == CaseState.SUBMITTED


# --- names --------------------------------------------------------------------------------

BAD_NAMES = ["", "   ", "A", "J.", "123", "4 5", "UNK", "unk", "Unknown", "N/A", "n.a.", "NONE"]
BAD_NAMES += ["Test", "FNU", "--"]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("value", BAD_NAMES)
def test_bad_names_are_refused(agent_ept, field, value):
    with refused("name_valid") as err:
        book_subject(agent_ept, **{field: value})
    assert err.value.violations[0].field == field


def test_bad_second_surname_is_refused_but_may_be_empty(agent_ept):
    with refused("name_valid"):
        book_subject(agent_ept, second_last_name="UNKNOWN")
    assert book_subject(agent_ept, second_last_name="").subject.second_last_name == ""


@pytest.mark.parametrize("value", ["Ana", "Li", "Na", "Ng", "O'Brien", "José María", "Nguyễn"])
def test_real_names_are_accepted(agent_ept, value):
    case = book_subject(agent_ept, first_name=value, last_name=value)
    assert case.subject.first_name == value


# --- A-number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("A12345678", "012345678"),
        ("12345678", "012345678"),
        ("A123456789", "123456789"),
        ("a-123 456 789", "123456789"),
        ("", ""),
    ],
)
def test_a_number_is_stored_normalised_to_9_digits(agent_ept, given, stored):
    case = book_subject(agent_ept, a_number=given)
    case.subject.refresh_from_db()
    assert case.subject.a_number == stored


@pytest.mark.parametrize("given", ["1234567", "A1234567", "1234567890", "A12B45678", "AXXXXXXXX"])
def test_a_number_of_other_lengths_is_refused(agent_ept, given):
    with refused("a_number_format"):
        book_subject(agent_ept, a_number=given)


def test_a_number_refused_on_edit_too(agent_ept):
    case = book(agent_ept)
    with refused("a_number_format"):
        services.update_case(case=case, actor=agent_ept, changes={"a_number": "12345"})


# --- country of citizenship -------------------------------------------------------------


@pytest.mark.parametrize(("given", "stored"), [("GT", "GT"), ("hn", "HN"), ("SLV", "SV")])
def test_country_is_an_iso_3166_code(agent_ept, given, stored):
    case = book_subject(agent_ept, country_of_citizenship=given)
    case.subject.refresh_from_db()
    assert case.subject.country_of_citizenship == stored


@pytest.mark.parametrize("given", ["GUATEMALA", "Guam", "XX", "G", "GUAT", "123", ""])
def test_country_not_a_code_is_refused_not_truncated(agent_ept, given):
    # "GUATEMALA" truncated to two letters would be "GU", Guam: a valid but wrong code.
    with refused("country_iso3166"):
        book_subject(agent_ept, country_of_citizenship=given)


def test_country_refused_on_edit_too(agent_ept):
    case = book(agent_ept, country_of_citizenship="GT")
    with refused("country_iso3166"):
        services.update_case(
            case=case, actor=agent_ept, changes={"country_of_citizenship": "Honduras"}
        )
    case.subject.refresh_from_db()
    assert case.subject.country_of_citizenship == "GT"


# --- submission: the I-213 narrative --------------------------------------------------------


@pytest.mark.parametrize("narrative", [None, "   ", "crossed"])
def test_submission_needs_an_i213_narrative(agent_ept, narrative):
    case = book(agent_ept, narrative=None)
    if narrative:
        services.set_narrative(case=case, actor=agent_ept, text=narrative)
    with refused("i213_narrative_required"):
        services.submit_case(case=case, actor=agent_ept, acknowledge_warnings=True)
    case.refresh_from_db()
    assert case.state == CaseState.BOOKED and case.submissions == 0


def test_submission_with_a_narrative_is_accepted(agent_ept):
    case = book(agent_ept, narrative=None)
    services.set_narrative(case=case, actor=agent_ept, text=NARRATIVE)
    case = services.submit_case(case=case, actor=agent_ept)
    assert case.state == CaseState.SUBMITTED and case.submissions == 1


# --- release --------------------------------------------------------------------------------


@pytest.mark.parametrize("release_type", ["", None, "deported", "ROR"])
def test_release_needs_a_release_type(agent_ept, ero_elp, release_type):
    case = accepted(agent_ept, ero_elp)
    with refused("release_type_required"):
        services.release_case(
            case=case, actor=agent_ept, release_type=release_type, address=ADDRESS
        )


@pytest.mark.parametrize("address", [None, "1600 Pennsylvania Ave NW, Washington DC", []])
def test_release_needs_an_address(agent_ept, ero_elp, address):
    case = accepted(agent_ept, ero_elp)
    with refused("release_address_required"):
        services.release_case(case=case, actor=agent_ept, release_type="ror", address=address)


@pytest.mark.parametrize(
    "change",
    [
        {"state": "XX"},  # not a state
        {"state": "Texas"},
        {"state": ""},
        {"zip": "7990"},
        {"zip": "ABCDE"},
        {"zip": "00000"},  # placeholder
        {"zip": ""},
        {"street": "Pennsylvania Ave NW"},  # no house number
        {"street": ""},
        {"city": ""},
    ],
)
def test_release_address_must_parse_with_a_real_state_and_zip(agent_ept, ero_elp, change):
    case = accepted(agent_ept, ero_elp)
    with refused("release_address_valid"):
        services.release_case(
            case=case, actor=agent_ept, release_type="parole", address={**ADDRESS, **change}
        )


@pytest.mark.parametrize(
    "address",
    [
        ADDRESS,
        {"street": "500 E San Antonio Ave Apt 4", "city": "El Paso", "state": "tx", "zip": "79901"},
        {"street": "2210 W Main St", "city": "Houston", "state": "TX", "zip": "77098-1234"},
    ],
)
def test_release_to_a_valid_us_address(agent_ept, ero_elp, address):
    case = accepted(agent_ept, ero_elp)
    case = services.release_case(case=case, actor=agent_ept, release_type="ror", address=address)
    assert case.state == CaseState.RELEASED
    assert case.release_address["state"] == address["state"].upper()


def test_uac_release_is_refused_by_rule(agent_ept, ero_elp):
    case = accepted(agent_ept, ero_elp, demographic="uac")
    with refused("uac_release_forbidden"):
        services.release_case(case=case, actor=agent_ept, release_type="ror", address=ADDRESS)


# --- warning: family linkage missing -------------------------------------------------------


def _adult_and_child(agent, *, child_country="GT", child_event=None, child_surnames=None):
    event = next_event_number("EPT")
    adult = book(
        agent,
        event_number=event,
        first_name="Juan",
        last_name="López",
        second_last_name="García",
        country_of_citizenship="GT",
    )
    last, second = child_surnames or ("Pérez", "López")  # shares the adult's first surname
    child = book(
        agent,
        demographic="uac",
        event_number=child_event or event,
        first_name="Ana",
        last_name=last,
        second_last_name=second,
        country_of_citizenship=child_country,
        date_of_birth=date(2014, 3, 3),
    )
    return adult, child


def test_child_sharing_a_surname_and_country_with_an_adult_warns(agent_ept):
    adult, child = _adult_and_child(agent_ept)
    with refused("family_linkage_missing", level="warning") as err:
        services.submit_case(case=child, actor=agent_ept)
    assert adult.case_number in err.value.violations[0].message
    # The adult's side of the same pair warns too.
    with refused("family_linkage_missing", level="warning"):
        services.submit_case(case=adult, actor=agent_ept)


def test_second_surname_match_warns_too(agent_ept):
    _, child = _adult_and_child(agent_ept, child_surnames=("Ramírez", "García"))
    with refused("family_linkage_missing", level="warning"):
        services.submit_case(case=child, actor=agent_ept)


def test_acknowledged_linkage_warning_is_recorded_in_the_event_log(agent_ept):
    _, child = _adult_and_child(agent_ept)
    child = services.submit_case(case=child, actor=agent_ept, acknowledge_warnings=True)
    assert child.state == CaseState.SUBMITTED
    entry = EventLogEntry.objects.get(case=child, event_type="case.submitted")
    acknowledged = entry.payload["acknowledged_warnings"]
    assert [(w["rule"], w["level"]) for w in acknowledged] == [
        ("family_linkage_missing", "warning")
    ]


@pytest.mark.parametrize(
    "variant",
    [
        {"child_country": "HN"},
        {"child_surnames": ("Ramírez", "Cruz")},
        {"child_event": "other"},
    ],
    ids=["other-country", "no-shared-surname", "other-event"],
)
def test_no_linkage_warning_without_a_shared_surname_country_and_event(agent_ept, variant):
    if variant.get("child_event"):
        variant = {"child_event": next_event_number("EPT")}
    _, child = _adult_and_child(agent_ept, **variant)
    child = services.submit_case(case=child, actor=agent_ept)
    assert child.state == CaseState.SUBMITTED
    entry = EventLogEntry.objects.get(case=child, event_type="case.submitted")
    assert entry.payload["acknowledged_warnings"] == []


# --- warning: release address shared by other families --------------------------------------


def _release_many(agent, officer, n, address, **kwargs):
    for _ in range(n):
        case = accepted(agent, officer, **kwargs)
        services.release_case(
            case=case,
            actor=agent,
            release_type="ror",
            address=address,
            acknowledge_warnings=True,
        )


def test_release_address_of_five_other_subjects_does_not_warn(agent_ept, ero_elp):
    _release_many(agent_ept, ero_elp, 5, ADDRESS)
    case = accepted(agent_ept, ero_elp)
    case = services.release_case(case=case, actor=agent_ept, release_type="ror", address=ADDRESS)
    assert case.state == CaseState.RELEASED


def test_release_address_of_more_than_five_other_subjects_warns(agent_ept, ero_elp):
    _release_many(agent_ept, ero_elp, 6, ADDRESS)
    case = accepted(agent_ept, ero_elp)
    same_address = {**ADDRESS, "street": "1600 pennsylvania ave nw.", "zip": "20500 "}
    with refused("release_address_shared", level="warning"):
        services.release_case(case=case, actor=agent_ept, release_type="ror", address=same_address)
    case = services.release_case(
        case=case,
        actor=agent_ept,
        release_type="ror",
        address=same_address,
        acknowledge_warnings=True,
    )
    assert case.state == CaseState.RELEASED
    entry = EventLogEntry.objects.get(case=case, event_type="case.released")
    assert [w["rule"] for w in entry.payload["acknowledged_warnings"]] == ["release_address_shared"]


def test_members_of_the_same_family_do_not_count_against_the_address(agent_ept, ero_elp):
    event = next_event_number("EPT")
    family = {"demographic": "family_unit", "family_group_number": FGN, "event_number": event}
    child = book(agent_ept, date_of_birth=date(2015, 5, 5), **family)
    adults = [book(agent_ept, **family) for _ in range(6)]
    for case in [child, *adults]:
        services.submit_case(case=case, actor=agent_ept, acknowledge_warnings=True)
        services.accept_case(case=case, actor=ero_elp)
    for case in adults:
        services.release_case(case=case, actor=agent_ept, release_type="ror", address=ADDRESS)
    # Six released to the address already, all of the child's own family: no warning.
    case = services.release_case(
        case=child, actor=agent_ept, release_type="parole", address=ADDRESS
    )
    assert case.state == CaseState.RELEASED
