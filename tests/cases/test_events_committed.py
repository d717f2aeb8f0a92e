"""After a transaction that wrote events commits, listeners are told once (with the last
event id), however many events it wrote: the notification fan-out needs one wake-up, and a
sweep batch of 500 breaches must not publish 500."""

import pytest
from django.db import transaction

from cases.models import EventLogEntry
from cases.services import events_committed, record_event


@pytest.fixture
def announcements():
    seen = []

    def listener(sender, last_id=None, **kwargs):
        seen.append(last_id)

    events_committed.connect(listener, dispatch_uid="test-announcements")
    yield seen
    events_committed.disconnect(dispatch_uid="test-announcements")


def test_one_announcement_per_transaction_with_the_last_event(
    db, announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = [record_event(event_type="test.ping", case=None, actor=None).pk for _ in range(3)]
        assert announcements == []  # nothing before the commit
    assert announcements == [max(ids)]


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_each_transaction_is_announced(announcements):
    # Real commits (the event log refuses the DELETE a SQLite flush would need).
    with transaction.atomic():
        first = record_event(event_type="test.ping", case=None, actor=None).pk
    assert announcements == [first]
    with transaction.atomic():
        second = record_event(event_type="test.ping", case=None, actor=None).pk
    assert announcements == [first, second]


def test_an_event_after_a_rolled_back_savepoint_is_still_announced(
    db, announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                record_event(event_type="test.ping", case=None, actor=None)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        kept = record_event(event_type="test.ping", case=None, actor=None).pk
    assert announcements == [kept]
    assert list(
        EventLogEntry.objects.filter(event_type="test.ping").values_list("pk", flat=True)
    ) == [kept]
