"""What the two busiest reads cost in queries: a case's detail and a list page. Each query
here is needed; a new one (a second read of the case, a query per case of a page, the
user's unit read apart from the token) is a regression these counts catch."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import ReadAccess
from tests import factories
from tests.factories import book

from .api_helpers import error

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    """A client that authenticates with a real token, as API callers do."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def main_table(sql: str) -> str:
    """The table of the statement's own FROM (or INTO), not of a subquery's."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith((" FROM ", " INTO "), i):
            return re.match(r'"?(\w+)', sql[i + 6 :])[1]
    raise AssertionError(sql)


def tables_read(ctx: CaptureQueriesContext) -> list[str]:
    """``SELECT <table>`` / ``INSERT <table>`` for each query run."""
    return [f"{q['sql'].split(' ', 1)[0]} {main_table(q['sql'])}" for q in ctx.captured_queries]


def test_a_case_detail_reads_the_case_once_and_logs_the_read(agent_ept, ero_elp):
    case = factories.submitted(agent_ept)
    client = token_client(ero_elp)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["routed_to"] == "ELP"
    assert response.json()["allowed_transitions"] == ["accept", "reject"]
    assert tables_read(ctx) == [
        "SELECT authtoken_token",  # with the user and the user's unit
        "SELECT cases_case",  # scoped, with the subject and the event
        "SELECT cases_slaclock",
        "SELECT cases_slapolicy",
        "SELECT cases_unit",  # the case's units
        "INSERT cases_readaccess",
    ]
    assert ReadAccess.objects.filter(case=case, user=ero_elp, what="detail").count() == 1


@pytest.mark.parametrize("cases", [1, 12])
def test_a_list_page_costs_the_same_queries_for_one_case_or_many(cases, agent_ept, ero_elp):
    for _ in range(cases):
        factories.submitted(agent_ept)
    book(agent_ept)  # not submitted: filtered out
    client = token_client(ero_elp)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/cases/?state=submitted&routed_to=ELP")
    assert response.status_code == 200
    assert len(response.json()["results"]) == cases
    assert tables_read(ctx) == [
        "SELECT authtoken_token",
        "SELECT cases_case",  # the page's ids
        "SELECT cases_case",  # their rows
        "SELECT cases_slaclock",
        "SELECT cases_slapolicy",
        "SELECT cases_unit",
    ]


def test_a_bad_token_and_a_deactivated_user_are_refused_as_before(agent_ept):
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = bad.get("/api/v1/cases/")
    assert response.status_code == 401
    assert error(response)["message"] == "Invalid token."
    client = token_client(agent_ept)
    assert client.get("/api/v1/cases/").status_code == 200
    agent_ept.is_active = False
    agent_ept.save()
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert error(response)["message"] == "User inactive or deleted."
    assert response["WWW-Authenticate"] == "Token"
