"""Matrix rows of the transfers app: placements (ORR), care providers, criminal-history
summaries, family links, movements and contractors' invoices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Unit
from transfers import reference, services
from transfers.models import Contractor

from .matrix import ANONYMOUS, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"
ALL = (AGENT, SUPER, ERO, ORR, MANAGER, AUDITOR, PARTNER)


def _expect(default, **overrides) -> dict:
    expect = {role: default for role in ALL}
    expect[ANONYMOUS] = 401
    expect.update(overrides)
    return expect


def _orr(world):
    return world.user(ORR, "ORR-INTAKE")


def requested(world):
    reference.load()
    case = world.case("booked", demographic="uac")
    placement = services.request_placement(
        case=case, actor=world.owner_agent, needs=services.PlacementNeeds()
    )
    return {"case": case.pk, "placement": placement.pk, "subject": case.subject_id}


def uac_case(world):
    reference.load()
    return {"case": world.case("booked", demographic="uac").pk}


def adult_accepted(world):
    reference.load()
    return {"case": world.case("accepted").pk}


def uac_movement(world, depart: bool = False):
    """An accepted child designated to ORR-CP-BRO, on a leg from EPT-EPS leaving soon."""
    reference.load()
    case = world.case("accepted", demographic="uac")
    placement = services.request_placement(
        case=case, actor=world.owner_agent, needs=services.PlacementNeeds()
    )
    provider = Unit.objects.get(code="ORR-CP-BRO")
    services.designate_placement(placement=placement, actor=_orr(world), facility=provider)
    movement = services.schedule_movement(
        actor=world.owner_officer,
        from_unit=Unit.objects.get(code="EPT-EPS"),
        to_unit=provider,
        cases=[case],
        scheduled_pickup_at=timezone.now() + timedelta(hours=1),
        contractor=Contractor.objects.get(code="sw-transport"),
        distance_miles=Decimal("800"),
    )
    if depart:
        services.depart_movement(movement=movement, actor=world.owner_officer)
    return {"case": case.pk, "movement": movement.pk}


def departed(world):
    return uac_movement(world, depart=True)


def contractor(world):
    reference.load()
    return {"code": "sw-transport"}


INVOICE_CSV = b"line,trip_number,service_date,persons,miles,amount\n1,MV261124-00001,,1,10,99\n"


def invoice(world):
    reference.load()
    made = services.import_invoice(
        contractor=Contractor.objects.get(code="sw-transport"),
        number="SWT-1",
        content=INVOICE_CSV,
        actor=world.owner_officer,
    )
    return {"invoice": made.pk}


def invoice_body(world, objs, actor):
    return {"number": "SWT-9", "file": SimpleUploadedFile("invoice.csv", INVOICE_CSV)}


def movement_body(world, objs, actor):
    return {
        "from_unit": "EPT-EPS",
        "to_unit": world.unit_code("detention_facility", "ELP"),
        "cases": [objs["case"]],
        "carrier": {"contractor": "sw-transport"},
        "scheduled_pickup_at": (timezone.now() + timedelta(hours=2)).isoformat(),
        "distance_miles": "12",
    }


# Reading through scope: case roles in scope, 404 out; ORR sees every placement; partners none.
SCOPED_READ = _expect((200, 404), **{ORR: 200, PARTNER: 403})
ORR_ACTS = _expect((403, 404), **{ORR: 200, PARTNER: 403})
REQUESTING_SIDE = _expect((200, 404), **{ORR: 403, MANAGER: (403, 404), AUDITOR: (403, 404)}) | {
    PARTNER: 403
}
INVOICE_READ = _expect(403, **{ERO: 200, MANAGER: 200, AUDITOR: 200})

ROWS = [
    Row(
        "api-placement-request",
        "POST",
        "/api/v1/cases/{case}/placement-request/",
        _expect(403, **{AGENT: (201, 404), SUPER: (201, 404)}),
        setup=uac_case,
        body={"needs": {"tender_age": False}, "languages": ["es"]},
    ),
    Row(
        "api-placements",
        "GET",
        "/api/v1/placements/",
        _expect((200, 200), **{ORR: 200, PARTNER: 403}),
        setup=requested,
        listed_obj="placement",
    ),
    Row("api-placement", "GET", "/api/v1/placements/{placement}/", SCOPED_READ, setup=requested),
    Row(
        "api-placement-designate",
        "POST",
        "/api/v1/placements/{placement}/designate/",
        ORR_ACTS,
        setup=requested,
        body={"facility": "ORR-CP-BRO"},
    ),
    Row(
        "api-placement-decline",
        "POST",
        "/api/v1/placements/{placement}/decline/",
        ORR_ACTS,
        setup=requested,
        body={"reason": "No bed for a sibling group of four."},
    ),
    Row(
        "api-placement-cancel",
        "POST",
        "/api/v1/placements/{placement}/cancel/",
        REQUESTING_SIDE,
        setup=requested,
        body={"reason": "Parent located; processed as a family unit."},
    ),
    Row("api-care-providers", "GET", "/api/v1/care-providers/", _expect(200, **{PARTNER: 403})),
    Row(
        "api-criminal-history",
        "POST",
        "/api/v1/cases/{case}/criminal-history/",
        _expect(403, **{AGENT: (201, 404), SUPER: (201, 404), ERO: (201, 404)}),
        setup=adult_accepted,
        body={"status": "no_record"},
    ),
    Row(
        "api-case-relatives",
        "GET",
        "/api/v1/cases/{case}/relatives/",
        SCOPED_READ,
        setup=requested,
    ),
    Row(
        "api-subject-relatives",
        "GET",
        "/api/v1/subjects/{subject}/relatives/",
        SCOPED_READ,
        setup=requested,
    ),
    Row(
        "api-movements",
        "GET",
        "/api/v1/movements/",
        _expect((200, 200), **{ORR: 200, PARTNER: 403}),
        setup=uac_movement,
        listed_obj="movement",
    ),
    Row(
        "api-movements",
        "POST",
        "/api/v1/movements/",
        # Out of scope the case is unknown input (400), as for relatives at booking.
        _expect(403, **{AGENT: (201, 400), SUPER: (201, 400), ERO: (201, 400)}),
        setup=adult_accepted,
        body=movement_body,
    ),
    Row("api-movement", "GET", "/api/v1/movements/{movement}/", SCOPED_READ, setup=uac_movement),
    Row(
        "api-movement-depart",
        "POST",
        "/api/v1/movements/{movement}/depart/",
        _expect((200, 404), **{MANAGER: (403, 404), AUDITOR: (403, 404), ORR: 200, PARTNER: 403}),
        setup=uac_movement,
        body={},
    ),
    Row(
        "api-movement-arrive",
        "POST",
        "/api/v1/movements/{movement}/arrive/",
        _expect((200, 404), **{MANAGER: (403, 404), AUDITOR: (403, 404), ORR: 200, PARTNER: 403}),
        setup=departed,
        body={},
    ),
    Row(
        "api-movement-handover",
        "POST",
        "/api/v1/movements/{movement}/handover/",
        # Only the receiving side (ORR for its care providers) signs for the children.
        _expect((403, 404), **{ORR: 200, PARTNER: 403}),
        setup=departed,
        body={},
    ),
    Row(
        "api-movement-cancel",
        "POST",
        "/api/v1/movements/{movement}/cancel/",
        REQUESTING_SIDE,
        setup=uac_movement,
        body={"reason": "Bus broke down."},
    ),
    Row("api-contractors", "GET", "/api/v1/contractors/", INVOICE_READ, setup=contractor),
    Row(
        "api-contractor-invoices",
        "POST",
        "/api/v1/contractors/{code}/invoices/",
        _expect(403, **{ERO: 201, MANAGER: 201}),
        setup=contractor,
        body=invoice_body,
        format="multipart",
    ),
    Row("api-invoice", "GET", "/api/v1/invoices/{invoice}/", INVOICE_READ, setup=invoice),
]
