"""Invoice reconciliation: an auditor found $408,975 in erroneous or unsupported transport
payments because movements were not tracked. Every billed line is checked against the
recorded movements and the contract's price."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.exceptions import InvalidInput
from cases.models import EventLogEntry, Unit
from tests.factories import accepted
from transfers import services
from transfers.models import Contractor, Invoice

pytestmark = pytest.mark.django_db


def completed_leg(agent, officer, persons: int, miles: str):
    movement = services.schedule_movement(
        actor=officer,
        from_unit=Unit.objects.get(code="EPT-EPS"),
        to_unit=Unit.objects.get(code="ELP-SPC"),
        cases=[accepted(agent, officer) for _ in range(persons)],
        scheduled_pickup_at=timezone.now() + timedelta(hours=1),
        contractor=Contractor.objects.get(code="sw-transport"),
        distance_miles=Decimal(miles),
    )
    services.depart_movement(movement=movement, actor=officer)
    return services.arrive_movement(movement=movement, actor=officer)


def invoice_csv(a, b) -> bytes:
    rows = [
        "line,trip_number,service_date,persons,miles,amount",
        f"1,{a.trip_number},2026-11-24,2,30,{a.cost}",  # supported
        f"2,{a.trip_number},2026-11-24,2,30,{a.cost}",  # billed twice
        f"3,{b.trip_number},2026-11-24,1,25,{b.cost + Decimal('150.00')}",  # above the price
        "4,MV261124-99999,2026-11-24,3,40,1200.00",  # no such movement
    ]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def legs(agent_ept, ero_elp, transfers_reference):
    return completed_leg(agent_ept, ero_elp, 2, "30"), completed_leg(agent_ept, ero_elp, 1, "25")


def test_one_line_of_each_kind_of_error(api, ero_elp, auditor_hq, legs):
    a, b = legs
    # 350 + 2 x 45 + 30 x 3.10 and 350 + 45 + 25 x 3.10
    assert (a.cost, b.cost) == (Decimal("533.00"), Decimal("472.50"))
    upload = SimpleUploadedFile("inv.csv", invoice_csv(a, b), content_type="text/csv")
    resp = api(ero_elp).post(
        "/api/v1/contractors/sw-transport/invoices/",
        {"number": "SWT-2026-1101", "file": upload},
        format="multipart",
    )
    assert resp.status_code == 201, resp.json()
    report = resp.json()
    lines = [
        (x["line_number"], x["status"], x["amount"], x["recorded_cost"], x["questioned_amount"])
        for x in report["lines"]
    ]
    assert lines == [
        (1, "ok", "533.00", "533.00", "0.00"),
        (2, "duplicated", "533.00", "533.00", "533.00"),
        (3, "over_billed", "622.50", "472.50", "150.00"),
        (4, "unsupported", "1200.00", None, "1200.00"),
    ]
    assert report["findings"] == {
        "duplicated": {"lines": 1, "amount": "533.00"},
        "over_billed": {"lines": 1, "amount": "150.00"},
        "unsupported": {"lines": 1, "amount": "1200.00"},
    }
    assert (report["billed_total"], report["supported_total"], report["questioned_total"]) == (
        "2888.50",
        "1005.50",
        "1883.00",
    )
    assert EventLogEntry.objects.filter(event_type="invoice.imported").count() == 1
    assert api(auditor_hq).get(f"/api/v1/invoices/{report['id']}/").json() == report


def test_a_trip_billed_on_an_earlier_invoice_is_a_duplicate(ero_elp, legs):
    a, b = legs
    services.import_invoice(
        contractor=a.contractor, number="SWT-1", content=invoice_csv(a, b), actor=ero_elp
    )
    again = f"line,trip_number,service_date,persons,miles,amount\n1,{b.trip_number},,1,25,10\n"
    invoice = services.import_invoice(
        contractor=a.contractor, number="SWT-2", content=again.encode(), actor=ero_elp
    )
    assert [line.status for line in invoice.lines.all()] == ["duplicated"]


def test_command_prints_the_reconciliation(tmp_path, capsys, legs):
    a, b = legs
    path = tmp_path / "invoice.csv"
    path.write_bytes(invoice_csv(a, b))
    call_command(
        "reconcile_invoice", str(path), "--contractor", "sw-transport", "--number", "X-9", "--json"
    )
    report = json.loads(capsys.readouterr().out)
    assert [x["status"] for x in report["lines"]] == [
        "ok",
        "duplicated",
        "over_billed",
        "unsupported",
    ]
    with pytest.raises(CommandError):
        call_command(
            "reconcile_invoice", str(path), "--contractor", "sw-transport", "--number", "X-9"
        )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"trip_number,amount\nMV1,10\n",
        b"line,trip_number,service_date,persons,miles,amount\n1,MV1,2026-13-40,1,1,10\n",
        b"line,trip_number,service_date,persons,miles,amount\nx,MV1,,1,1,10\n",
        b"line,trip_number,service_date,persons,miles,amount\n1,MV1,,1,1,NaN\n",
        b"line,trip_number,service_date,persons,miles,amount\n1,MV1,,1,1,-5\n",
    ],
)
def test_malformed_invoice_is_refused_and_changes_nothing(api, ero_elp, legs, content):
    with pytest.raises(InvalidInput):
        services.import_invoice(
            contractor=Contractor.objects.get(code="sw-transport"),
            number="BAD",
            content=content,
            actor=ero_elp,
        )
    resp = api(ero_elp).post(
        "/api/v1/contractors/sw-transport/invoices/",
        {"number": "BAD", "file": SimpleUploadedFile("x.csv", content or b" ")},
        format="multipart",
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid"
    assert not Invoice.objects.exists()


def test_invoice_roles(api, agent_ept, orr_user, ero_elp, transfers_reference):
    upload = SimpleUploadedFile("x.csv", b"line,trip_number,service_date,persons,miles,amount\n")
    for user in (agent_ept, orr_user):
        resp = api(user).post(
            "/api/v1/contractors/sw-transport/invoices/",
            {"number": "N", "file": upload},
            format="multipart",
        )
        assert resp.status_code == 403
    assert api(ero_elp).get("/api/v1/contractors/").status_code == 200
    assert (
        api(ero_elp)
        .post("/api/v1/contractors/nobody/invoices/", {"number": "N"}, format="multipart")
        .status_code
        == 404
    )
