"""Reads of the notifications app: the safe horizon of the event log, the event feed, the
inbox of a user (their own items and their unit's queue) and its unread count."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from cases.models import EventLogEntry, Role, Unit, User
from cases.selectors import scope_root

from .models import Channel, Delivery

# Namespace of the advisory locks that in-flight event-log writers hold (migration 0002).
FEED_LOCK_NAMESPACE = 48151623
FEED_ROLES = {Role.PARTNER_SYSTEM, Role.AUDITOR}


def safe_horizon() -> int:
    """The highest event id that may be served: every id at or below it has committed or
    will never commit.

    On PostgreSQL, ids come from a sequence and transactions commit in any order, so "the
    highest committed id" is not safe: a lower id may still be open. Each writer takes a
    shared advisory lock keyed by a lower bound of its id *before* taking the id (trigger of
    migration 0002) and holds it to commit. Reading the sequence first and the locks second
    gives a bound below every still-open id (proof in docs/decisions/030-event-feed-horizon.md).
    On SQLite writers are serialised, so ids commit in order and the maximum id is safe.
    """
    if connection.vendor != "postgresql":
        last = EventLogEntry.objects.order_by("-id").values_list("id", flat=True).first()
        return last or 0
    with connection.cursor() as cur:
        # Order matters: the sequence before the locks (two statements, two snapshots).
        cur.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
            "FROM cases_eventlogentry_id_seq"
        )
        allocated = cur.fetchone()[0]
        cur.execute(
            "SELECT min(objid::bigint) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid = %s AND objsubid = 2 AND pid <> pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [FEED_LOCK_NAMESPACE],
        )
        open_floor = cur.fetchone()[0]
    if open_floor is not None:
        return min(allocated, open_floor - 1)
    return allocated


def _feed_scope(user: User) -> Q | None:
    """Feed readers see events of cases their unit's scope holds (national: all) and events
    with no case."""
    root = scope_root(user)
    if root is None:
        return None
    if root.parent_id is None:
        return Q()
    prefix = root.path
    return (
        Q(case__isnull=True)
        | Q(case__station__path__startswith=prefix)
        | Q(case__routed_to__path__startswith=prefix)
        | Q(case__custody_unit__path__startswith=prefix)
        | Q(case__designated_provider__path__startswith=prefix)
    )


def feed_page(*, user: User, after: int, limit: int) -> tuple[list[EventLogEntry], int]:
    """Events with ``after < id <= horizon`` in the caller's scope, oldest first, and the
    cursor to ask with next time."""
    horizon = safe_horizon()
    scope = _feed_scope(user)
    if scope is None or horizon <= after:
        return [], after
    rows = list(
        EventLogEntry.objects.filter(scope, id__gt=after, id__lte=horizon)
        .select_related("case")
        .order_by("id")[:limit]
    )
    if len(rows) == limit:
        return rows, rows[-1].id
    # A short page saw every id up to the horizon (those out of scope included).
    return rows, horizon


def queue_units(user: User) -> list[Unit]:
    """The work queues a user reads: their own unit, and for an ERO officer the AOR."""
    units = []
    if user.unit_id:
        units.append(user.unit)
    root = scope_root(user)
    if root is not None and root not in units:
        units.append(root)
    return units


def inbox_for(user: User) -> QuerySet[Delivery]:
    units = [u.pk for u in queue_units(user)]
    return Delivery.objects.filter(
        Q(user=user) | Q(unit_id__in=units), channel=Channel.INBOX
    ).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return inbox_for(user).filter(read_at__isnull=True).count()
