"""Scoped reads of placements, care-provider capacity, movements and family links.

ORR intake sees no case directly: it sees every placement request, and through a placement
only the fields the placement needs (``transfers.serializers.PlacementOutput``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.models import Case, FamilyLink, Role, Unit, UnitKind, User
from cases.selectors import USBP_ROLES, case_scope_q, cases_visible_to, scope_root

from .models import (
    BedCapacity,
    Contractor,
    Invoice,
    ManifestEntry,
    Movement,
    PlacementRequest,
    PlacementState,
    Separation,
)

# --- placements -------------------------------------------------------------------------------


def placements_visible_to(user: User) -> QuerySet[PlacementRequest]:
    base = PlacementRequest.objects.select_related(
        "case__subject", "case__station", "facility"
    ).prefetch_related("companions__subject__criminal_history_checks")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.role == Role.ORR_INTAKE and user.unit is not None:
        return base.all()
    q = case_scope_q(user)
    if q is None:
        return base.none()
    return base.filter(case__in=Case.objects.filter(q).values("pk"))


def orr_sees_case(user: User, case: Case) -> bool:
    """ORR sees a case only through a placement request for it."""
    return user.role == Role.ORR_INTAKE and PlacementRequest.objects.filter(case=case).exists()


# --- capacity ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandCapacity:
    sex: str
    age_band: str
    beds: int
    occupied: int

    @property
    def free(self) -> int:
        return max(self.beds - self.occupied, 0)


def occupied_beds(provider: Unit) -> dict[tuple[str, str], int]:
    """Beds held by placements designated to this provider, by (sex, age band)."""
    rows = (
        PlacementRequest.objects.filter(facility=provider, state=PlacementState.DESIGNATED)
        .values("case__subject__sex", "age_band")
        .annotate(n=Count("id"))
    )
    return {(r["case__subject__sex"], r["age_band"]): r["n"] for r in rows}


def capacity_of(provider: Unit) -> list[BandCapacity]:
    taken = occupied_beds(provider)
    return [
        BandCapacity(
            sex=row.sex,
            age_band=row.age_band,
            beds=row.beds,
            occupied=taken.get((row.sex, row.age_band), 0),
        )
        for row in BedCapacity.objects.filter(provider=provider).order_by("sex", "age_band")
    ]


def care_providers() -> QuerySet[Unit]:
    return Unit.objects.filter(kind=UnitKind.CARE_PROVIDER).order_by("code")


# --- movements --------------------------------------------------------------------------------


def movements_visible_to(user: User) -> QuerySet[Movement]:
    """Legs that leave from or arrive at a unit in the caller's scope, or that carry a case
    the caller can see. ORR intake sees the legs to ORR's care providers."""
    base = Movement.objects.select_related(
        "from_unit", "to_unit", "contractor", "carrier_agency"
    ).prefetch_related("manifest__case__subject")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    root = scope_root(user)
    if root is None:
        return base.none()
    if user.role == Role.ORR_INTAKE:
        return base.filter(to_unit__kind=UnitKind.CARE_PROVIDER)
    case_q = case_scope_q(user)
    if case_q is None:
        return base.none()
    carrying = ManifestEntry.objects.filter(case__in=Case.objects.filter(case_q).values("pk"))
    return base.filter(
        Q(from_unit__path__startswith=root.path)
        | Q(to_unit__path__startswith=root.path)
        | Q(pk__in=carrying.values("movement_id"))
    )


def board_window(user: User, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today and tomorrow, by the calendar of the caller's unit."""
    now = now or timezone.now()
    tz = ZoneInfo(getattr(user.unit, "timezone", "") or "UTC")
    local = now.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=2)


def movement_board(user: User, now: datetime | None = None) -> QuerySet[Movement]:
    start, end = board_window(user, now)
    return movements_visible_to(user).filter(
        scheduled_pickup_at__gte=start, scheduled_pickup_at__lt=end
    )


def can_receive(user: User, unit: Unit, origin: Unit | None = None) -> bool:
    """Whether the user may confirm a hand-over at ``unit``: someone of the receiving unit
    (or of a unit containing it), ORR intake for ORR's care providers, or, since the
    Marshals have no users here, the escorting USBP side of a leg to a USMS district."""
    if not user.is_authenticated or not user.is_active or user.unit is None:
        return False
    if user.role in (Role.MANAGER, Role.AUDITOR, Role.PARTNER_SYSTEM, ""):
        return False
    if user.role == Role.ORR_INTAKE and unit.kind == UnitKind.CARE_PROVIDER:
        return True
    root = scope_root(user)
    if (
        unit.kind == UnitKind.USMS_DISTRICT
        and user.role in USBP_ROLES
        and root is not None
        and root.contains(origin)
    ):
        return True
    return root is not None and root.contains(unit) and root.kind != UnitKind.NATIONAL


# --- family links -------------------------------------------------------------------------------


def links_of(subject_id: int) -> QuerySet[FamilyLink]:
    return FamilyLink.objects.filter(Q(subject_id=subject_id) | Q(relative_id=subject_id))


def separations_between(link: FamilyLink) -> QuerySet[Separation]:
    return Separation.objects.filter(link=link).select_related("moved_to", "relative_at")


def case_for_relatives(user: User, case_id: int) -> Case | None:
    """The case whose relatives the user may look at: one in scope, or for ORR a child with
    a placement request."""
    case = cases_visible_to(user).filter(pk=case_id).first()
    if case is not None:
        return case
    if user.role == Role.ORR_INTAKE:
        case = Case.objects.select_related("subject").filter(pk=case_id).first()
        if case is not None and orr_sees_case(user, case):
            return case
    return None


# --- contractors and invoices -------------------------------------------------------------------


def contractors() -> QuerySet[Contractor]:
    return Contractor.objects.prefetch_related("terms").order_by("code")


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    if user.role in (Role.ERO_OFFICER, Role.MANAGER, Role.AUDITOR):
        return Invoice.objects.select_related("contractor").prefetch_related("lines__movement")
    return Invoice.objects.none()


def relatives_of(user: User, case: Case) -> list[dict]:
    """Each person linked to ``case``'s subject and where they are now. Relatives whose
    case the user may open come with its id; ORR, and anyone looking at a relative outside
    their scope, get the summary only (relation, name, current unit, separation)."""
    from .services import relation_to

    links = list(links_of(case.subject_id).select_related("subject", "relative"))
    other_ids = [
        link.relative_id if link.subject_id == case.subject_id else link.subject_id
        for link in links
    ]
    cases_by_subject = {
        c.subject_id: c
        for c in Case.objects.filter(subject_id__in=other_ids).select_related("custody_unit")
    }
    visible = set()
    if user.role != Role.ORR_INTAKE:
        visible = set(
            cases_visible_to(user).filter(subject_id__in=other_ids).values_list("pk", flat=True)
        )
    separations = {
        s.link_id: s
        for s in Separation.objects.filter(link__in=links).select_related("moved_to", "relative_at")
    }
    out = []
    for link, other_id in zip(links, other_ids, strict=True):
        other = link.relative if link.subject_id == case.subject_id else link.subject
        other_case = cases_by_subject.get(other_id)
        in_scope = other_case is not None and other_case.pk in visible
        out.append(
            {
                "relation": relation_to(link, case.subject_id),
                "source": link.source,
                "name": " ".join(p for p in (other.first_name, other.last_name) if p),
                "current_unit": other_case.custody_unit.code if other_case else "",
                "current_unit_kind": other_case.custody_unit.kind if other_case else "",
                "custody_state": other_case.state if other_case else "",
                "separation": separations.get(link.pk),
                "in_scope": in_scope,
                "case": other_case.pk if in_scope else None,
            }
        )
    return out
