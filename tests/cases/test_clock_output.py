"""``serializers.clock_output`` is ``ClockOutput(clocks, many=True).data`` without DRF: the
same keys in the same order, the same values, the same text for every instant. Compared
as JSON text, so a key out of order, ``+00:00`` for ``Z`` or a lost microsecond all fail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from rest_framework.test import APIClient

from cases import serializers, sla
from cases.models import ClockStatus, SlaClock, SlaPolicy
from cases.serializers import ClockOutput, clock_output
from tests import factories
from tests.factories import book

pytestmark = pytest.mark.django_db

# Microseconds in the clock, so the booked instants carry them too.
NOW = datetime(2026, 11, 22, 18, 0, 0, 250_000, tzinfo=UTC)


def assert_same(clocks: list[SlaClock]) -> None:
    expected = ClockOutput(clocks, many=True).data
    got = clock_output(clocks)
    assert json.dumps(got) == json.dumps(expected)
    # Key order and the very types too (a str-valued enum member is not a plain str).
    assert [[(k, type(v), v) for k, v in row.items()] for row in got] == [
        [(k, type(v), v) for k, v in row.items()] for row in expected
    ]


def clocks_of(case) -> list[SlaClock]:
    return list(SlaClock.objects.filter(case=case).select_related("policy").order_by("id"))


@pytest.fixture
def cases_in_every_state(agent_ept, ero_elp, super_ept, time_machine):
    """Clocks running, warned, breached, met and extended, read back from the database."""
    time_machine.move_to(NOW, tick=False)
    running = book(agent_ept, hours_ago=2)
    warned = book(agent_ept, hours_ago=30)  # past 50 % of the 48 h custody determination
    breached = book(agent_ept, hours_ago=50)
    child = book(agent_ept, demographic="uac", hours_ago=60)
    extended = book(agent_ept, hours_ago=10)
    sla.sweep_clocks()
    met = factories.accepted(agent_ept, ero_elp, hours_ago=5)
    stopped_late = factories.accepted(agent_ept, ero_elp, hours_ago=49)
    clock = extended.clocks.get(policy__name="custody_determination")
    sla.extend_clock(
        clock=clock,
        actor=super_ept,
        new_due_at=(clock.due_at + timedelta(hours=12, microseconds=1)).astimezone(
            ZoneInfo("America/Denver")
        ),
        justification="Hospital transport.",
    )
    cases = [running, warned, breached, child, met, stopped_late, extended]
    # The fixture is only useful if every state is really there.
    clocks = [c for case in cases for c in clocks_of(case)]
    assert {c.status for c in clocks} == set(ClockStatus.values)
    assert any(c.warned_at for c in clocks)
    assert any(c.extended_due_at for c in clocks)
    assert any(c.stopped_at and c.breached_at for c in clocks)
    assert any(c.started_at.microsecond for c in clocks)
    return cases


def test_clocks_in_every_state_come_out_as_clock_output_has_them(cases_in_every_state):
    for case in cases_in_every_state:
        assert_same(clocks_of(case))
    assert_same([c for case in cases_in_every_state for c in clocks_of(case)])
    assert_same([])


def test_the_same_in_another_current_time_zone(cases_in_every_state):
    with django_timezone.override(ZoneInfo("America/Phoenix")):
        for case in cases_in_every_state:
            assert_same(clocks_of(case))
            assert clock_output(clocks_of(case))[0]["started_at"].endswith("-07:00")


def test_clocks_built_in_memory_with_any_kind_of_instant(reference):
    """Enum statuses and instants in other zones, in fixed offsets and naive (as DRF takes
    them: in the current time zone)."""
    policy = SlaPolicy.objects.order_by("id").first()
    instants = [
        datetime(2026, 11, 22, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 18, 0, 1, 5, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 11, 22, 11, 0, tzinfo=ZoneInfo("America/Denver")),
        datetime(2026, 11, 22, 11, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2026, 11, 22, 18, 30),
    ]
    clocks = [
        SlaClock(
            id=10 + i,
            policy=policy,
            started_at=at,
            due_at=at,
            extended_due_at=None if i % 2 else at,
            effective_due_at=at,
            warned_at=at if i % 2 else None,
            stopped_at=None,
            breached_at=at if i == 3 else None,
            status=[ClockStatus.RUNNING, "met", ClockStatus.BREACHED][i % 3],
        )
        for i, at in enumerate(instants)
    ]
    assert_same(clocks)
    with django_timezone.override(ZoneInfo("Asia/Kolkata")):
        assert_same(clocks)


def test_a_case_answer_is_byte_for_byte_what_clock_output_gave(
    cases_in_every_state, agent_ept, monkeypatch
):
    client = APIClient()
    client.force_authenticate(agent_ept)
    paths = [f"/api/v1/cases/{case.pk}/" for case in cases_in_every_state]
    paths.append("/api/v1/cases/?page_size=200")
    now = [client.get(path).content for path in paths]
    monkeypatch.setattr(
        serializers, "clock_output", lambda clocks: ClockOutput(clocks, many=True).data
    )
    before = [client.get(path).content for path in paths]
    assert now == before
    assert all(b'"sla_clocks":[{"id":' in body for body in now)


def test_other_datetime_formats_fall_back_to_clock_output(cases_in_every_state, settings):
    clocks = clocks_of(cases_in_every_state[0])
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "%d.%m.%Y %H:%M"}
    assert clock_output(clocks)[0]["started_at"] == clocks[0].started_at.strftime("%d.%m.%Y %H:%M")
    assert_same(clocks)
