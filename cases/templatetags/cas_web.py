"""Template helpers for the work-queue pages: clock countdowns and labels."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from cases.models import RejectionReason

register = template.Library()

REASON_LABELS = dict(RejectionReason.choices)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    # Legal clocks count elapsed hours, so the board does too (no days).
    return f"{hours} h {minutes:02d} min"


@register.filter
def time_left(due: datetime | None) -> str:
    """'5 h 12 min left' or '2 h 03 min overdue'."""
    if due is None:
        return ""
    delta = due - timezone.now()
    if delta.total_seconds() >= 0:
        return f"{_span(delta)} left"
    return f"{_span(delta)} overdue"


@register.filter
def clock_urgency(clock) -> str:
    """A CSS class: 'overdue', 'late' (past 75 %), 'warn' (past 50 %) or 'ok'."""
    if clock is None or clock.stopped_at is not None:
        return "done"
    now = timezone.now()
    due = clock.effective_due_at
    if now >= due:
        return "overdue"
    total = (due - clock.started_at).total_seconds() or 1
    used = (now - clock.started_at).total_seconds() / total
    if used >= 0.75:
        return "late"
    if used >= 0.5:
        return "warn"
    return "ok"


@register.filter
def running_clocks(case) -> list:
    return sorted(
        (c for c in case.clocks.all() if c.stopped_at is None), key=lambda c: c.effective_due_at
    )


@register.filter
def reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code)


@register.filter
def hours_since(at: datetime | None) -> str:
    if at is None:
        return ""
    return f"{(timezone.now() - at).total_seconds() / 3600:.1f}"


@register.simple_tag(takes_context=True)
def extra_nav_links(context) -> list[tuple[str, str, bool]]:
    """Navigation links that other apps' pages registered for the user's role."""
    from django.urls import NoReverseMatch, reverse

    from cases.views import extension_nav

    request = context.get("request")
    user = getattr(request, "user", None)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    out = []
    for label, name, roles in extension_nav:
        if user is None or user.role not in roles:
            continue
        try:
            out.append((label, reverse(name), name == current))
        except NoReverseMatch:
            continue
    return out


@register.filter
def as_list(value) -> list:
    return [value] if value is not None else []
