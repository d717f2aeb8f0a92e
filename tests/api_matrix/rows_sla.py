"""Matrix rows of the legal clocks (``/api/v1/sla/``): policies, breaches, the longest in
custody, one clock and its extension.

Who may do what, from DESIGN.md and API.md: breaches are for managers and supervisors; a
clock is read by whoever may read its case; only a supervisor records an extension for
"exceptional circumstances" (managers keep read-only dashboards, auditors read the trail).
"""

from __future__ import annotations

from datetime import timedelta

from .matrix import ANONYMOUS, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"


def _only(roles: dict, default: int = 403) -> dict:
    expect = {role: default for role in (AGENT, SUPER, ERO, ORR, MANAGER, AUDITOR, PARTNER)}
    expect[ANONYMOUS] = 401
    expect.update(roles)
    return expect


# A case's clocks are read by every role that reads the case: 404 out of scope.
READ_CLOCK = _only(
    {AGENT: (200, 404), SUPER: (200, 404), ERO: (200, 404), MANAGER: (200, 404)}
    | {AUDITOR: (200, 404)}
)


def breached(world):
    clock = world.breached_clock()
    return {"clock": clock.pk, "case": clock.case_id}


def booked(world):
    case = world.case("booked", hours_ago=30)
    return {"case": case.pk}


def running_clock(world):
    clock = world.clock(world.case("booked"))
    new_due_at = clock.effective_due_at + timedelta(hours=12)
    return {"clock": clock.pk, "new_due_at": new_due_at.isoformat()}


def extend_body(world, objs, actor):
    return {
        "new_due_at": objs["new_due_at"],
        "justification": "Port of entry closed by flooding; no transport north for 12 hours.",
    }


ROWS = [
    # Reference data, not scoped: the roles that watch the clocks read the policies.
    Row(
        "api-sla-policies",
        "GET",
        "/api/v1/sla/policies/",
        _only({SUPER: (200, 200), MANAGER: (200, 200), AUDITOR: (200, 200)}),
    ),
    Row(
        "api-sla-breaches",
        "GET",
        "/api/v1/sla/breaches/",
        # Managers and supervisors: a Tucson caller gets 200 without El Paso's breach.
        _only({SUPER: (200, 200), MANAGER: (200, 200)}),
        setup=breached,
        listed_obj="case",
        listed_field="case",
    ),
    Row(
        "api-sla-longest-in-custody",
        "GET",
        "/api/v1/sla/longest-in-custody/",
        _only({SUPER: (200, 200), MANAGER: (200, 200), AUDITOR: (200, 200)}),
        setup=booked,
        listed_obj="case",
        listed_field="case",
    ),
    Row("api-sla-clock", "GET", "/api/v1/sla/clocks/{clock}/", READ_CLOCK, setup=running_clock),
    Row(
        "api-sla-clock",
        "GET",
        "/api/v1/sla/clocks/{clock}/",
        READ_CLOCK,
        setup=breached,
        label="GET api-sla-clock (breached)",
    ),
    Row(
        "api-sla-clock-extend",
        "POST",
        "/api/v1/sla/clocks/{clock}/extend/",
        # Only a supervisor extends; whoever else reads the clock is refused (403), and an
        # out-of-scope caller learns nothing (404).
        _only(
            {SUPER: (200, 404), AGENT: (403, 404), ERO: (403, 404), MANAGER: (403, 404)}
            | {AUDITOR: (403, 404)}
        ),
        setup=running_clock,
        body=extend_body,
    ),
]
