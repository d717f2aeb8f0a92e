"""The event log is append-only at the database level; cases and subjects keep field history.

The refusal is the database's, not the ORM's: raw SQL through ``connection.cursor()`` is
refused too. The first tests run on whichever database the suite runs on (SQLite for the
README's command, PostgreSQL in CI's second run); the ``postgres`` one insists on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from cases import services
from cases.middleware import RequestIdMiddleware
from cases.models import CaseState, EventLogEntry
from tests.factories import book

pytestmark = pytest.mark.django_db

TABLE = EventLogEntry._meta.db_table


def _refused(sql: str, params: list) -> str:
    """Run ``sql`` in a savepoint (so a PostgreSQL error does not poison the test's
    transaction) and return the database's error message."""
    with pytest.raises(DatabaseError) as err, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(err.value)


def _row(pk: int) -> tuple:
    with connection.cursor() as cur:
        cur.execute(f"SELECT event_type, reason, to_state FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608
        return cur.fetchone()


def _assert_append_only(entry: EventLogEntry) -> None:
    before = _row(entry.pk)
    message = _refused(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["rewritten", entry.pk])  # noqa: S608
    assert "append-only" in message and "UPDATE" in message
    message = _refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])  # noqa: S608
    assert "append-only" in message and "DELETE" in message
    # A blanket statement with no WHERE is refused as well.
    assert "append-only" in _refused(f"DELETE FROM {TABLE}", [])  # noqa: S608
    assert _row(entry.pk) == before
    assert EventLogEntry.objects.filter(pk=entry.pk).exists()


def test_event_log_refuses_update_and_delete_in_raw_sql(agent_ept):
    case = book(agent_ept)
    entry = EventLogEntry.objects.get(case=case, event_type="case.booked")
    _assert_append_only(entry)


def test_event_log_refuses_update_and_delete_through_the_orm(agent_ept):
    case = book(agent_ept)
    entry = EventLogEntry.objects.get(case=case, event_type="case.booked")
    with pytest.raises(DatabaseError), transaction.atomic():
        EventLogEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.reason = "rewritten"
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        EventLogEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == ""


def test_event_log_still_accepts_inserts(agent_ept):
    case = book(agent_ept)
    before = EventLogEntry.objects.count()
    services.submit_case(case=case, actor=agent_ept)
    assert EventLogEntry.objects.count() == before + 1


def test_sqlite_triggers_are_installed():
    if connection.vendor != "sqlite":
        # The same protection on PostgreSQL is checked by the test below.
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
        )
        names = {row[0] for row in cur.fetchall()}
    assert {"cases_event_log_no_update", "cases_event_log_no_delete"} <= names


@pytest.mark.postgres
def test_event_log_refuses_update_and_delete_on_postgresql(agent_ept):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [TABLE],
        )
        assert "cases_event_log_no_update" in {row[0] for row in cur.fetchall()}
    case = book(agent_ept)
    entry = EventLogEntry.objects.get(case=case, event_type="case.booked")
    _assert_append_only(entry)
    # The PostgreSQL error is a privilege error, so it cannot be mistaken for a bad row.
    with pytest.raises(DatabaseError) as err, transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [entry.pk])  # noqa: S608
    assert getattr(err.value.__cause__, "sqlstate", None) == "42501"


def test_event_rows_carry_actor_role_unit_and_request_id(agent_ept):
    case = book(agent_ept)

    def submit(request):
        services.submit_case(case=case, actor=agent_ept)
        return HttpResponse("ok")

    request = RequestFactory().post("/", HTTP_X_REQUEST_ID="req-7f3a9c")
    response = RequestIdMiddleware(submit)(request)
    assert response["X-Request-ID"] == "req-7f3a9c"
    entry = EventLogEntry.objects.get(case=case, event_type="case.submitted")
    assert entry.request_id == "req-7f3a9c"
    assert (entry.actor, entry.actor_role, entry.actor_unit) == (
        agent_ept,
        "usbp_agent",
        agent_ept.unit,
    )
    assert (entry.from_state, entry.to_state, entry.transition) == ("booked", "submitted", "submit")
    assert entry.occurred_at is not None


# --- field-level history (django-simple-history) -------------------------------------------


def test_case_changes_keep_field_history(agent_ept, ero_elp):
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    services.reject_case(case=case, actor=ero_elp, reasons=["wrong_aor"], comment="Goes to SNA.")
    states = list(case.history.order_by("history_id").values_list("history_type", "state"))
    # Created booked (the narrative is an edit while booked), then each state change.
    assert states[0] == ("+", CaseState.BOOKED)
    assert [s for _, s in states][-2:] == [CaseState.SUBMITTED, CaseState.REJECTED]
    assert case.history.filter(narrative__gt="").exists()
    latest = case.history.latest()
    assert latest.last_rejection_reasons == ["wrong_aor"]


def test_subject_changes_keep_field_history(agent_ept):
    case = book(agent_ept, first_name="Jose", a_number="")
    services.update_case(
        case=case, actor=agent_ept, changes={"first_name": "José", "a_number": "A12345678"}
    )
    rows = list(case.subject.history.order_by("history_id"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert (rows[0].first_name, rows[0].a_number) == ("Jose", "")
    assert (rows[1].first_name, rows[1].a_number) == ("José", "012345678")
    delta = rows[1].diff_against(rows[0])
    assert {c.field for c in delta.changes} == {"first_name", "a_number"}


# --- one transaction: the state change and its row commit together or not at all ------------


def test_a_failed_event_write_rolls_the_transition_back(agent_ept, monkeypatch):
    case = book(agent_ept)
    rows = EventLogEntry.objects.count()

    def broken_clocks(**kwargs):
        raise RuntimeError("clock store unavailable")

    # record_event writes the row, then moves the clocks; fail after the row is written.
    monkeypatch.setattr(services.sla, "apply_event", broken_clocks)
    with pytest.raises(RuntimeError):
        services.submit_case(case=case, actor=agent_ept)
    case.refresh_from_db()
    assert (case.state, case.submissions) == (CaseState.BOOKED, 0)
    assert EventLogEntry.objects.count() == rows
    assert not case.history.filter(state=CaseState.SUBMITTED).exists()


def test_a_failed_state_write_leaves_no_event_row(agent_ept, ero_elp, monkeypatch):
    case = book(agent_ept)
    services.submit_case(case=case, actor=agent_ept)
    rows = EventLogEntry.objects.count()
    original = services.record_event

    def record_then_fail(**kwargs):
        original(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record_event", record_then_fail)
    with pytest.raises(RuntimeError):
        services.accept_case(case=case, actor=ero_elp)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert EventLogEntry.objects.count() == rows
