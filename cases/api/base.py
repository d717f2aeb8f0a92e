"""What every case view needs: the role gate, the scoped lookup and the answer."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from django.db.models import Prefetch, QuerySet
from rest_framework.response import Response

from .. import selectors
from ..exceptions import NotPermitted, OutOfScope
from ..models import Case, Role, Unit
from ..serializers import CLOCK_LIST, CaseOutput

# orr_intake and partner_system see no case endpoint at all (ORR only through placements).
CASE_ROLES = {Role.USBP_AGENT, Role.USBP_SUPERVISOR, Role.ERO_OFFICER, Role.MANAGER, Role.AUDITOR}


def require_case_role(user) -> None:
    if getattr(user, "role", None) not in CASE_ROLES:
        raise NotPermitted("Your role has no access to cases.")


def require_role(user, roles: set[str], action: str) -> None:
    if getattr(user, "role", None) not in roles:
        raise NotPermitted(f"Your role may not {action}.")


# The units a case answer shows. They are read in one query on the small unit table and set
# on the cases, not joined: five unit joins on top of the subject and the event (eight
# relations) made PostgreSQL spend 3-4 ms planning a case read that then ran in well under
# one (EXPLAIN ANALYZE on the benchmark's million cases; the unit query plans in 0.03). With
# prepared statements (decision 073) that is paid once per connection, without them on
# every read.
CASE_UNITS = ("station", "sector", "routed_to", "custody_unit", "designated_provider")


def scoped_cases(user) -> QuerySet[Case]:
    """``selectors.cases_visible_to(user)`` (its scope) joining only the subject and the
    event; ``attach_units`` supplies the units of the rows read.

    The clocks and their policies are prefetched as cases_visible_to does, but into a plain
    list (``CLOCK_LIST``, what CaseOutput reads): prefetching into ``case.clocks`` builds a
    filtered queryset for every case, about 1 ms of a 50-case page. (The policies stay a query
    of their own: joined to the clocks, each of a page's ~120 clocks built its own policy
    and parsed its JSON fields, 0.7 ms more than the round trip.)"""
    return (
        selectors.cases_visible_to(user)
        .select_related(None)
        .select_related("subject", "event")
        .prefetch_related(None)
        .prefetch_related(Prefetch("clocks", to_attr=CLOCK_LIST), f"{CLOCK_LIST}__policy")
    )


def attach_units(cases: Sequence[Case]) -> None:
    """Set each case's units from one query, so that reading them costs no query per case."""
    fields = [Case._meta.get_field(name) for name in CASE_UNITS]
    ids = {getattr(case, f.attname) for case in cases for f in fields} - {None}
    units = Unit.objects.in_bulk(ids) if ids else {}
    for case in cases:
        for f in fields:
            unit_id = getattr(case, f.attname)
            if unit_id is None:
                f.set_cached_value(case, None)
            elif unit_id in units:
                f.set_cached_value(case, units[unit_id])


def read_case(user, pk: int) -> Case | None:
    """The case with its units, if it is in the user's scope."""
    case = scoped_cases(user).filter(pk=pk).first()
    if case is not None:
        attach_units([case])
    return case


def visible_case(request, pk: int) -> Case:
    """The case if the caller may see it; 403 for a role without cases, else 404."""
    require_case_role(request.user)
    case = read_case(request.user, pk)
    if case is None:
        raise OutOfScope("No such case.")
    return case


def require_visible(request, pk: int) -> None:
    """``visible_case`` for a write: the same 403 and 404, decided by one scoped ``EXISTS``
    instead of reading the case, its clocks and its units that the service reads again under
    its lock (and the answer once more after the change)."""
    require_case_role(request.user)
    if not selectors.cases_visible_to(request.user).filter(pk=pk).exists():
        raise OutOfScope("No such case.")


def case_answer(request, case: Case, status_code: int = 200) -> Response:
    """The case as it was read, for a read: ``visible_case`` has just loaded it with every
    relation the answer shows, so reading it again cost a second scoped query (and its
    planning) and a second clock prefetch for the same row."""
    return Response(CaseOutput(case, context={"request": request}).data, status=status_code)


def case_response(request, case: Case, status_code: int = 200) -> Response:
    """The case after a change, read again: the services change the row, its clocks and
    its units, and the answer must show what was committed."""
    fresh = read_case(request.user, case.pk) or case
    return case_answer(request, fresh, status_code)


def client_ip(request) -> str | None:
    """The peer address. A deployment behind a proxy sets REMOTE_ADDR from the proxy's
    header in the WSGI server (gunicorn --forwarded-allow-ips), never from a client header."""
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
