"""Who must act on an event: routing rules (data) resolved against the event's case, and the
one-line message each recipient reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cases.models import Case, EventLogEntry, RejectionReason, Role, SlaPolicy, Unit, UnitKind, User

from .models import RoutingRule, Target


@dataclass(frozen=True)
class Recipient:
    """A person or a unit's work queue; ``email`` says whether the rule also mails them."""

    user: User | None = None
    unit: Unit | None = None
    email: bool = True

    @property
    def key(self) -> str:
        return f"user:{self.user.pk}" if self.user is not None else f"unit:{self.unit.pk}"


def _orr_intake() -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.ORR_INTAKE).order_by("path").first()


def _submitting_agent(event: EventLogEntry) -> User | None:
    """The actor of the latest submission before this event (the case's current
    ``last_submitted_by`` may already belong to a later resubmission)."""
    submission = (
        EventLogEntry.objects.filter(
            case_id=event.case_id, event_type="case.submitted", id__lt=event.id
        )
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    return submission.actor if submission else None


def responsible_unit(event: EventLogEntry) -> Unit | None:
    """The unit that must act next on a clock event: the sweep names it in the payload;
    otherwise it follows from the policy."""
    case: Case | None = event.case
    code = (event.payload or {}).get("responsible_unit")
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is not None:
            return unit
    if case is None:
        return None
    policy = SlaPolicy.objects.filter(name=(event.payload or {}).get("policy")).first()
    kind = policy.responsible if policy else "custody"
    if kind == "station":
        return case.station
    if kind == "aor":
        return case.routed_to
    if kind == "orr":
        return _orr_intake()
    return case.custody_unit


def _supervisors_over(unit: Unit) -> list[User]:
    ancestors = [p for p in _ancestor_paths(unit.path)]
    return list(
        User.objects.filter(
            role=Role.USBP_SUPERVISOR, is_active=True, unit__path__in=ancestors
        ).order_by("id")
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _managers_in_scope(case: Case | None, unit: Unit | None) -> list[User]:
    units = [u for u in (unit,) if u is not None]
    if case is not None:
        units += [
            u
            for u in (case.station, case.routed_to, case.custody_unit, case.designated_provider)
            if u is not None
        ]
    paths = set()
    for u in units:
        paths.update(_ancestor_paths(u.path))
    if not paths:
        return []
    return list(
        User.objects.filter(Q(unit__path__in=paths), role=Role.MANAGER, is_active=True).order_by(
            "id"
        )
    )


def resolve(rule: RoutingRule, event: EventLogEntry) -> list[Recipient]:
    case = event.case
    target = rule.target
    out: list[Recipient] = []
    if target == Target.AOR_QUEUE and case is not None:
        out.append(Recipient(unit=case.routed_to, email=rule.email))
    elif target == Target.STATION_QUEUE and case is not None:
        out.append(Recipient(unit=case.station, email=rule.email))
    elif target == Target.SUBMITTING_AGENT and case is not None:
        agent = _submitting_agent(event)
        if agent is not None and agent.is_active:
            out.append(Recipient(user=agent, email=rule.email))
    elif target == Target.ORR_INTAKE:
        unit = _orr_intake()
        if unit is not None:
            out.append(Recipient(unit=unit, email=rule.email))
    elif target == Target.RESPONSIBLE_UNIT:
        unit = responsible_unit(event)
        if unit is not None:
            out.append(Recipient(unit=unit, email=rule.email))
    elif target == Target.SUPERVISORS:
        unit = responsible_unit(event)
        if unit is not None:
            out += [Recipient(user=u, email=rule.email) for u in _supervisors_over(unit)]
    elif target == Target.MANAGERS:
        out += [
            Recipient(user=u, email=rule.email)
            for u in _managers_in_scope(case, responsible_unit(event))
        ]
    return out


def recipients_for(event: EventLogEntry, rules: list[RoutingRule]) -> list[Recipient]:
    """Every distinct recipient of one event (a person reached by two rules counts once)."""
    seen: dict[str, Recipient] = {}
    for rule in rules:
        if rule.event_type != event.event_type or not rule.active:
            continue
        for recipient in resolve(rule, event):
            if recipient.key in seen:
                if recipient.email and not seen[recipient.key].email:
                    seen[recipient.key] = recipient
                continue
            seen[recipient.key] = recipient
    return list(seen.values())


REASON_LABELS = dict(RejectionReason.choices)


def message_for(event: EventLogEntry) -> str:
    """What the recipient reads: which case, what happened, and what to do about it."""
    case = event.case
    number = case.case_number if case is not None else "-"
    payload = event.payload or {}
    actor_unit = event.actor_unit.code if event.actor_unit_id else ""
    kind = event.event_type
    if kind == "case.submitted":
        return f"Case {number} submitted for review (submission {payload.get('submission', 1)})."
    if kind == "case.rejected":
        reasons = "; ".join(REASON_LABELS.get(r, r) for r in payload.get("reasons", []))
        text = f"Case {number} rejected by ERO {actor_unit}: {reasons}."
        if event.reason:
            text += f" Comment: {event.reason}"
        return text + " Fix the packet and resubmit."
    if kind == "case.accepted":
        return f"Case {number} accepted by ERO {actor_unit}."
    if kind == "case.transferred":
        return f"Case {number} transferred to {payload.get('to_unit', '')}."
    if kind == "case.released":
        return f"Case {number} released ({payload.get('release_type', '')})."
    if kind == "placement.requested":
        return f"UAC placement requested for case {number}."
    if kind == "placement.designated":
        facility = payload.get("facility") or (
            case.designated_provider.code if case and case.designated_provider_id else ""
        )
        return f"ORR designated a placement for case {number}: {facility}."
    if kind == "placement.declined":
        why = event.reason or payload.get("reason", "")
        return f"ORR declined the placement for case {number}: {why}. Request again."
    if kind in ("sla.warning", "sla.breached"):
        policy = payload.get("policy", "")
        due = payload.get("effective_due_at") or payload.get("due_at") or ""
        word = "breached" if kind == "sla.breached" else "due soon"
        return f"Legal limit {policy} {word} on case {number} (due {due})."
    return f"{kind} on case {number}."
