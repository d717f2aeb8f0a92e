"""Matrix rows of the legal clocks: policies, breaches, the "Top 15", one clock, extensions.

The list endpoints answer plain lists (API.md), so their scoping is asserted in
tests/cases/test_sla_api.py rather than by ``listed_obj`` here.
"""

from __future__ import annotations

from datetime import timedelta

from cases import sla

from .matrix import ANONYMOUS, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"


def _only(roles: dict, default: int = 403) -> dict:
    expect = {role: default for role in (AGENT, SUPER, ERO, ORR, MANAGER, AUDITOR, PARTNER)}
    expect[ANONYMOUS] = 401
    expect.update(roles)
    return expect


def running_clock(world) -> dict:
    case = world.case("booked")
    clock = case.clocks.get(policy__name="custody_determination")
    return {"clock": clock.pk, "new_due_at": (clock.due_at + timedelta(hours=12)).isoformat()}


def breached_clock(world) -> dict:
    case = world.case("booked", hours_ago=49)
    sla.sweep_clocks()
    return {"clock": case.clocks.get(policy__name="custody_determination").pk, "case": case.pk}


def extend_body(world, objs, actor) -> dict:
    return {"new_due_at": objs["new_due_at"], "justification": "Hospital transport."}


ROWS = [
    Row(
        "api-sla-policies",
        "GET",
        "/api/v1/sla/policies/",
        _only({SUPER: 200, MANAGER: 200, AUDITOR: 200}),
    ),
    Row(
        "api-sla-breaches",
        "GET",
        "/api/v1/sla/breaches/",
        _only({SUPER: 200, MANAGER: 200}),
        setup=breached_clock,
    ),
    Row(
        "api-sla-longest-in-custody",
        "GET",
        "/api/v1/sla/longest-in-custody/?limit=15",
        _only({SUPER: 200, MANAGER: 200, AUDITOR: 200}),
        setup=breached_clock,
    ),
    Row(
        "api-sla-clock",
        "GET",
        "/api/v1/sla/clocks/{clock}/",
        _only(
            {
                AGENT: (200, 404),
                SUPER: (200, 404),
                ERO: (200, 404),
                MANAGER: (200, 404),
                AUDITOR: (200, 404),
            }
        ),
        setup=running_clock,
    ),
    Row(
        "api-sla-clock-extend",
        "POST",
        "/api/v1/sla/clocks/{clock}/extend/",
        _only(
            {
                AGENT: (403, 404),
                SUPER: (200, 404),
                ERO: (403, 404),
                MANAGER: (200, 404),
                AUDITOR: (403, 404),
            }
        ),
        setup=running_clock,
        body=extend_body,
    ),
]
