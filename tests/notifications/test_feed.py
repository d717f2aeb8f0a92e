"""The partner event feed: who may read it, cursor paging, and the rule that it never skips
an event that commits after a higher id was served."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from cases import services
from cases.models import EventLogEntry
from notifications.selectors import safe_horizon
from tests import factories


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def read_all(client, after="0") -> tuple[list[int], str]:
    ids: list[int] = []
    while True:
        body = client.get(f"/api/v1/events/?after={after}&limit=3").json()
        ids += [item["id"] for item in body["results"]]
        if body["next_cursor"] == after:
            return ids, after
        after = body["next_cursor"]


@pytest.mark.parametrize("who", ["partner", "auditor_hq"])
def test_partner_systems_and_auditors_read_the_feed(request, who, agent_ept, ero_elp):
    case = factories.accepted(agent_ept, ero_elp)
    body = client_for(request.getfixturevalue(who)).get("/api/v1/events/").json()
    types = [item["type"] for item in body["results"]]
    assert types == ["case.booked", "case.submitted", "case.accepted"]
    item = body["results"][-1]
    assert set(item) == {"id", "type", "occurred_at", "case", "data"}
    assert item["case"] == case.pk and item["data"]["to_state"] == "accepted"
    assert body["next_cursor"] == str(item["id"])


@pytest.mark.parametrize("who", ["agent_ept", "ero_elp", "orr_user", "manager_hq"])
def test_other_roles_may_not_read_the_feed(request, who):
    answer = client_for(request.getfixturevalue(who)).get("/api/v1/events/")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


def test_feed_pages_by_cursor_strictly_increasing_without_gaps_or_repeats(partner, agent_ept):
    for _ in range(4):
        factories.submitted(agent_ept)
    ids, cursor = read_all(client_for(partner))
    expected = list(EventLogEntry.objects.order_by("id").values_list("id", flat=True))
    assert ids == expected and len(ids) == 8
    assert cursor == str(expected[-1])
    # Polling again from the last cursor returns nothing new, and keeps the cursor.
    body = client_for(partner).get(f"/api/v1/events/?after={cursor}").json()
    assert body == {"results": [], "next_cursor": cursor}


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "99999999999999999999999"])
def test_a_bad_cursor_is_refused_with_400(partner, bad):
    answer = client_for(partner).get(f"/api/v1/events/?after={bad}")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"


def test_feed_needs_login():
    assert APIClient().get("/api/v1/events/").status_code == 401


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_feed_never_passes_a_transaction_still_open(reference, partner, agent_ept):
    """Transaction A takes an id and stays open; B takes a higher id and commits. The feed
    must stop below A's id; once A commits, it serves A and then B.

    The events carry no case: a case's event also row-locks its clocks, and that is not what
    this test is about."""
    assert connection.vendor == "postgresql"
    factories.book(agent_ept)
    client = client_for(partner)
    _, cursor = read_all(client)
    opened, release = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def note(reason: str) -> int:
        return services.record_event(
            event_type="system.note", case=None, actor=agent_ept, reason=reason
        ).pk

    def writer_a():
        try:
            with transaction.atomic():
                ids["a"] = note("held open")
                opened.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer_a)
    thread.start()
    try:
        assert opened.wait(30)
        with transaction.atomic():
            ids["b"] = note("committed")
        assert ids["b"] > ids["a"]
        assert EventLogEntry.objects.filter(pk=ids["b"]).exists()  # B is visible...
        assert not EventLogEntry.objects.filter(pk=ids["a"]).exists()
        assert safe_horizon() < ids["a"]
        body = client.get(f"/api/v1/events/?after={cursor}").json()
        assert body["results"] == []  # ...but the feed does not pass the open A
        assert int(body["next_cursor"]) < ids["a"]
        cursor = body["next_cursor"]
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive()
    served, _ = read_all(client, cursor)
    assert served == [ids["a"], ids["b"]]


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_fan_out_cursor_waits_for_an_open_transaction_too(reference, agent_ept):
    from notifications import services as notify
    from notifications.models import FanOutCursor

    opened, release = threading.Event(), threading.Event()

    def writer_a():
        try:
            with transaction.atomic():
                services.record_event(event_type="system.note", case=None, actor=agent_ept)
                opened.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer_a)
    thread.start()
    try:
        assert opened.wait(30)
        with transaction.atomic():
            later = services.record_event(event_type="system.note", case=None, actor=agent_ept)
        notify.fan_out()
        assert FanOutCursor.objects.get().last_event_id < later.pk
    finally:
        release.set()
        thread.join(30)
    notify.fan_out()
    assert FanOutCursor.objects.get().last_event_id == later.pk
