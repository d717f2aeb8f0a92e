"""The services decide scope on the case row they locked (``row_in_scope``) instead of asking
the database again; both answers must be the same for every role and every kind of case."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.exceptions import OutOfScope
from cases.models import Case, Role, Unit
from cases.selectors import case_in_scope, row_in_scope
from tests import factories


@pytest.fixture
def cases(agent_ept, agent_tca, ero_elp, ero_pho):
    booked_ept = factories.book(agent_ept)
    booked_tca = factories.book(agent_tca)
    accepted_ept = factories.accepted(agent_ept, ero_elp)
    moved = factories.accepted(agent_tca, ero_pho)
    # Custody moved to a detention facility of another AOR than the routed one.
    Case.objects.filter(pk=moved.pk).update(custody_unit=Unit.objects.get(code="ELP-SPC"))
    designated = factories.book(agent_ept, demographic="uac")
    Case.objects.filter(pk=designated.pk).update(
        designated_provider=Unit.objects.get(code="ORR-CP-PHX")
    )
    return [booked_ept, booked_tca, accepted_ept, moved, designated]


def test_row_scope_agrees_with_the_database_for_every_role(
    cases, agent_ept, agent_tca, super_ept, ero_elp, ero_pho, orr_user, manager_hq, auditor_hq,
    partner, reference,
):  # fmt: skip
    sector_manager = factories.UserFactory(role=Role.MANAGER, unit=Unit.objects.get(code="TCA"))
    provider_auditor = factories.UserFactory(
        role=Role.AUDITOR, unit=Unit.objects.get(code="ORR-CP-PHX")
    )
    inactive = factories.UserFactory(role=Role.USBP_AGENT, is_active=False)
    users = [agent_ept, agent_tca, super_ept, ero_elp, ero_pho, orr_user, manager_hq,
             auditor_hq, partner, sector_manager, provider_auditor, inactive]  # fmt: skip
    seen = set()
    for case in cases:
        row = Case.objects.select_related("station", "routed_to", "custody_unit").get(pk=case.pk)
        for user in users:
            expected = case_in_scope(user, row)
            assert row_in_scope(user, row) is expected, (user.role, user.unit.code, row)
            seen.add(expected)
    assert seen == {True, False}


def test_a_transition_checks_scope_without_another_query(agent_ept):
    case = factories.book(agent_ept)
    with CaptureQueriesContext(connection) as ctx:
        services.submit_case(case=case.pk, actor=agent_ept)
    assert not any('"path"' in q["sql"] and "LIKE" in q["sql"] for q in ctx.captured_queries)


def test_an_agent_of_another_station_still_gets_no_such_case(agent_ept, agent_tca):
    case = factories.book(agent_ept)
    with pytest.raises(OutOfScope):
        services.submit_case(case=case.pk, actor=agent_tca)
    assert Case.objects.get(pk=case.pk).state == "booked"
