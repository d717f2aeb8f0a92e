"""Unexpected input to every transfers endpoint answers 4xx in API.md's shape and changes
nothing."""

import pytest

from cases.models import EventLogEntry
from tests.factories import accepted, book
from transfers import services
from transfers.models import Invoice, Movement, PlacementRequest

pytestmark = pytest.mark.django_db

GARBAGE = [
    [],
    "text",
    None,
    {"needs": []},
    {"needs": {"travel_companions": "all"}},
    {"needs": {"travel_companions": [{"case": -1}]}},
    {"needs": {"travel_companions": [{"case": 2**70}]}},
    {"languages": [{"x": 1}]},
    {"sponsor": "aunt"},
    {"facility": None},
    {"facility": {"code": "ORR-CP-BRO"}},
    {"reason": ["a"]},
    {"reason": "x" * 5000},
    {"at": "yesterday"},
    {"at": 12},
    {"cases": [2**70], "from_unit": "EPT-EPS", "to_unit": "ELP-SPC", "carrier": {}},
    {"status": "convicted"},
    {"number": ["x"], "file": "not a file"},
]


def test_garbage_never_500s_and_changes_nothing(
    api, agent_ept, ero_elp, orr_user, transfers_reference
):
    child = book(agent_ept, demographic="uac")
    placement = services.request_placement(
        case=child, actor=agent_ept, needs=services.PlacementNeeds()
    )
    adult = accepted(agent_ept, ero_elp)
    events = EventLogEntry.objects.count()
    paths = [
        f"/api/v1/cases/{adult.pk}/placement-request/",
        f"/api/v1/cases/{adult.pk}/criminal-history/",
        f"/api/v1/placements/{placement.pk}/designate/",
        f"/api/v1/placements/{placement.pk}/decline/",
        f"/api/v1/placements/{placement.pk}/cancel/",
        "/api/v1/movements/",
        "/api/v1/contractors/sw-transport/invoices/",
    ]
    for user in (agent_ept, ero_elp, orr_user):
        client = api(user)
        for path in paths:
            for body in GARBAGE:
                resp = client.post(path, body, format="json")
                assert 400 <= resp.status_code < 500, (user.role, path, body, resp.status_code)
                assert set(resp.json()["error"]) >= {"code", "message"}
    for path in (
        "/api/v1/placements/?state=%00",
        "/api/v1/movements/?state=lost",
        "/api/v1/placements/?cursor=garbage",
    ):
        assert 400 <= api(orr_user).get(path).status_code < 500, path
    assert EventLogEntry.objects.count() == events
    assert PlacementRequest.objects.count() == 1
    assert not Movement.objects.exists() and not Invoice.objects.exists()
