"""Scoped reads. Views never build a scoped queryset by hand: they ask here.

A case is visible to its booking station and that station's sector, to the ERO AOR it is
routed to (or that holds it), and to managers and auditors whose unit contains any of those.
ORR intake and partner systems see no case directly (ORR only through its placements).
"""

from __future__ import annotations

from django.db.models import Case as When_
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from .models import Case, CaseState, ClockStatus, Role, SlaClock, Unit, UnitKind, User

USBP_ROLES = {Role.USBP_AGENT, Role.USBP_SUPERVISOR}
READ_ALL_ROLES = {Role.MANAGER, Role.AUDITOR}


def scope_root(user: User) -> Unit | None:
    """The unit whose subtree the user works in. An ERO officer posted to a detention
    facility works the whole AOR's queue."""
    unit = user.unit
    if unit is None:
        return None
    if user.role == Role.ERO_OFFICER:
        return unit.ancestor_of_kind(UnitKind.AOR) or unit
    return unit


# The unit fields of a case that put it in a role's scope (one definition for both the
# queryset filter and the check of a row already read).
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    Role.USBP_AGENT: ("station",),
    Role.USBP_SUPERVISOR: ("station",),
    Role.ERO_OFFICER: ("routed_to", "custody_unit"),
    Role.MANAGER: ("station", "routed_to", "custody_unit", "designated_provider"),
    Role.AUDITOR: ("station", "routed_to", "custody_unit", "designated_provider"),
}


def _scope(user: User) -> tuple[str, tuple[str, ...]] | None:
    """The path prefix and the case's unit fields that decide the user's scope."""
    if not user.is_authenticated or not user.is_active:
        return None
    fields = SCOPE_FIELDS.get(user.role)
    root = scope_root(user) if fields else None
    if root is None:
        return None
    return root.path, fields


def case_scope_q(user: User) -> Q | None:
    """A Q selecting the cases in the user's scope, or None when the role sees no cases."""
    scope = _scope(user)
    if scope is None:
        return None
    prefix, fields = scope
    # ``unit IN (units under the prefix)``, not a join per unit field with ``path LIKE``: the
    # joins made PostgreSQL loop over every unit and plan a wide join (39 ms of planning and
    # 116 ms of execution for an ERO queue among a million cases; docs/benchmarks.md).
    units = Unit.objects.filter(path__startswith=prefix).values("pk")
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__in": units})
    return q


def cases_visible_to(user: User) -> QuerySet[Case]:
    q = case_scope_q(user)
    if q is None:
        return Case.objects.none()
    return (
        Case.objects.filter(q)
        .select_related(
            "subject",
            "station",
            "routed_to",
            "custody_unit",
            "designated_provider",
            "sector",
            "event",
        )
        .prefetch_related("clocks__policy")
    )


def case_in_scope(user: User, case: Case) -> bool:
    q = case_scope_q(user)
    return q is not None and Case.objects.filter(q, pk=case.pk).exists()


def row_in_scope(user: User, case: Case) -> bool:
    """``case_in_scope`` decided on a row already read, without a query: the services lock
    the case and read it with its units, so asking the database again is a wasted round
    trip. (A unit not loaded with the row is fetched by its foreign key.)"""
    scope = _scope(user)
    if scope is None:
        return False
    prefix, fields = scope
    for name in fields:
        unit = getattr(case, name)
        if unit is not None and unit.path.startswith(prefix):
            return True
    return False


def with_nearest_due(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate the nearest running due time and sort by it (ERO queues: the most urgent
    case first; cases with no running clock last)."""
    # A correlated subquery (one index probe per case), not MIN() over a join: the aggregate
    # made PostgreSQL GROUP BY every wide joined row of the queue before keeping one page
    # (1.2 s for an AOR's 2,000 submitted cases among a million; docs/benchmarks.md).
    running = SlaClock.objects.filter(case=OuterRef("pk"), stopped_at__isnull=True)
    return qs.annotate(
        nearest_due=Subquery(running.order_by("effective_due_at").values("effective_due_at")[:1])
    ).order_by(F("nearest_due").asc(nulls_last=True), "id")


def ero_queue(unit: Unit) -> QuerySet[Case]:
    return with_nearest_due(
        Case.objects.filter(routed_to=unit, state=CaseState.SUBMITTED).select_related(
            "subject", "station"
        )
    )


def units_in(root: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=root.path)


def clocks_visible_to(user: User) -> QuerySet[SlaClock]:
    q = case_scope_q(user)
    if q is None:
        return SlaClock.objects.none()
    case_ids = Case.objects.filter(q).values("pk")
    return SlaClock.objects.filter(case_id__in=case_ids).select_related("policy", "case")


def breached_clocks_visible_to(user: User) -> QuerySet[SlaClock]:
    return (
        clocks_visible_to(user)
        .filter(Q(breached_at__isnull=False) | Q(status=ClockStatus.BREACHED))
        .order_by(Coalesce("breached_at", "effective_due_at").desc(), "-id")
    )


def uac_first_order() -> When_:
    return When_(When(demographic="uac", then=Value(0)), default=Value(1))
