"""The work-queue pages through Django's test client: scope (404), role (403), CSRF, and that
every form goes through the services (state change plus its event-log row)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseState, EventLogEntry, Unit
from tests import factories

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")


def booking_post(**overrides) -> dict:
    # The pages read and show times in the user's station time (El Paso: Mountain).
    at = timezone.localtime(timezone.now() - timedelta(hours=3), timezone=DENVER)
    data = {
        "event_number": factories.next_event_number("EPT"),
        "apprehended_at": at.strftime("%Y-%m-%dT%H:%M"),
        "demographic": "single_adult",
        "family_group_number": "",
        "first_name": "José",
        "last_name": "Hernández",
        "second_last_name": "Cruz",
        "date_of_birth": "1991-04-02",
        "sex": "M",
        "country_of_citizenship": "GTM",
        "a_number": "",
    }
    data.update(overrides)
    return data


def events(case, event_type):
    return EventLogEntry.objects.filter(case=case, event_type=event_type)


# --- log-in and the home page ---------------------------------------------------------------


def test_pages_need_a_login(reference):
    response = Client().get(reverse("web:station-board"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_logs_in_and_sends_each_role_to_its_queue(agent_ept, ero_elp, manager_hq):
    for user, target in (
        (agent_ept, "web:station-board"),
        (ero_elp, "web:review-queue"),
        (manager_hq, "web:dashboard"),
    ):
        client = Client()
        response = client.post(
            reverse("web:login"), {"username": user.username, "password": "correct-horse-42"}
        )
        assert response.status_code == 302
        assert client.get("/").url == reverse(target)


def test_login_is_throttled_after_repeated_failures(agent_ept, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("web:login"), {"username": agent_ept.username, "password": "nope"})
    response = client.post(
        reverse("web:login"), {"username": agent_ept.username, "password": "correct-horse-42"}
    )
    assert response.status_code in {403, 429}
    assert "_auth_user_id" not in client.session


# --- role: 403 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "url_name"),
    [
        ("agent_ept", "web:review-queue"),
        ("agent_ept", "web:dashboard"),
        ("ero_elp", "web:station-board"),
        ("ero_elp", "web:book"),
        ("manager_hq", "web:book"),
        ("orr_user", "web:station-board"),
        ("orr_user", "web:review-queue"),
    ],
)
def test_a_role_that_does_not_use_a_page_gets_403(request, login, fixture, url_name):
    client = login(request.getfixturevalue(fixture))
    assert client.get(reverse(url_name)).status_code == 403


def test_a_manager_can_read_a_packet_but_not_accept_it(login, agent_ept, manager_hq):
    case = factories.submitted(agent_ept)
    client = login(manager_hq)
    assert client.get(reverse("web:case", args=[case.pk])).status_code == 200
    assert client.post(reverse("web:review-accept", args=[case.pk])).status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


# --- scope: 404 -----------------------------------------------------------------------------


def test_an_agent_of_another_sector_cannot_open_or_act_on_a_case(login, agent_ept, agent_tca):
    case = factories.book(agent_ept)
    client = login(agent_tca)
    for name in ("web:case", "web:case-edit"):
        assert client.get(reverse(name, args=[case.pk])).status_code == 404
    response = client.post(reverse("web:case-submit", args=[case.pk]))
    assert response.status_code == 404
    response = client.post(reverse("web:case-narrative", args=[case.pk]), {"text": "x" * 40})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.BOOKED
    assert not events(case, "case.submitted").exists()
    # ...and the case is not on their board.
    assert case.case_number not in login(agent_tca).get(reverse("web:station-board")).text


def test_an_officer_of_another_aor_cannot_review_the_case(login, agent_ept, ero_pho):
    case = factories.submitted(agent_ept)
    client = login(ero_pho)
    assert client.get(reverse("web:review", args=[case.pk])).status_code == 404
    assert client.post(reverse("web:review-accept", args=[case.pk])).status_code == 404
    assert case.case_number not in client.get(reverse("web:review-queue")).text
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


# --- CSRF -----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(agent_ept):
    case = factories.book(agent_ept)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_ept, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("web:case-submit", args=[case.pk]))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.BOOKED
    # With the token from the page, the same post goes through.
    page = client.get(reverse("web:case", args=[case.pk]))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("web:case-submit", args=[case.pk]), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


# --- the forms call the services ------------------------------------------------------------


def test_the_booking_form_books_through_the_service(login, agent_ept):
    client = login(agent_ept)
    assert client.get(reverse("web:book")).status_code == 200
    response = client.post(reverse("web:book"), booking_post())
    assert response.status_code == 302
    case = Case.objects.get(booked_by=agent_ept)
    assert response["Location"] == reverse("web:case", args=[case.pk])
    assert case.station.code == "EPT-EPS"
    assert case.routed_to.code == "ELP"
    assert case.subject.country_of_citizenship == "GT"
    assert events(case, "case.booked").count() == 1
    assert case.clocks.exists()


def test_the_booking_form_shows_the_rules_and_books_nothing(login, agent_ept):
    client = login(agent_ept)
    response = client.post(
        reverse("web:book"), booking_post(demographic="uac", date_of_birth="1990-01-01")
    )
    assert response.status_code == 422
    assert "uac_is_minor" in response.text
    assert not Case.objects.exists()


def test_the_validate_endpoint_gives_rule_feedback_as_the_agent_types(login, agent_ept):
    client = login(agent_ept)
    url = reverse("web:book-validate")
    response = client.post(
        url,
        booking_post(demographic="family_unit", family_group_number="EPT26112"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-rule="family_group_number_format"' in response.text
    response = client.post(url, booking_post(first_name="UNKNOWN"))
    assert 'data-rule="name_valid"' in response.text
    response = client.post(url, booking_post())
    assert "No problems found" in response.text
    # Fields the agent has not reached yet are not reported.
    response = client.post(url, {"demographic": "single_adult", "first_name": "Ana"})
    assert "name_valid" not in response.text
    assert not Case.objects.exists()
    assert not EventLogEntry.objects.exists()


def test_submit_asks_to_acknowledge_warnings_and_logs_them(login, agent_ept):
    event = factories.next_event_number("EPT")
    factories.book(agent_ept, event_number=event, last_name="Reyes", country_of_citizenship="HN")
    child = factories.book(
        agent_ept,
        event_number=event,
        demographic="uac",
        last_name="Reyes",
        country_of_citizenship="HN",
    )
    client = login(agent_ept)
    url = reverse("web:case-submit", args=[child.pk])
    response = client.post(url)
    assert response.status_code == 422
    assert "family_linkage_missing" in response.text
    assert "I have checked these warnings" in response.text
    child.refresh_from_db()
    assert child.state == CaseState.BOOKED
    response = client.post(url, {"acknowledge_warnings": "on"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.state == CaseState.SUBMITTED
    (entry,) = events(child, "case.submitted")
    assert entry.payload["acknowledged_warnings"][0]["rule"] == "family_linkage_missing"
    assert entry.actor == agent_ept


def test_submit_is_refused_without_a_narrative(login, agent_ept):
    case = factories.book(agent_ept, narrative=None)
    client = login(agent_ept)
    response = client.post(reverse("web:case-submit", args=[case.pk]))
    assert response.status_code == 422
    assert "i213_narrative_required" in response.text
    client.post(reverse("web:case-narrative", args=[case.pk]), {"text": factories.NARRATIVE})
    assert client.post(reverse("web:case-submit", args=[case.pk])).status_code == 302
    case.refresh_from_db()
    assert case.narrative == factories.NARRATIVE
    assert case.state == CaseState.SUBMITTED


def test_reject_fix_and_resubmit_through_the_pages(login, agent_ept, ero_elp):
    case = factories.submitted(agent_ept)
    officer = login(ero_elp)
    assert case.case_number in officer.get(reverse("web:review-queue")).text
    page = officer.get(reverse("web:review", args=[case.pk]))
    assert page.status_code == 200
    assert "Reject with reasons" in page.text
    response = officer.post(
        reverse("web:review-reject", args=[case.pk]),
        {"reasons": ["missing_i213", "other"], "comment": "Narrative does not say where."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    (entry,) = events(case, "case.rejected")
    assert entry.payload["reasons"] == ["missing_i213", "other"]
    assert entry.actor == ero_elp

    agent = login(agent_ept)
    board = agent.get(reverse("web:station-board")).text
    assert board.index("Rejected") < board.index("Booked")
    assert "Missing I-213 narrative" in board
    assert "Narrative does not say where." in board
    edit = agent.post(
        reverse("web:case-edit", args=[case.pk]),
        {
            **{
                k: v
                for k, v in booking_post().items()
                if k not in {"event_number", "apprehended_at"}
            },
            "first_name": case.subject.first_name,
            "last_name": case.subject.last_name,
            "second_last_name": case.subject.second_last_name,
            "date_of_birth": case.subject.date_of_birth.isoformat(),
            "country_of_citizenship": case.subject.country_of_citizenship,
            "apprehended_at": timezone.localtime(
                case.subject.apprehended_at, timezone=DENVER
            ).strftime("%Y-%m-%dT%H:%M"),
            "a_number": "A-012 345 678",
        },
    )
    assert edit.status_code == 302
    case.refresh_from_db()
    assert case.subject.a_number == "012345678"
    assert case.subject.apprehended_at == case.clocks.first().case.subject.apprehended_at
    agent.post(
        reverse("web:case-narrative", args=[case.pk]),
        {"text": factories.NARRATIVE + " Encountered at mile marker 12 near Anapra."},
    )
    assert agent.post(reverse("web:case-submit", args=[case.pk])).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert case.submissions == 2
    assert officer.post(reverse("web:review-accept", args=[case.pk])).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    assert events(case, "case.accepted").get().actor == ero_elp


def test_reject_needs_a_reason_and_changes_nothing_without_one(login, agent_ept, ero_elp):
    case = factories.submitted(agent_ept)
    response = login(ero_elp).post(reverse("web:review-reject", args=[case.pk]), {"comment": ""})
    assert response.status_code == 422
    assert "Give at least one reason." in response.text
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert not events(case, "case.rejected").exists()


def test_a_second_decision_on_one_case_is_a_conflict_not_an_error(login, agent_ept, ero_elp):
    case = factories.submitted(agent_ept)
    officer = login(ero_elp)
    assert officer.post(reverse("web:review-accept", args=[case.pk])).status_code == 302
    response = officer.post(
        reverse("web:review-reject", args=[case.pk]), {"reasons": ["wrong_aor"]}, follow=True
    )
    assert response.status_code == 200
    assert "Cannot reject a case that is accepted." in response.text
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED


def test_review_queue_is_ordered_by_nearest_deadline(login, agent_ept, ero_elp):
    later = factories.submitted(agent_ept, hours_ago=1)
    sooner = factories.submitted(agent_ept, hours_ago=30)
    text = login(ero_elp).get(reverse("web:review-queue")).text
    assert text.index(sooner.case_number) < text.index(later.case_number)


def test_station_board_shows_each_clocks_time_left(login, agent_ept):
    with time_machine.travel(timezone.now(), tick=False):
        case = factories.book(agent_ept, hours_ago=10)
        text = login(agent_ept).get(reverse("web:station-board")).text
    assert case.case_number in text
    assert "38 h 00 min left" in text  # custody determination: 48 h, 10 h in
    assert "62 h 00 min left" in text  # time in USBP custody: 72 h


# --- dashboard and inbox --------------------------------------------------------------------


def test_dashboard_draws_every_chart_as_svg(login, agent_ept, ero_elp, manager_hq):
    rejected = factories.submitted(agent_ept, hours_ago=80)
    from cases import services

    services.reject_case(case=rejected, actor=ero_elp, reasons=["wrong_aor"], comment="")
    response = login(manager_hq).get(reverse("web:dashboard"))
    assert response.status_code == 200
    text = response.text
    for slug in (
        "breaches-policy",
        "breaches-unit",
        "custody",
        "longest",
        "pareto",
        "resubmission",
        "quality",
    ):
        assert f'id="chart-{slug}"' in text
    assert text.count("<svg") == 7
    assert "<script" not in text.split("</head>")[1]
    assert rejected.case_number in text
    assert "Wrong AOR" in text


def test_inbox_and_badge_render_for_every_role(login, agent_ept, orr_user):
    for user in (agent_ept, orr_user):
        client = login(user)
        assert client.get(reverse("web:inbox")).status_code == 200
        assert client.get(reverse("web:inbox-badge")).status_code == 200


def test_htmx_is_served_by_the_app(login, agent_ept):
    page = login(agent_ept).get(reverse("web:station-board")).text
    assert "/static/cases/vendor/htmx.min.js" in page
    assert "https://" not in page.split("<main")[0]


def test_a_supervisor_books_at_a_station_of_the_sector_and_sees_its_dashboard(
    login, super_ept, agent_tca
):
    client = login(super_ept)
    station = Unit.objects.get(code="EPT-STN")
    response = client.post(reverse("web:book"), booking_post(station=station.pk))
    assert response.status_code == 302
    case = Case.objects.get(booked_by=super_ept)
    assert case.station == station
    # A station of another sector is not offered and not accepted.
    other = Unit.objects.get(code="TCA-NGL")
    response = client.post(reverse("web:book"), booking_post(station=other.pk))
    assert response.status_code == 422
    assert Case.objects.count() == 1
    factories.book(agent_tca)
    dashboard = client.get(reverse("web:dashboard")).text
    assert case.case_number in dashboard
    assert "TCA" not in dashboard


def test_opening_a_packet_leaves_reads_an_auditor_can_list(login, agent_ept, agent_tca, ero_elp):
    from cases.models import ReadAccess

    case = factories.submitted(agent_ept)
    assert login(ero_elp).get(reverse("web:review", args=[case.pk])).status_code == 200
    assert login(agent_ept).get(reverse("web:case", args=[case.pk])).status_code == 200
    reads = ReadAccess.objects.filter(case=case)
    assert {(r.user.username, r.what) for r in reads} == {
        (user.username, what)
        for user in (ero_elp, agent_ept)
        for what in ("detail", "narrative", "documents")
    }
    # Someone out of scope reads nothing, and leaves no trace of a read.
    assert login(agent_tca).get(reverse("web:case", args=[case.pk])).status_code == 404
    assert not reads.filter(user=agent_tca).exists()
