"""Matrix rows of the notifications app: the inbox, its unread count, the e-mail preference,
marking an item read, and the partner event feed.

Every signed-in user has an inbox (their own items and their unit's queue); an item outside
it answers 404. The feed is for partner systems and auditors only.
"""

from __future__ import annotations

from cases.models import Unit
from notifications import reference
from notifications import services as notify
from notifications.models import Channel, Delivery

from .matrix import ANONYMOUS, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"
EVERYONE = (AGENT, SUPER, ERO, ORR, MANAGER, AUDITOR, PARTNER)


def _all(status, **overrides) -> dict:
    expect = {role: status for role in EVERYONE}
    expect[ANONYMOUS] = 401
    expect.update(overrides)
    return expect


def station_queue_item(world):
    """The EPT-EPS station queue's notice that ERO accepted one of its cases."""
    reference.load()
    case = world.case("accepted")
    notify.fan_out()
    item = Delivery.objects.get(
        channel=Channel.INBOX,
        event__case=case,
        event_type="case.accepted",
        unit=Unit.objects.get(code="EPT-EPS"),
    )
    return {"item": item.pk}


def an_event(world):
    return {"case": world.case("submitted").pk}


ROWS = [
    Row("api-notifications", "GET", "/api/v1/notifications/", _all((200, 200))),
    Row("api-notifications-unread", "GET", "/api/v1/notifications/unread-count/", _all(200)),
    Row(
        "api-notification-preferences",
        "GET",
        "/api/v1/notifications/preferences/",
        _all(200),
        label="GET api-notification-preferences",
    ),
    Row(
        "api-notification-preferences",
        "PUT",
        "/api/v1/notifications/preferences/",
        _all(200),
        body={"email_mode": "hourly"},
        label="PUT api-notification-preferences",
    ),
    Row(
        "api-notification-read",
        "POST",
        "/api/v1/notifications/{item}/read/",
        # Only a member of the station's queue may read (acknowledge) it.
        _all(404, usbp_agent=(200, 404)),
        setup=station_queue_item,
    ),
    Row(
        "api-events",
        "GET",
        "/api/v1/events/",
        _all(403, partner_system=(200, 200), auditor=(200, 200)),
        setup=an_event,
    ),
]
