"""Matrix rows of the cases app: auth, units, cases, documents, narrative, transitions,
history and the read-access log."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import ReadAccess

from .matrix import ANONYMOUS, PASSWORD, TINY_PDF, Row

AGENT, SUPER, ERO, ORR = "usbp_agent", "usbp_supervisor", "ero_officer", "orr_intake"
MANAGER, AUDITOR, PARTNER = "manager", "auditor", "partner_system"


def _everyone(status: int, **overrides) -> dict:
    expect = {role: status for role in (AGENT, SUPER, ERO, ORR, MANAGER, AUDITOR, PARTNER)}
    expect[ANONYMOUS] = 401
    expect.update(overrides)
    return expect


# Reading a case: every case role in scope, 404 out of scope; ORR and partners see no case.
READ = _everyone((200, 404), **{ORR: 403, PARTNER: 403})
# Editing a booked case: USBP in scope; other case roles may see it but not act (403).
USBP_WRITE = _everyone(
    (200, 404), **{ERO: (403, 404), MANAGER: (403, 404), AUDITOR: (403, 404)}
) | {ORR: 403, PARTNER: 403}
ERO_ACTS = _everyone((403, 404), **{ERO: (200, 404), ORR: 403, PARTNER: 403})


def booked(world):
    return {"case": world.case("booked").pk}


def submitted(world):
    return {"case": world.case("submitted").pk}


def accepted(world):
    return {"case": world.case("accepted").pk}


def with_document(world):
    case = world.case("booked")
    return {"case": case.pk, "document": world.document(case).pk}


def with_read(world):
    case = world.case("booked")
    services.record_read(user=world.owner_agent, case=case, what=ReadAccess.What.DETAIL)
    return {"case": case.pk}


def token_body(world, objs, actor):
    if actor is None:
        return {"username": "nobody", "password": "wrong-password"}
    return {"username": actor.username, "password": PASSWORD}


def booking_body(world, objs, actor):
    return {
        "subject": {
            "first_name": "Ana",
            "last_name": "López",
            "second_last_name": "García",
            "date_of_birth": "1995-04-02",
            "sex": "F",
            "country_of_citizenship": "GT",
        },
        "event_number": "EPT2611220001",
        "apprehended_at": world.now_iso(),
        "demographic": "single_adult",
        "station": "EPT-EPS",
    }


def document_body(world, objs, actor):
    return {
        "kind": "i213",
        "file": SimpleUploadedFile("i213.pdf", TINY_PDF, content_type="application/pdf"),
    }


def transfer_body(world, objs, actor):
    return {"to_unit": world.unit_code("detention_facility", "ELP")}


RELEASE = {
    "release_type": "ror",
    "address": {
        "street": "1600 Pennsylvania Ave NW",
        "city": "Washington",
        "state": "DC",
        "zip": "20500",
    },
    "acknowledge_warnings": True,
}

ROWS = [
    Row("api-token", "POST", "/api/v1/auth/token/", _everyone(200), body=token_body),
    Row("api-units", "GET", "/api/v1/units/", _everyone(200)),
    Row(
        "api-cases",
        "GET",
        "/api/v1/cases/",
        READ | {AGENT: 200, SUPER: 200, ERO: 200, MANAGER: 200, AUDITOR: 200},
        setup=booked,
        listed_obj="case",
    ),
    Row(
        "api-cases",
        "POST",
        "/api/v1/cases/",
        # The station is EPT-EPS: outside the Tucson actors' own unit, so refused as input.
        _everyone(403, **{AGENT: (201, 400), SUPER: (201, 400)}),
        body=booking_body,
    ),
    Row("api-case", "GET", "/api/v1/cases/{case}/", READ, setup=booked),
    Row(
        "api-case",
        "PATCH",
        "/api/v1/cases/{case}/",
        USBP_WRITE,
        setup=booked,
        body={"subject": {"first_name": "Ana María"}},
    ),
    Row("api-case-narrative", "GET", "/api/v1/cases/{case}/narrative/", READ, setup=booked),
    Row(
        "api-case-narrative",
        "POST",
        "/api/v1/cases/{case}/narrative/",
        USBP_WRITE,
        setup=booked,
        body={"text": "Encountered on foot two miles west of the port of entry."},
    ),
    Row("api-case-documents", "GET", "/api/v1/cases/{case}/documents/", READ, setup=booked),
    Row(
        "api-case-documents",
        "POST",
        "/api/v1/cases/{case}/documents/",
        {**USBP_WRITE, AGENT: (201, 404), SUPER: (201, 404)},
        setup=booked,
        body=document_body,
        format="multipart",
    ),
    Row(
        "api-case-document-download",
        "GET",
        "/api/v1/cases/{case}/documents/{document}/download/",
        READ,
        setup=with_document,
    ),
    Row(
        "api-case-submit",
        "POST",
        "/api/v1/cases/{case}/submit/",
        USBP_WRITE,
        setup=booked,
        body={"acknowledge_warnings": True},
    ),
    Row("api-case-accept", "POST", "/api/v1/cases/{case}/accept/", ERO_ACTS, setup=submitted),
    Row(
        "api-case-reject",
        "POST",
        "/api/v1/cases/{case}/reject/",
        ERO_ACTS,
        setup=submitted,
        body={"reasons": ["missing_i213"], "comment": "Narrative unreadable."},
    ),
    Row(
        "api-case-transfer",
        "POST",
        "/api/v1/cases/{case}/transfer/",
        # An agent may transfer only to the Marshals: a detention facility is 403 for USBP.
        ERO_ACTS,
        setup=accepted,
        body=transfer_body,
    ),
    Row(
        "api-case-release",
        "POST",
        "/api/v1/cases/{case}/release/",
        {**USBP_WRITE, ERO: (200, 404)},
        setup=accepted,
        body=RELEASE,
    ),
    Row("api-case-history", "GET", "/api/v1/cases/{case}/history/", READ, setup=booked),
    Row(
        "api-audit-reads",
        "GET",
        "/api/v1/audit/reads/",
        _everyone(403, **{AUDITOR: (200, 200)}),
        setup=with_read,
        listed_obj="case",
        listed_field="case",
    ),
]
