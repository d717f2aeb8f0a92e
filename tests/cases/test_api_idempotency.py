"""Idempotency-Key: a client's retry after a timeout is safe."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cases.models import Case, EventLogEntry, IdempotencyKey
from tests.factories import book

from .api_helpers import booking, client_for, error


@pytest.mark.django_db
def test_retried_create_books_one_case(agent_ept):
    client = client_for(agent_ept)
    body = booking()
    first = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    again = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert EventLogEntry.objects.filter(event_type="case.booked").count() == 1


@pytest.mark.django_db
def test_retried_submit_writes_one_event(agent_ept):
    case = book(agent_ept)
    client = client_for(agent_ept)
    path = f"/api/v1/cases/{case.pk}/submit/"
    first = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    again = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["state"] == "submitted"
    assert again.json()["submissions"] == 1
    assert EventLogEntry.objects.filter(case=case, event_type="case.submitted").count() == 1
    # Without the key the same request is a new attempt, refused by the state machine.
    assert client.post(path, {}, format="json").status_code == 409


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(agent_ept):
    client = client_for(agent_ept)
    first = client.post("/api/v1/cases/", booking(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201
    other = client.post("/api/v1/cases/", booking(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 422
    body = error(other)
    assert body["code"] == "rule_violation"
    assert body["violations"][0]["rule"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_refused_answers_are_not_stored(agent_ept):
    """A refused request changed nothing, so a retry after fixing the cause may succeed."""
    case = book(agent_ept, narrative=None)
    client = client_for(agent_ept)
    path = f"/api/v1/cases/{case.pk}/submit/"
    assert client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="s").status_code == 422
    assert not IdempotencyKey.objects.exists()
    client.post(
        f"/api/v1/cases/{case.pk}/narrative/", {"text": "On foot near the POE."}, format="json"
    )
    assert client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="s").status_code == 200


@pytest.mark.django_db
def test_keys_belong_to_their_user(agent_ept, super_ept):
    body = booking()
    body_two = dict(body, event_number=body["event_number"] + "9")
    one = client_for(agent_ept).post(
        "/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    two = client_for(super_ept).post(
        "/api/v1/cases/", dict(body_two, station="EPT-EPS"), format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert one.status_code == two.status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ñ"])
def test_malformed_key_is_400(agent_ept, key):
    response = client_for(agent_ept).post(
        "/api/v1/cases/", booking(), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in error(response)["fields"]
    assert not Case.objects.exists()


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_book_one_case(reference, agent_ept):
    """Two identical requests at the same moment: the unique key row makes the second wait
    for the first and answer its result."""
    body = booking()
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            client = client_for(agent_ept)
            barrier.wait(timeout=10)
            answers.append(
                client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="race")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Case.objects.count() == 1
