"""The whole hand-off in a real browser (Debian's Chromium driven by Playwright), against the
embedded server: an agent books and submits a UAC and fixes a rejection, the ERO officer
accepts, the agent requests placement, ORR designates, the leg is scheduled and ORR confirms
the hand-over, the manager's dashboard shows the case, and an agent of another sector gets
404.

Run with ``pytest -m browser`` (``.ci/browser.sh``); the default run deselects it. With
CAS_SCREENSHOT_DIR set, each main page is saved as a PNG along the way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.web.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(new_context, base_url: str, username: str):
    from playwright.sync_api import expect

    page = new_context(base_url=base_url).new_page()
    page.goto("/login/")
    # By keyboard: the username field has the focus, Tab moves to the password, Enter sends.
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # On every page the first Tab reaches the skip link.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    return page


def test_uac_from_booking_to_orr_hand_over_in_the_browser(cas_server, new_context, screenshot):
    from playwright.sync_api import expect

    # The login page itself.
    page = new_context(base_url=cas_server).new_page()
    page.goto("/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "01-login")
    page.context.close()

    # --- the agent books a UAC, with the rules' feedback as she types -----------------------
    agent = log_in(new_context, cas_server, "agent_ept")
    expect(agent.get_by_role("heading", name=re.compile("Station board"))).to_be_visible()
    agent.get_by_role("link", name="Book a subject").first.click()
    station_time = datetime.now(ZoneInfo("America/Denver")) - timedelta(hours=3)
    event_number = f"EPT{station_time:%y%m%d}0777"
    agent.get_by_label("Event number").fill(event_number)
    agent.get_by_label("This subject's apprehension time").fill(
        station_time.strftime("%Y-%m-%dT%H:%M")
    )
    agent.get_by_label("Demographic").select_option("uac")
    agent.get_by_label("First name").fill("Yesenia")
    agent.get_by_label("Last name", exact=True).fill("Morales")
    agent.get_by_label("Second last name (optional)").fill("Gómez")
    agent.get_by_label("Date of birth").fill("1990-02-14")
    agent.get_by_label("Sex").select_option("F")
    agent.get_by_label("Country of citizenship").fill("GT")
    feedback = agent.locator("#rule-feedback")
    expect(feedback.locator('[data-rule="uac_is_minor"]')).to_be_visible()
    screenshot(agent, "03-booking-feedback")
    agent.get_by_label("Date of birth").fill("2011-03-04")
    expect(feedback).to_contain_text("No problems found so far")
    agent.get_by_role("button", name="Book", exact=True).click()

    expect(
        agent.get_by_role("heading", name=re.compile(f"A-file {event_number}-01"))
    ).to_be_visible()
    case_url = agent.url
    case_path = re.search(r"/cases/\d+/", case_url).group(0)
    expect(agent.locator(".submit-panel")).to_contain_text("Add the I-213 narrative")
    agent.get_by_role("textbox", name="I-213 narrative").fill(
        "Subject was encountered alone near the Anapra levee at 03:10 after crossing on foot."
    )
    agent.get_by_role("button", name="Save narrative").click()
    expect(agent.get_by_role("status")).to_contain_text("Narrative saved")
    agent.get_by_role("button", name="Submit packet").click()
    expect(agent.get_by_role("status")).to_contain_text("Submitted")
    expect(agent.locator("h1 .state")).to_have_text("Submitted")
    screenshot(agent, "04-a-file-packet")

    # --- the ERO officer rejects it with a reason code --------------------------------------
    badge = agent.locator("#unread-badge")
    unread_before = badge.inner_text()
    officer = log_in(new_context, cas_server, "ero_elp")
    expect(officer.get_by_role("heading", name=re.compile("Review queue"))).to_be_visible()
    screenshot(officer, "05-review-queue")
    officer.get_by_role("link", name=f"Review {event_number}-01").click()
    screenshot(officer, "06-packet-review")
    officer.get_by_label("Missing I-213 narrative").check()
    officer.get_by_label("Comment for the agent").fill("Say which port of entry and the time zone.")
    officer.get_by_role("button", name="Reject").click()
    expect(officer.get_by_role("status")).to_contain_text("Rejected")
    # The agent's unread badge changes without reloading her page (htmx polling).
    expect(badge).not_to_have_text(unread_before, timeout=20_000)

    # --- the agent sees the rejection first, fixes it and resubmits -------------------------
    agent.get_by_role("link", name="Station board").click()
    rejected = agent.locator("section.state-rejected")
    expect(rejected).to_contain_text(f"{event_number}-01")
    expect(rejected).to_contain_text("Missing I-213 narrative")
    expect(rejected).to_contain_text("Say which port of entry")
    screenshot(agent, "02-station-board")
    rejected.get_by_role("link", name=re.compile(f"{event_number}-01")).click()
    agent.get_by_role("textbox", name="I-213 narrative").fill(
        "Subject was encountered alone near the Anapra levee, two miles west of the Paso del "
        "Norte port of entry, at 03:10 Mountain time after crossing on foot."
    )
    agent.get_by_role("button", name="Save narrative").click()
    agent.get_by_role("button", name="Resubmit packet").click()
    expect(agent.get_by_role("status")).to_contain_text("Resubmitted")

    # --- the officer accepts ---------------------------------------------------------------
    officer.goto("/review/")
    officer.get_by_role("link", name=f"Review {event_number}-01").click()
    officer.get_by_role("button", name="Accept").click()
    expect(officer.get_by_role("status")).to_contain_text("Accepted")
    agent.goto(case_path)
    expect(agent.locator("h1 .state")).to_have_text("Accepted")
    expect(agent.locator(".history")).to_contain_text("case.rejected")
    expect(agent.locator(".history")).to_contain_text("case.accepted")

    # --- the agent requests the ORR placement ------------------------------------------------
    agent.get_by_role("link", name="Request ORR placement").click()
    agent.get_by_label("Languages").fill("Spanish, K'iche'")
    agent.get_by_label("Potential sponsor").fill("Marta Morales")
    agent.get_by_label("Relationship").fill("aunt")
    agent.get_by_label("Sponsor phone").fill("+1 915 555 0188")
    agent.get_by_role("button", name="Send placement request").click()
    expect(agent.get_by_role("status")).to_contain_text("Placement requested")

    # --- ORR intake sees what placement needs and designates a provider with a free bed -------
    orr = log_in(new_context, cas_server, "orr_intake")
    expect(orr.get_by_role("heading", name=re.compile("Placement queue"))).to_be_visible()
    screenshot(orr, "09-orr-placement-queue")
    orr.get_by_role("link", name=re.compile(r"Open request \d+ for Yesenia")).click()
    expect(orr.locator("main")).to_contain_text("Marta Morales")
    expect(orr.locator("main")).not_to_contain_text("Anapra")  # the narrative stays in the A-file
    screenshot(orr, "10-orr-need-to-know")
    orr.get_by_label(re.compile("Brownsville Children's Shelter")).check()
    orr.get_by_role("button", name="Designate").click()
    expect(orr.get_by_role("status")).to_contain_text("Designated ORR-CP-BRO")

    # --- ERO schedules the leg to the designated provider; it departs -----------------------
    officer.get_by_role("link", name="Movement board").click()
    officer.get_by_label(re.compile(f"{event_number}-01")).check()
    officer.get_by_label("Destination").select_option(
        label="ORR-CP-BRO Brownsville Children's Shelter"
    )
    officer.get_by_label("Carrier agency").select_option(
        label="ERO ICE Enforcement and Removal Operations"
    )
    officer.get_by_label("Distance miles").fill("780")
    officer.get_by_role("button", name="Schedule").click()
    expect(officer.get_by_role("status")).to_contain_text("Scheduled MV")
    officer.get_by_role("button", name=re.compile("^Departed")).click()
    expect(officer.get_by_role("status")).to_contain_text("departed")
    screenshot(officer, "11-movement-board")

    # --- ORR confirms the hand-over: the child is transferred --------------------------------
    orr.get_by_role("link", name="Movement board").click()
    orr.get_by_role("button", name=re.compile("^Confirm hand-over")).click()
    expect(orr.get_by_role("status")).to_contain_text("handed over")
    agent.goto(case_path)
    expect(agent.locator("h1 .state")).to_have_text("Transferred")
    expect(agent.locator(".history")).to_contain_text("case.transferred")

    # --- the manager's dashboard shows the case --------------------------------------------
    manager = log_in(new_context, cas_server, "manager_hq")
    expect(manager.get_by_role("heading", name=re.compile("Dashboard"))).to_be_visible()
    expect(manager.locator("svg")).to_have_count(7)
    left = manager.get_by_role("region", name="Left Border Patrol custody, last 7 days")
    expect(left).to_contain_text(f"{event_number}-01")
    expect(left).to_contain_text("ORR-CP-BRO")
    expect(manager.locator("#chart-pareto")).to_contain_text("Missing I-213 narrative")
    screenshot(manager, "07-dashboard")
    left.get_by_role("link", name=f"{event_number}-01").click()
    expect(manager.locator("h1")).to_contain_text(f"{event_number}-01")

    # --- the inbox: the rejection is there; reading it lowers the badge at once -------------
    agent.get_by_role("link", name=re.compile("Inbox")).click()
    expect(agent.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(agent.locator(".inbox")).to_contain_text("case.rejected")
    screenshot(agent, "08-inbox", full_page=False)
    before = badge.inner_text()
    agent.locator(".inbox li.unread").first.get_by_role(
        "button", name=re.compile("Mark read")
    ).click()
    expect(badge).not_to_have_text(before)

    # --- an agent of another sector cannot open it -----------------------------------------
    other = log_in(new_context, cas_server, "agent_tca")
    response = other.goto(case_path)
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text("Yesenia")
