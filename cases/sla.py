"""Legal clocks: started and stopped by the same transaction that records the event.

Clocks are database rows, not countdown tasks (docs/decisions/002-clocks-are-rows.md): the
sweep finds the rows whose ``next_check_at`` has passed, so a broker that restarts empty
loses nothing. Every due time counts elapsed hours in UTC from the start instant; for the
custody limits the start is the subject's own apprehension time, not the event's.
"""

from __future__ import annotations

from datetime import datetime

from .models import Case, ClockStatus, SlaClock, SlaPolicy


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


def start_clock(*, case: Case, policy: SlaPolicy, event_at: datetime) -> SlaClock | None:
    if not policy.applies_to(case):
        return None
    if SlaClock.objects.filter(case=case, policy=policy).exists():
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
    clock.stopped_at = at
    if at > clock.effective_due_at:
        clock.status = ClockStatus.BREACHED
        clock.breached_at = clock.breached_at or clock.effective_due_at
    else:
        clock.status = ClockStatus.MET
    clock.next_check_at = None
    clock.save(update_fields=["stopped_at", "status", "breached_at", "next_check_at"])
    return clock


def apply_event(*, case: Case, event_type: str, at: datetime) -> None:
    """Stop every running clock this event stops, then start every clock it starts."""
    running = (
        SlaClock.objects.select_for_update()
        .filter(case=case, stopped_at__isnull=True)
        .select_related("policy")
    )
    for clock in running:
        if event_type in clock.policy.stop_events:
            stop_clock(clock=clock, at=at)
    for policy in SlaPolicy.objects.filter(active=True, start_event=event_type):
        start_clock(case=case, policy=policy, event_at=at)
