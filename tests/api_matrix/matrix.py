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
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.models import Case, Document, Role, Unit, User
from tests import factories

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
