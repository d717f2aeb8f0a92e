"""Every main page: one h1, a main landmark reached by the skip link, the page language, and
a label for every form control (what a screen reader announces). Ids are unique, so a label
never points at the wrong control."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from transfers.models import PlacementRequest

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: Counter[str] = Counter()
        self.h1 = 0
        self.main_id = None
        self.lang = None
        self.skip = None
        self.svgs = 0
        self.svg_labelled = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        elif tag in {"input", "select", "textarea"}:
            if a.get("type") not in {"hidden", "submit", "button"}:
                self.controls.append(a)
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main_id = a.get("id")
        elif tag == "a" and "skip-link" in (a.get("class") or ""):
            self.skip = a.get("href")
        elif tag == "svg":
            self.svgs += 1
            if a.get("role") == "img" and a.get("aria-labelledby"):
                self.svg_labelled += 1


def check(html: str) -> Page:
    page = Page()
    page.feed(html)
    assert page.lang == "en"
    assert page.h1 == 1
    assert page.main_id == "main" and page.skip == "#main"
    duplicated = [i for i, n in page.ids.items() if n > 1]
    assert not duplicated, duplicated
    unlabelled = [
        c
        for c in page.controls
        if c.get("id") not in page.label_for
        and not c.get("aria-label")
        and not c.get("aria-labelledby")
    ]
    assert not unlabelled, unlabelled
    assert page.svgs == page.svg_labelled
    return page


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def world(agent_ept, ero_elp, orr_user, manager_hq, reference):
    from transfers.reference import load

    load()
    uac = factories.accepted(agent_ept, ero_elp, demographic="uac")
    booked = factories.book(agent_ept)
    submitted = factories.submitted(agent_ept)
    client_for(agent_ept).post(
        reverse("web:placement-request", args=[uac.pk]), {"languages": "Spanish"}
    )
    return {"uac": uac, "booked": booked, "submitted": submitted}


def test_every_main_page_is_labelled_for_screen_readers(
    world, agent_ept, ero_elp, orr_user, manager_hq
):
    placement = PlacementRequest.objects.get()
    pages = [
        (None, reverse("web:login")),
        (agent_ept, reverse("web:station-board")),
        (agent_ept, reverse("web:book")),
        (agent_ept, reverse("web:case", args=[world["booked"].pk])),
        (agent_ept, reverse("web:case-edit", args=[world["booked"].pk])),
        (agent_ept, reverse("web:placement-request", args=[world["booked"].pk])),
        (ero_elp, reverse("web:review-queue")),
        (ero_elp, reverse("web:review", args=[world["submitted"].pk])),
        (ero_elp, reverse("web:movement-board")),
        (orr_user, reverse("web:orr-queue")),
        (orr_user, reverse("web:orr-placement", args=[placement.pk])),
        (manager_hq, reverse("web:dashboard")),
        (agent_ept, reverse("web:inbox")),
    ]
    for user, url in pages:
        client = client_for(user) if user else Client()
        response = client.get(url)
        assert response.status_code == 200, url
        check(response.text)


def test_the_booking_form_explains_each_field(agent_ept):
    text = client_for(agent_ept).get(reverse("web:book")).text
    # Help texts are tied to their fields, so a screen reader reads them with the field.
    assert 'aria-describedby="id_event_number_helptext"' in text
    assert 'id="id_event_number_helptext"' in text


def test_a_rule_message_links_to_the_field_to_fix(agent_ept):
    at = timezone.localtime(timezone.now() - timedelta(hours=1), ZoneInfo("America/Denver"))
    response = client_for(agent_ept).post(
        reverse("web:book-validate"),
        {
            "demographic": "family_unit",
            "family_group_number": "EPT12",
            "apprehended_at": at.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert 'href="#id_family_group_number"' in response.text
