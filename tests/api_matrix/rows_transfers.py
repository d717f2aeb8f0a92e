"""Matrix rows of the transfers app: UAC placement requests and ORR's answers, care-provider
capacity, criminal-history checks, family links, movements and hand-overs, contractors and
their invoices.

Who may do what, from DESIGN.md and API.md:

* the station (agent, supervisor) requests a placement; ORR intake sees every request (and
  a child's case only through it) and designates or declines; the requesting side cancels;
* ERO officers schedule movements; agents too for the door they own (USMS), so the
  scheduling row carries an adult to the Marshals; the crew records departure and arrival;
  the *receiving* unit confirms a hand-over (ORR for a care provider), and may record the
  arrival at its door, never a departure from someone else's;
* managers and auditors read, never act; partner systems see none of this.

The rule for an object addressed by id, as in ``rows_cases``: a role that may read such
objects gets 404 for one outside its scope (existence does not leak) and 403 for one it
sees but may not act on; a role that never reads them gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from .matrix import ANONYMOUS, CARE_PROVIDER, CONTRACTOR, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"
CASE_ROLES = (AGENT, SUPER, ERO, MANAGER, AUDITOR)


def _expect(default, **overrides) -> dict:
    """Every case-reading role gets ``default``; ORR and partner systems 403; anonymous 401."""
    expect = {role: default for role in CASE_ROLES}
    expect |= {ORR: 403, PARTNER: 403, ANONYMOUS: 401}
    expect.update(overrides)
    return expect


SEE = (200, 404)  # reads it in scope, 404 outside
REFUSED = (403, 404)  # sees it in scope but may not act, 404 outside

# --- setups -----------------------------------------------------------------------------------


def uac_booked(world):
    world.transfers_reference()
    return {"case": world.case("booked", demographic="uac").pk}


def adult_booked(world):
    case = world.case("booked")
    return {"case": case.pk, "subject": case.subject_id}


def placed_child(world):
    placement = world.placement("requested")
    return {"case": placement.case_id, "subject": placement.case.subject_id}


def requested(world):
    placement = world.placement("requested")
    return {"placement": placement.pk, "case": placement.case_id}


def movement_setup(*, uac: bool = False, state: str = "scheduled", to: str = "ELP-SPC"):
    def setup(world):
        movement = world.movement(uac=uac, state=state, to=to)
        return {"movement": movement.pk}

    return setup


def adult_accepted(world):
    world.transfers_reference()
    case = world.case("accepted")
    case.refresh_from_db()
    return {"case": case.pk, "from_unit": case.custody_unit.code}


def arrived_leg(world):
    movement = world.movement(state="arrived")
    return {"trip_number": movement.trip_number, "cost": str(movement.cost)}


def invoiced(world):
    return {"invoice": world.invoice().pk}


# --- bodies -----------------------------------------------------------------------------------

NEEDS = {
    "needs": {"pregnant": False, "disability": False, "medical_notes": "", "tender_age": True},
    "languages": ["es"],
}


def usms_leg(world, objs, actor):
    return {
        "from_unit": objs["from_unit"],
        "to_unit": "USMS-TXW-ELP",
        "cases": [objs["case"]],
        "carrier": {"contractor": CONTRACTOR},
        "scheduled_pickup_at": (timezone.now() + timedelta(hours=2)).isoformat(),
        "distance_miles": "12",
    }


def invoice_body(world, objs, actor):
    csv = (
        "line,trip_number,service_date,persons,miles,amount\n"
        f"1,{objs['trip_number']},{timezone.localdate()},1,30,{objs['cost']}\n"
    )
    return {
        "number": "INV-2026-0042",
        "file": SimpleUploadedFile("invoice.csv", csv.encode(), content_type="text/csv"),
    }


REASON = {"reason": "The child was reunified with a parent at the station."}

ROWS = [
    # --- placements --------------------------------------------------------------------------
    Row(
        "api-placement-request",
        "POST",
        "/api/v1/cases/{case}/placement-request/",
        _expect(REFUSED, **{AGENT: (201, 404), SUPER: (201, 404)}),
        setup=uac_booked,
        body=NEEDS,
    ),
    Row(
        "api-placements",
        "GET",
        "/api/v1/placements/",
        # ORR intake sees every request; the others only their cases' requests.
        _expect((200, 200), **{ORR: 200}),
        setup=requested,
        listed_obj="placement",
    ),
    Row(
        "api-placement",
        "GET",
        "/api/v1/placements/{placement}/",
        _expect(SEE, **{ORR: 200}),
        setup=requested,
    ),
    Row(
        "api-placement-designate",
        "POST",
        "/api/v1/placements/{placement}/designate/",
        _expect(REFUSED, **{ORR: 200}),
        setup=requested,
        body={"facility": CARE_PROVIDER},
    ),
    Row(
        "api-placement-decline",
        "POST",
        "/api/v1/placements/{placement}/decline/",
        _expect(REFUSED, **{ORR: 200}),
        setup=requested,
        body={"reason": "No bed for a tender-age girl within 24 hours; re-request tomorrow."},
    ),
    Row(
        "api-placement-cancel",
        "POST",
        "/api/v1/placements/{placement}/cancel/",
        # The requesting side withdraws (the station, or ERO holding the child); ORR declines.
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE}),
        setup=requested,
        body=REASON,
    ),
    Row(
        "api-care-providers",
        "GET",
        "/api/v1/care-providers/",
        _expect((200, 200), **{ORR: 200}),
    ),
    # --- checks and family links ----------------------------------------------------------------
    Row(
        "api-criminal-history",
        "POST",
        "/api/v1/cases/{case}/criminal-history/",
        _expect(REFUSED, **{AGENT: (201, 404), SUPER: (201, 404), ERO: (201, 404)}),
        setup=adult_booked,
        body={"status": "no_record", "source": "IDENT/NGI"},
    ),
    Row(
        "api-case-relatives",
        "GET",
        "/api/v1/cases/{case}/relatives/",
        # ORR sees no adult's case: 404 as for anything absent.
        _expect(SEE, **{ORR: 404}),
        setup=adult_booked,
    ),
    Row(
        "api-case-relatives",
        "GET",
        "/api/v1/cases/{case}/relatives/",
        _expect(SEE, **{ORR: 200}),
        setup=placed_child,
        label="GET api-case-relatives (child with a placement request)",
    ),
    Row(
        "api-subject-relatives",
        "GET",
        "/api/v1/subjects/{subject}/relatives/",
        _expect(SEE, **{ORR: 404}),
        setup=adult_booked,
    ),
    Row(
        "api-subject-relatives",
        "GET",
        "/api/v1/subjects/{subject}/relatives/",
        _expect(SEE, **{ORR: 200}),
        setup=placed_child,
        label="GET api-subject-relatives (child with a placement request)",
    ),
    # --- movements ----------------------------------------------------------------------------
    Row(
        "api-movements",
        "GET",
        "/api/v1/movements/",
        # A child's leg to ORR's care provider: on ORR's board too.
        _expect((200, 200), **{ORR: 200}),
        setup=movement_setup(uac=True),
        listed_obj="movement",
    ),
    Row(
        "api-movements",
        "POST",
        "/api/v1/movements/",
        # A case outside the caller's scope is refused as input (400), as booking is.
        _expect((403, 403), **{AGENT: (201, 400), SUPER: (201, 400), ERO: (201, 400)}),
        setup=adult_accepted,
        body=usms_leg,
    ),
    Row(
        "api-movement",
        "GET",
        "/api/v1/movements/{movement}/",
        _expect(SEE, **{ORR: 404}),
        setup=movement_setup(),
    ),
    Row(
        "api-movement",
        "GET",
        "/api/v1/movements/{movement}/",
        _expect(SEE, **{ORR: 200}),
        setup=movement_setup(uac=True),
        label="GET api-movement (child to a care provider)",
    ),
    Row(
        "api-movement-depart",
        "POST",
        "/api/v1/movements/{movement}/depart/",
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 404}),
        setup=movement_setup(),
        body={},
    ),
    Row(
        "api-movement-depart",
        "POST",
        "/api/v1/movements/{movement}/depart/",
        # ORR receives the child; it does not record the departure from the station.
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 403}),
        setup=movement_setup(uac=True),
        body={},
        label="POST api-movement-depart (child to a care provider)",
    ),
    Row(
        "api-movement-arrive",
        "POST",
        "/api/v1/movements/{movement}/arrive/",
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 404}),
        setup=movement_setup(state="in_transit"),
        body={},
    ),
    Row(
        "api-movement-arrive",
        "POST",
        "/api/v1/movements/{movement}/arrive/",
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 200}),
        setup=movement_setup(uac=True, state="in_transit"),
        body={},
        label="POST api-movement-arrive (child to a care provider)",
    ),
    Row(
        "api-movement-handover",
        "POST",
        "/api/v1/movements/{movement}/handover/",
        # Only the receiving unit signs: ERO El Paso for its detention facility.
        _expect(REFUSED, **{ERO: SEE, ORR: 404}),
        setup=movement_setup(state="in_transit"),
        body={},
    ),
    Row(
        "api-movement-handover",
        "POST",
        "/api/v1/movements/{movement}/handover/",
        _expect(REFUSED, **{ORR: 200}),
        setup=movement_setup(uac=True, state="arrived"),
        body={},
        label="POST api-movement-handover (child to a care provider)",
    ),
    Row(
        "api-movement-handover",
        "POST",
        "/api/v1/movements/{movement}/handover/",
        # The Marshals have no users: the escorting station signs (DESIGN.md: "agent for
        # USMS"); ERO, not the receiving unit here, is refused.
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ORR: 404}),
        setup=movement_setup(state="in_transit", to="USMS-TXW-ELP"),
        body={},
        label="POST api-movement-handover (adult to the Marshals)",
    ),
    Row(
        "api-movement-cancel",
        "POST",
        "/api/v1/movements/{movement}/cancel/",
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 404}),
        setup=movement_setup(),
        body={"reason": "The bus broke down; rescheduled for tomorrow."},
    ),
    Row(
        "api-movement-cancel",
        "POST",
        "/api/v1/movements/{movement}/cancel/",
        _expect(REFUSED, **{AGENT: SEE, SUPER: SEE, ERO: SEE, ORR: 403}),
        setup=movement_setup(uac=True),
        body={"reason": "The bus broke down; rescheduled for tomorrow."},
        label="POST api-movement-cancel (child to a care provider)",
    ),
    # --- contractors and invoices ---------------------------------------------------------------
    Row(
        "api-contractors",
        "GET",
        "/api/v1/contractors/",
        _expect(403, **{ERO: (200, 200), MANAGER: (200, 200), AUDITOR: (200, 200)}),
    ),
    Row(
        "api-contractor-invoices",
        "POST",
        f"/api/v1/contractors/{CONTRACTOR}/invoices/",
        # ERO imports (contracts are national, so any AOR); managers and auditors only read.
        _expect(403, **{ERO: (201, 201)}),
        setup=arrived_leg,
        body=invoice_body,
        format="multipart",
    ),
    Row(
        "api-invoice",
        "GET",
        "/api/v1/invoices/{invoice}/",
        _expect(403, **{ERO: (200, 200), MANAGER: (200, 200), AUDITOR: (200, 200)}),
        setup=invoiced,
    ),
]
