"""The authorization matrix: one table of every API endpoint by every role by an object in and
out of the caller's scope → the expected status.

Each app adds its endpoints in its own module ``tests/api_matrix/rows_<app>.py`` exporting
``ROWS``; ``test_matrix.py`` collects every such module and insists that every URL pattern
under ``/api/v1/`` has at least one row, so a new endpoint cannot land without its row.

A row's ``expect`` maps *every* role of ``ROLES`` to a status, or to a pair
``(in_scope, out_of_scope)`` when the answer depends on scope. The actors are users of
``ACTOR_UNITS``: the in-scope one works where the row's objects live (El Paso: station
EPT-EPS, sector EPT, AOR ELP), the out-of-scope one in Tucson/Phoenix.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services, sla
from cases.models import Case, Document, Role, SlaClock, Unit, User
from tests import factories
from transfers import reference as transfers_reference
from transfers import services as transfer_services
from transfers.models import BedCapacity, Contractor, Invoice, Movement, PlacementRequest

ANONYMOUS = "anonymous"
ROLES = [*Role.values, ANONYMOUS]

# role -> (unit of the in-scope actor, unit of the out-of-scope actor)
ACTOR_UNITS = {
    Role.USBP_AGENT: ("EPT-EPS", "TCA-NGL"),
    Role.USBP_SUPERVISOR: ("EPT", "TCA"),
    Role.ERO_OFFICER: ("ELP", "PHO"),
    Role.ORR_INTAKE: ("ORR-INTAKE", "ORR-INTAKE"),
    Role.MANAGER: ("NAT", "TCA"),
    Role.AUDITOR: ("NAT", "TCA"),
    Role.PARTNER_SYSTEM: ("NAT", "NAT"),
}

PASSWORD = "correct-horse-42"

# The care provider ORR designates, and the contractor that carries, in transfers rows.
CARE_PROVIDER = "ORR-CP-BRO"
CONTRACTOR = "sw-transport"

# The smallest file that sniffs as a PDF.
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

Expect = int | tuple[int, int]


@dataclass(frozen=True)
class Row:
    """One endpoint (one URL name and method) and what every role gets from it."""

    url_name: str
    method: str
    path: str  # str.format template over what ``setup`` returns
    expect: dict[str, Expect]
    setup: Callable[[World], dict[str, Any]] | None = None
    body: dict | Callable[[World, dict, User | None], dict] | None = None
    format: str = "json"
    # For list endpoints: objs[listed_obj] must appear in results (by ``listed_field``) for
    # an in-scope caller and must not for an out-of-scope one.
    listed_obj: str | None = None
    listed_field: str = "id"
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"{self.method} {self.url_name}"


@dataclass
class World:
    """Builds the objects a row needs, through the real services, in El Paso."""

    _users: dict = field(default_factory=dict)

    def user(self, role: str, unit_code: str) -> User:
        key = (role, unit_code)
        if key not in self._users:
            self._users[key] = factories.UserFactory(
                role=role, unit=Unit.objects.get(code=unit_code)
            )
        return self._users[key]

    def actor(self, role: str, scope: str) -> User | None:
        if role == ANONYMOUS:
            return None
        in_unit, out_unit = ACTOR_UNITS[role]
        return self.user(role, in_unit if scope == "in" else out_unit)

    @property
    def owner_agent(self) -> User:
        return self.user(Role.USBP_AGENT, "EPT-EPS")

    @property
    def owner_officer(self) -> User:
        return self.user(Role.ERO_OFFICER, "ELP")

    def case(self, state: str = "booked", **kwargs) -> Case:
        """A case booked at EPT-EPS (routed to ELP), brought to ``state``."""
        agent = self.owner_agent
        if state == "booked":
            return factories.book(agent, **kwargs)
        case = factories.submitted(agent, **kwargs)
        if state == "submitted":
            return case
        if state == "rejected":
            return services.reject_case(
                case=case, actor=self.owner_officer, reasons=["other"], comment="Fix it."
            )
        case = services.accept_case(case=case, actor=self.owner_officer)
        if state == "accepted":
            return case
        raise ValueError(state)

    def document(self, case: Case) -> Document:
        upload = SimpleUploadedFile("i213.pdf", TINY_PDF, content_type="application/pdf")
        return services.add_document(case=case, actor=self.owner_agent, kind="i213", upload=upload)

    def unit_code(self, kind: str, under: str) -> str:
        root = Unit.objects.get(code=under)
        return Unit.objects.filter(kind=kind, path__startswith=root.path).first().code

    @staticmethod
    def now_iso(hours_ago: float = 2) -> str:
        return (timezone.now() - timedelta(hours=hours_ago)).isoformat()

    # --- legal clocks (cases.sla) ------------------------------------------------------------

    def clock(self, case: Case, policy: str = "usbp_custody") -> SlaClock:
        return case.clocks.get(policy__name=policy)

    def breached_clock(self) -> SlaClock:
        """The 48-hour custody determination of a case booked 50 hours after apprehension,
        breached by an in-process sweep."""
        case = self.case("booked", hours_ago=50)
        sla.sweep_clocks(now=timezone.now())
        clock = self.clock(case, "custody_determination")
        assert clock.breached_at is not None
        return clock

    # --- transfers (transfers.services) ---------------------------------------------------------

    def transfers_reference(self) -> None:
        if not BedCapacity.objects.exists():
            transfers_reference.load()

    def placement(self, state: str = "requested", case_state: str = "booked") -> PlacementRequest:
        """A placement request for an unaccompanied child booked at EPT-EPS."""
        self.transfers_reference()
        case = self.case(case_state, demographic="uac")
        placement = transfer_services.request_placement(
            case=case, actor=self.owner_agent, needs=transfer_services.PlacementNeeds()
        )
        if state == "designated":
            placement = transfer_services.designate_placement(
                placement=placement,
                actor=self.user(Role.ORR_INTAKE, "ORR-INTAKE"),
                facility=Unit.objects.get(code=CARE_PROVIDER),
            )
        elif state != "requested":
            raise ValueError(state)
        return placement

    def movement(
        self, *, uac: bool = False, state: str = "scheduled", to: str = "ELP-SPC"
    ) -> Movement:
        """A leg from EPT-EPS scheduled by the ERO officer: an adult to ``to`` (the El Paso
        detention facility by default), or a child to the care provider ORR designated."""
        if uac:
            case = self.placement("designated", case_state="accepted").case
            to_unit = Unit.objects.get(code=CARE_PROVIDER)
        else:
            self.transfers_reference()
            case = self.case("accepted")
            to_unit = Unit.objects.get(code=to)
        case.refresh_from_db()
        movement = transfer_services.schedule_movement(
            actor=self.owner_officer,
            from_unit=case.custody_unit,
            to_unit=to_unit,
            cases=[case],
            scheduled_pickup_at=timezone.now() + timedelta(hours=1),
            contractor=Contractor.objects.get(code=CONTRACTOR),
            distance_miles=Decimal("30"),
        )
        if state in ("in_transit", "arrived"):
            officer = self.owner_officer
            movement = transfer_services.depart_movement(movement=movement, actor=officer)
        if state == "arrived":
            movement = transfer_services.arrive_movement(movement=movement, actor=officer)
        return movement

    def invoice(self) -> Invoice:
        movement = self.movement(state="arrived")
        content = (
            "line,trip_number,service_date,persons,miles,amount\n"
            f"1,{movement.trip_number},{timezone.localdate()},1,30,{movement.cost}\n"
        ).encode()
        return transfer_services.import_invoice(
            contractor=movement.contractor,
            number=f"INV-{movement.pk}",
            content=content,
            actor=self.owner_officer,
        )


def check_row(row: Row) -> None:
    missing = set(ROLES) - set(row.expect)
    extra = set(row.expect) - set(ROLES)
    if missing or extra:
        raise AssertionError(f"{row.name}: roles missing {sorted(missing)}, unknown {extra}")


def expand(rows: list[Row]) -> list[tuple[Row, str, str, int]]:
    """(row, role, scope, expected status) for every cell of the table."""
    cells = []
    for row, role in itertools.product(rows, ROLES):
        check_row(row)
        expected = row.expect[role]
        if isinstance(expected, tuple):
            cells.append((row, role, "in", expected[0]))
            cells.append((row, role, "out", expected[1]))
        else:
            cells.append((row, role, "in", expected))
    return cells
