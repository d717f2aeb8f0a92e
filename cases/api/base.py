"""What every case view needs: the role gate, the scoped lookup and the answer."""

from __future__ import annotations

import ipaddress

from rest_framework.response import Response

from .. import selectors
from ..exceptions import NotPermitted, OutOfScope
from ..models import Case, Role
from ..serializers import CaseOutput

# orr_intake and partner_system see no case endpoint at all (ORR only through placements).
CASE_ROLES = {Role.USBP_AGENT, Role.USBP_SUPERVISOR, Role.ERO_OFFICER, Role.MANAGER, Role.AUDITOR}


def require_case_role(user) -> None:
    if getattr(user, "role", None) not in CASE_ROLES:
        raise NotPermitted("Your role has no access to cases.")


def require_role(user, roles: set[str], action: str) -> None:
    if getattr(user, "role", None) not in roles:
        raise NotPermitted(f"Your role may not {action}.")


def visible_case(request, pk: int) -> Case:
    """The case if the caller may see it; 403 for a role without cases, else 404."""
    require_case_role(request.user)
    case = selectors.cases_visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise OutOfScope("No such case.")
    return case


def case_answer(request, case: Case, status_code: int = 200) -> Response:
    """The case as it was read, for a read: ``visible_case`` has just loaded it with every
    relation the answer shows, so reading it again cost a second 7-join query (and its
    planning) for the same row."""
    return Response(CaseOutput(case, context={"request": request}).data, status=status_code)


def case_response(request, case: Case, status_code: int = 200) -> Response:
    """The case after a change, read again: the services change the row, its clocks and
    its units, and the answer must show what was committed."""
    fresh = selectors.cases_visible_to(request.user).filter(pk=case.pk).first() or case
    return case_answer(request, fresh, status_code)


def client_ip(request) -> str | None:
    """The peer address. A deployment behind a proxy sets REMOTE_ADDR from the proxy's
    header in the WSGI server (gunicorn --forwarded-allow-ips), never from a client header."""
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
