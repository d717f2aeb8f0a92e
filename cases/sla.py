"""Legal clocks: started and stopped by the same transaction that records the event, swept
for warnings and breaches, and extended for "exceptional circumstances".

Clocks are database rows, not countdown tasks (docs/decisions/020-clocks-are-rows.md): the
sweep finds the rows whose ``next_check_at`` has passed, so a broker that restarts empty
loses nothing. Every due time counts elapsed hours in UTC from the start instant; for the
custody limits the start is the subject's own apprehension time, not the event's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Case as CaseWhen
from django.db.models import F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from .exceptions import InvalidInput, InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from .models import (
    OPEN_STATES,
    Case,
    ClockStatus,
    Demographic,
    Role,
    SlaClock,
    SlaExtension,
    SlaPolicy,
    Unit,
    UnitKind,
    User,
)
from .selectors import case_in_scope, cases_visible_to

logger = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 500
# DESIGN.md: a supervisor approves documented extensions; managers keep read-only dashboards.
EXTENDING_ROLES = {Role.USBP_SUPERVISOR}


# --- start and stop, inside the transition's transaction -----------------------------------


def next_check_time(clock: SlaClock) -> datetime | None:
    """The next instant the sweep must look at this clock: the first warning point not yet
    sent, else the effective due time until the breach is recorded, else never."""
    if clock.stopped_at is not None:
        return None
    sent = set(clock.warnings_sent or [])
    pending = [at for point, at in clock.warning_times() if str(point) not in sent]
    pending = [at for at in pending if at < clock.effective_due_at]
    if pending:
        return min(pending)
    if clock.breached_at is None:
        return clock.effective_due_at
    return None


def start_clock(
    *, case: Case, policy: SlaPolicy, event_at: datetime, started_policies: set[int]
) -> SlaClock | None:
    """Start the policy's clock on the case unless it has one (``started_policies``: the ids
    of the policies the case already has a clock of, running or stopped)."""
    if not policy.applies_to(case):
        return None
    if policy.pk in started_policies:
        # A re-requested placement restarts nothing: the law counts from the first start.
        return None
    started_at = case.subject.apprehended_at if policy.start_anchor == "apprehension" else event_at
    due = started_at + policy.duration
    clock = SlaClock(
        case=case, policy=policy, started_at=started_at, due_at=due, effective_due_at=due
    )
    clock.next_check_at = next_check_time(clock)
    clock.save()
    return clock


def stop_clock(*, clock: SlaClock, at: datetime) -> SlaClock:
    """Stop a clock and record whether the limit was met. A clock stopped after its due time
    that the sweep had not caught yet still gets its one ``sla.breached`` event."""
    clock.stopped_at = at
    missed_breach = False
    if at > clock.effective_due_at:
        clock.status = ClockStatus.BREACHED
        missed_breach = clock.breached_at is None
        clock.breached_at = clock.breached_at or clock.effective_due_at
    elif clock.breached_at is None:
        clock.status = ClockStatus.MET
    clock.next_check_at = None
    clock.save(update_fields=["stopped_at", "status", "breached_at", "next_check_at"])
    if missed_breach:
        _record_clock_event(clock, "sla.breached", at=at, extra={"detected_by": "stop"})
    return clock


def apply_event(*, case: Case, event_type: str, at: datetime) -> None:
    """Stop every running clock this event stops, then start every clock it starts."""
    if event_type.startswith("sla."):
        # Clock events start and stop nothing. Returning before the row lock matters: two
        # sweepers holding different clocks of one case would otherwise deadlock here.
        return
    # Every clock of the case in one statement: the running ones may stop, and a policy with
    # any clock (running or stopped) starts no second one. of=self: lock the clocks only,
    # never the shared policy rows (that serialised every transition behind one policy row).
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",)).filter(case=case).select_related("policy")
    )
    for clock in clocks:
        if clock.stopped_at is None and event_type in clock.policy.stop_events:
            stop_clock(clock=clock, at=at)
    started = {clock.policy_id for clock in clocks}
    for policy in SlaPolicy.objects.filter(active=True, start_event=event_type):
        start_clock(case=case, policy=policy, event_at=at, started_policies=started)


# --- who must act, and local display ---------------------------------------------------------


def orr_intake_unit() -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.ORR_INTAKE).order_by("path").first()


def responsible_unit(clock: SlaClock, *, orr_unit: Unit | None = None) -> Unit | None:
    """The unit that must act before the clock runs out (``SlaPolicy.responsible``)."""
    case = clock.case
    kind = clock.policy.responsible
    if kind == "station":
        return case.station
    if kind == "aor":
        return case.routed_to
    if kind == "orr":
        return orr_unit or orr_intake_unit()
    return case.custody_unit


def local_time(instant: datetime | None, unit: Unit | None) -> str | None:
    """An instant as ISO 8601 in the unit's own time zone (Arizona keeps UTC-7 all year)."""
    if instant is None:
        return None
    tz = ZoneInfo(unit.timezone if unit is not None and unit.timezone else "UTC")
    return instant.astimezone(tz).isoformat()


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    examined: int = 0
    warnings: int = 0
    breaches: int = 0
    batches: int = 0
    events: list[int] = field(default_factory=list, repr=False)
    orr_unit: Unit | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "examined": self.examined,
            "warnings": self.warnings,
            "breaches": self.breaches,
            "batches": self.batches,
        }


def _record_clock_event(
    clock: SlaClock,
    event_type: str,
    *,
    at: datetime,
    extra: dict | None = None,
    orr_unit: Unit | None = None,
) -> int:
    from .services import record_event  # services imports this module

    unit = responsible_unit(clock, orr_unit=orr_unit)
    payload = {
        "clock": clock.pk,
        "policy": clock.policy.name,
        "citation": clock.policy.citation,
        "started_at": clock.started_at.isoformat(),
        "due_at": clock.due_at.isoformat(),
        "extended_due_at": clock.extended_due_at.isoformat() if clock.extended_due_at else None,
        "effective_due_at": clock.effective_due_at.isoformat(),
        "responsible_unit": unit.code if unit else None,
        "notify": list(clock.policy.notify or []),
        **(extra or {}),
    }
    entry = record_event(event_type=event_type, case=clock.case, actor=None, payload=payload, at=at)
    return entry.pk


def _check_clock(clock: SlaClock, now: datetime, result: SweepResult) -> bool:
    """Fire what is due on one locked clock, exactly once, and move its next check.

    Re-checked under the row lock: another sweeper may have handled it since it was read.
    Only the most advanced due point fires: a clock found already breached (a case booked
    late, a sweeper that was down) raises one breach, not a stale 50 % warning as well; the
    skipped points are recorded as superseded so they never fire later.
    """
    if clock.stopped_at is not None:
        return False
    sent = list(clock.warnings_sent or [])
    due_points = [
        point
        for point, at in clock.warning_times()
        if str(point) not in sent and at <= now and at < clock.effective_due_at
    ]
    breach_due = clock.breached_at is None and clock.effective_due_at <= now
    if breach_due:
        sent.extend(str(p) for p in due_points)
        clock.warnings_sent = sent
        clock.breached_at = clock.effective_due_at
        clock.status = ClockStatus.BREACHED
        event_id = _record_clock_event(
            clock,
            "sla.breached",
            at=now,
            extra={
                "detected_by": "sweep",
                "hours_late": round((now - clock.effective_due_at) / timedelta(hours=1), 2),
                "superseded_warnings": due_points,
            },
            orr_unit=result.orr_unit,
        )
        result.breaches += 1
        result.events.append(event_id)
    elif due_points:
        point = max(due_points)
        sent.extend(str(p) for p in due_points)
        clock.warnings_sent = sent
        clock.warned_at = now
        event_id = _record_clock_event(
            clock,
            "sla.warning",
            at=now,
            extra={
                "point": point,
                "hours_left": round((clock.effective_due_at - now) / timedelta(hours=1), 2),
                "superseded_warnings": [p for p in due_points if p != point],
            },
            orr_unit=result.orr_unit,
        )
        result.warnings += 1
        result.events.append(event_id)
    clock.next_check_at = next_check_time(clock)
    return True


SWEPT_FIELDS = ("warnings_sent", "warned_at", "breached_at", "status", "next_check_at")


def _save_swept(clocks: list[SlaClock]) -> None:
    """Write the swept clocks back with one statement sent many times: psycopg pipelines
    ``executemany`` into one round trip, where a ``save()`` per clock waits for each (and
    ``bulk_update``'s CASE expressions cost more in Python than they save)."""
    if not clocks:
        return
    meta = SlaClock._meta
    fields = [meta.get_field(name) for name in SWEPT_FIELDS]
    qn = connection.ops.quote_name
    # Identifiers come from the model and are quoted; every value is a parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(clock, f.attname), connection) for f in fields] + [clock.pk]
        for clock in clocks
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _due_batch(now: datetime, batch_size: int) -> list[SlaClock]:
    qs = (
        SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now)
        .select_related("policy", "case__station", "case__custody_unit", "case__routed_to")
        .order_by("next_check_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: each sweeper takes the rows nobody else holds. SQLite has no row locks;
        # its IMMEDIATE transaction serialises sweepers instead (config/settings.py).
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch_size])


def sweep_clocks(
    *, now: datetime | None = None, batch_size: int = SWEEP_BATCH_SIZE, max_batches: int = 10_000
) -> SweepResult:
    """Find every clock whose next check has passed and fire its warning or breach.

    Each batch is one transaction, so a crash loses at most one uncommitted batch, which
    the next sweep picks up again; the events and the clock updates commit together, so
    an event exists exactly once per clock and point. Safe to run in several workers at once.
    """
    result = SweepResult(orr_unit=orr_intake_unit())
    for _ in range(max_batches):
        current = now or timezone.now()
        with transaction.atomic():
            batch = _due_batch(current, batch_size)
            _save_swept([clock for clock in batch if _check_clock(clock, current, result)])
        result.examined += len(batch)
        if batch:
            result.batches += 1
        if len(batch) < batch_size:
            break
    if result.warnings or result.breaches:
        logger.info("SLA sweep: %s", result.as_dict())
    return result


# --- extensions ------------------------------------------------------------------------------


def extend_clock(
    *, clock: SlaClock | int, actor: User, new_due_at: datetime, justification: str
) -> SlaClock:
    """Record "exceptional circumstances": a later due time with its justification.

    The original ``due_at`` is never overwritten; ``extended_due_at`` holds the new limit, an
    ``SlaExtension`` row and an ``sla.extended`` event keep who, when, why and both times.
    """
    pk = clock.pk if isinstance(clock, SlaClock) else clock
    justification = (justification or "").strip()
    errors: dict[str, list[str]] = {}
    if not justification:
        errors["justification"] = ["Give the exceptional circumstances that justify this."]
    if new_due_at is None or timezone.is_naive(new_due_at):
        errors["new_due_at"] = ["Give the new due time with its UTC offset."]
    with transaction.atomic():
        try:
            clock = (
                SlaClock.objects.select_for_update(of=("self",))
                .select_related("policy", "case__station", "case__custody_unit", "case__routed_to")
                .get(pk=pk)
            )
        except SlaClock.DoesNotExist as exc:
            raise OutOfScope("No such clock.") from exc
        if not case_in_scope(actor, clock.case):
            raise OutOfScope("No such clock.")
        if actor.role not in EXTENDING_ROLES:
            raise NotPermitted("Only a supervisor may extend a legal clock.")
        if errors:
            raise InvalidInput(errors)
        if clock.stopped_at is not None:
            raise InvalidTransition("This clock has stopped; it can no longer be extended.")
        now = timezone.now()
        if clock.breached_at is not None or clock.effective_due_at <= now:
            from .rules import violation

            raise RuleViolation(
                [
                    violation(
                        "sla_extension_before_breach",
                        "The limit has already passed; a breach cannot be extended away.",
                        field="new_due_at",
                    )
                ]
            )
        if new_due_at <= clock.effective_due_at:
            raise InvalidInput(
                {"new_due_at": ["The new due time must be later than the current due time."]}
            )
        previous = clock.effective_due_at
        SlaExtension.objects.create(
            clock=clock,
            previous_due_at=previous,
            new_due_at=new_due_at,
            justification=justification,
            granted_by=actor,
            granted_at=now,
        )
        clock.extended_due_at = new_due_at
        clock.effective_due_at = new_due_at
        clock.next_check_at = next_check_time(clock)
        clock.save(update_fields=["extended_due_at", "effective_due_at", "next_check_at"])
        from .services import record_event

        record_event(
            event_type="sla.extended",
            case=clock.case,
            actor=actor,
            reason=justification,
            payload={
                "clock": clock.pk,
                "policy": clock.policy.name,
                "due_at": clock.due_at.isoformat(),
                "previous_due_at": previous.isoformat(),
                "new_due_at": new_due_at.isoformat(),
            },
            at=now,
        )
    return clock


# --- reads -----------------------------------------------------------------------------------


def longest_in_custody(user: User, *, limit: int = 15) -> QuerySet[Case]:
    """The interagency "Top 15": open cases in the user's scope with the longest time in USBP
    custody (counted from each subject's own apprehension time), unaccompanied children
    first."""
    return (
        cases_visible_to(user)
        .filter(state__in=OPEN_STATES)
        .annotate(
            uac_rank=CaseWhen(
                When(demographic=Demographic.UAC, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("uac_rank", F("subject__apprehended_at").asc(), "id")[:limit]
    )
