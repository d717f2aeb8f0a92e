"""Case lists: keyset pagination, filters, and the ERO queue's nearest-due-first order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from tests.factories import accepted, book, submitted

from .api_helpers import client_for

pytestmark = pytest.mark.django_db

ADDRESS = {
    "street": "1600 Pennsylvania Ave NW",
    "city": "Washington",
    "state": "DC",
    "zip": "20500",
}


def walk(client, url: str) -> list[int]:
    """Follow ``next`` links to the end; the ids in the order served."""
    ids: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids.extend(item["id"] for item in body["results"])
        url = body["next"]
    return ids


def test_pages_newest_first_without_repeats_or_gaps(agent_ept):
    cases = [book(agent_ept) for _ in range(5)]
    client = client_for(agent_ept)
    ids = walk(client, "/api/v1/cases/?page_size=2")
    assert ids == sorted((c.pk for c in cases), reverse=True)


def test_a_case_booked_between_pages_is_neither_repeated_nor_skipped(agent_ept):
    older = [book(agent_ept) for _ in range(3)]
    client = client_for(agent_ept)
    first = client.get("/api/v1/cases/?page_size=2").json()
    book(agent_ept)  # newer: belongs before page one, must not shift page two
    rest = walk(client, first["next"])
    assert [c["id"] for c in first["results"]] + rest == [c.pk for c in reversed(older)]


def test_ero_queue_sorts_by_nearest_running_due_time(agent_ept, ero_elp):
    fresh = submitted(agent_ept, hours_ago=2)
    oldest = submitted(agent_ept, hours_ago=30)
    middle = submitted(agent_ept, hours_ago=10)
    done = accepted(agent_ept, ero_elp, hours_ago=40)
    services.release_case(
        case=done, actor=ero_elp, release_type="ror", address=ADDRESS, acknowledge_warnings=True
    )
    expected = [oldest.pk, middle.pk, fresh.pk, done.pk]  # no running clock: last
    client = client_for(ero_elp)
    assert [c["id"] for c in client.get("/api/v1/cases/").json()["results"]] == expected
    assert walk(client, "/api/v1/cases/?page_size=1") == expected
    # Anyone may ask for the queue order; ERO may ask for newest first.
    assert walk(client_for(agent_ept), "/api/v1/cases/?ordering=due&page_size=3") == expected
    assert walk(client, "/api/v1/cases/?ordering=newest") == sorted(expected, reverse=True)


def test_filters(agent_ept, agent_tca, manager_hq):
    now = timezone.now()
    uac = book(agent_ept, demographic="uac", hours_ago=30)
    adult = submitted(agent_ept, hours_ago=3)
    tucson = book(agent_tca)
    client = client_for(manager_hq)

    def ids(query: str) -> set[int]:
        return set(walk(client, f"/api/v1/cases/?{query}"))

    assert ids("state=submitted") == {adult.pk}
    assert ids("demographic=uac") == {uac.pk}
    assert ids("routed_to=ELP") == {uac.pk, adult.pk}
    assert ids("routed_to=PHO") == {tucson.pk}
    assert ids("station=TCA-NGL") == {tucson.pk}
    assert ids("state=submitted&routed_to=PHO") == set()
    cut = (now - timedelta(hours=12)).isoformat().replace("+", "%2B")
    assert ids(f"apprehended_before={cut}") == {uac.pk}
    assert ids(f"apprehended_after={cut}") == {adult.pk, tucson.pk}
    later = (now + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert ids(f"booked_after={later}") == set()
    assert ids(f"booked_before={later}") == {uac.pk, adult.pk, tucson.pk}


def test_lists_only_cases_in_scope(agent_ept, agent_tca, ero_pho):
    mine = book(agent_ept)
    theirs = book(agent_tca)
    assert walk(client_for(agent_ept), "/api/v1/cases/") == [mine.pk]
    assert walk(client_for(ero_pho), "/api/v1/cases/") == [theirs.pk]


def test_units_filter_by_kind_and_parent(agent_ept):
    client = client_for(agent_ept)
    stations = client.get("/api/v1/units/?kind=station&parent=EPT").json()
    assert stations and {u["kind"] for u in stations} == {"station"}
    assert {u["parent"] for u in stations} == {"EPT"}
    assert client.get("/api/v1/units/?kind=planet").status_code == 400
