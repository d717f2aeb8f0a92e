"""Every write that matters to a case: booking, edits, the A-file, and the transitions.

Edits of a booked or rejected case are kept by the field-level history (simple-history) and
documents by their own rows; the event log holds what the outside world reacts to: booking,
the transitions, placements and clock events.

Each service runs in one transaction: it locks the case row, checks scope, role, state and
the business rules (in that order, so that the caller learns the most general problem
first), applies the django-fsm transition and writes exactly one event-log row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import django.dispatch
import filetype
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from . import rules, sla
from .exceptions import InvalidInput, InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from .middleware import current_request_id
from .models import (
    ApprehensionEvent,
    Case,
    CaseState,
    Demographic,
    Document,
    EventLogEntry,
    FamilyLink,
    Role,
    Subject,
    Unit,
    UnitKind,
    User,
)
from .selectors import USBP_ROLES, case_in_scope, row_in_scope, scope_root

logger = logging.getLogger(__name__)

# Sent after the transaction that wrote events commits; notifications listens to it.
events_committed = django.dispatch.Signal()

EDITABLE_STATES = (CaseState.BOOKED, CaseState.REJECTED)


# --- the event log ------------------------------------------------------------------------


def record_event(
    *,
    event_type: str,
    case: Case | None,
    actor: User | None,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> EventLogEntry:
    """Append one row to the event log and move the legal clocks it starts or stops.

    Must run inside the caller's transaction: the row commits with the change it records or
    not at all. After commit, listeners (the notification fan-out) are told."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside a transaction")
    at = at or timezone.now()
    entry = EventLogEntry.objects.create(
        event_type=event_type,
        case=case,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_role=getattr(actor, "role", "") or ("system" if actor is None else ""),
        actor_unit=getattr(actor, "unit", None),
        reason=reason,
        payload=payload or {},
        request_id=current_request_id(),
        occurred_at=at,
    )
    if case is not None:
        sla.apply_event(case=case, event_type=event_type, at=at)
    _announce_after_commit(entry.pk)
    return entry


class _EventsCommitted:
    """The after-commit announcement of one transaction, however many events it wrote."""

    def __init__(self, last_id: int) -> None:
        self.last_id = last_id

    def __call__(self) -> None:
        events_committed.send(sender=EventLogEntry, last_id=self.last_id)


def _announce_after_commit(entry_id: int) -> None:
    # One announcement per transaction, not per event: a sweep batch that writes 500 breach
    # events published 500 identical fan-out wake-ups (39 % of the sweep's time, see
    # docs/benchmarks.md "Timer storm"). A callback registered in a savepoint that rolls back
    # is dropped by Django with it, and the next event registers a new one.
    for registered in transaction.get_connection().run_on_commit:
        if isinstance(registered[1], _EventsCommitted):
            registered[1].last_id = max(registered[1].last_id, entry_id)
            return
    transaction.on_commit(_EventsCommitted(entry_id))


# --- access checks --------------------------------------------------------------------------


# The relations a service reads with the locked case, unless it names fewer (each one joined
# is columns for the ORM to build and PostgreSQL to plan; one left out and used anyway is
# fetched by its foreign key, so a short list is never wrong, only slower).
CASE_RELATIONS = ("subject", "station", "routed_to", "custody_unit", "event")


def _lock_case(case: Case | int, related: tuple[str, ...] = CASE_RELATIONS) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    # Lock the bare row first, then read it with its relations in a second statement.
    # Locking with the joins would lose the row on PostgreSQL: a waiter re-checks the join
    # against the units it read *before* the winner committed, so after a concurrent
    # transfer (custody_unit changed) the row no longer matches and looked "absent".
    if not Case.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True):
        raise OutOfScope("No such case.")
    locked = Case.objects.select_related(*related).get(pk=pk)
    locked._as_locked = _field_values(locked)  # what _apply compares to save only changes
    return locked


def _require_scope(actor: User, case: Case) -> None:
    # ``case`` comes from _lock_case: locked, and read with the units that decide scope.
    if not row_in_scope(actor, case):
        raise OutOfScope("No such case.")


def _require_role(actor: User, roles: set[str], action: str) -> None:
    if actor.role not in roles:
        raise NotPermitted(f"Your role may not {action}.")


def _require_routed_officer(actor: User, case: Case, action: str) -> None:
    _require_role(actor, {Role.ERO_OFFICER}, action)
    root = scope_root(actor)
    if root is None or not root.contains(case.routed_to):
        raise NotPermitted(f"Only an ERO officer of {case.routed_to.code} may {action} this case.")


def _require_state(case: Case, states: tuple[str, ...], action: str) -> None:
    if case.state not in states:
        raise InvalidTransition(f"Cannot {action} a case that is {case.state}.")


def _apply(case: Case, method_name: str, **kwargs) -> str:
    """Run the django-fsm transition and save; turn the library's errors into ours. ``case``
    comes from ``_lock_case``, which records what it read."""
    from_state = case.state
    try:
        getattr(case, method_name)(**kwargs)
        # Only the columns changed since the case was locked (by the service or by the
        # transition), and ``updated_at``, which auto_now sets only when listed: the UPDATE
        # stays small, and the state filter of ConcurrentTransitionMixin still guards it.
        now = _field_values(case)
        changed = [name for name, value in now.items() if case._as_locked[name] != value]
        case.save(update_fields=[*changed, "updated_at"])
        case._as_locked = now
    except TransitionNotAllowed as exc:
        raise InvalidTransition(f"Cannot {method_name} a case that is {from_state}.") from exc
    except ConcurrentTransition as exc:
        raise InvalidTransition("Another user changed this case first; reload it.") from exc
    return from_state


def _field_values(case: Case) -> dict[str, Any]:
    return {f.attname: f.value_from_object(case) for f in Case._meta.concrete_fields}


def _raise_for(violations: list, acknowledge_warnings: bool) -> list:
    """Raise for blocking violations, and for warnings not acknowledged. Returns the
    acknowledged warnings so the event log records them."""
    blocking = rules.blocking(violations)
    if blocking:
        raise RuleViolation(blocking)
    warnings = rules.warnings(violations)
    if warnings and not acknowledge_warnings:
        raise RuleViolation(
            warnings, "Acknowledge these warnings to continue (acknowledge_warnings: true)."
        )
    return warnings


# --- booking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectData:
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    country_of_citizenship: str
    second_last_name: str = ""
    a_number: str = ""


@dataclass(frozen=True)
class RelativeData:
    case: Case
    relation: str
    source: str = "declared"


def _resolve_station(actor: User, station: Unit | None) -> Unit:
    station = station or actor.unit
    root = scope_root(actor)
    if station is None or station.kind != UnitKind.STATION:
        raise InvalidInput({"station": ["Choose a Border Patrol station."]})
    if root is None or not root.contains(station):
        raise InvalidInput({"station": ["You can only book at a station of your own unit."]})
    return station


def _normalised_subject_fields(data: SubjectData) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "first_name": data.first_name.strip(),
        "last_name": data.last_name.strip(),
        "second_last_name": (data.second_last_name or "").strip(),
        "date_of_birth": data.date_of_birth,
        "sex": data.sex,
        "country_of_citizenship": _normalised_country(data.country_of_citizenship),
        "a_number": _normalised_a_number(data.a_number),
    }
    return fields


# The two normalisers below keep what they cannot normalise, untruncated, so that the rules
# (country_iso3166, a_number_format) refuse it with the others, instead of a truncated
# "GUATEMALA" being stored as "GU" (Guam), the way family-unit numbers once were truncated.
def _normalised_country(raw: Any) -> str:
    return rules.normalize_country(raw) or str(raw or "").strip().upper()


def _normalised_a_number(raw: Any) -> str:
    try:
        return rules.normalize_a_number(raw)
    except ValueError:
        return str(raw).strip()


def book_case(
    *,
    actor: User,
    subject: SubjectData,
    event_number: str,
    apprehended_at: datetime | None,
    demographic: str,
    family_group_number: str | None = None,
    station: Unit | None = None,
    relatives: list[RelativeData] | None = None,
) -> Case:
    """Book one subject: create (or join) the apprehension event, the subject and the case,
    route it to the sector's ERO AOR, start the legal clocks and log ``case.booked``."""
    _require_role(actor, USBP_ROLES, "book cases")
    station = _resolve_station(actor, station)
    sector = station.sector
    if sector is None or sector.routes_to is None:
        raise InvalidInput({"station": ["This station's sector has no ERO routing."]})
    if demographic not in Demographic.values:
        raise InvalidInput({"demographic": ["Unknown demographic."]})
    now = timezone.now()
    with transaction.atomic():
        event = (
            ApprehensionEvent.objects.select_for_update().filter(event_number=event_number).first()
        )
        if event is not None and event.station_id != station.pk:
            raise InvalidInput({"event_number": ["This event number belongs to another station."]})
        default_time = event.apprehended_at if event else apprehended_at
        new_subject = Subject(
            **_normalised_subject_fields(subject), apprehended_at=apprehended_at or default_time
        )
        case = Case(
            demographic=demographic,
            family_group_number=(family_group_number or "").strip().upper(),
            station=station,
            sector=sector,
            routed_to=sector.routes_to,
            custody_unit=station,
            booked_by=actor,
            booked_at=now,
        )
        violations = rules.check_booking(subject=new_subject, case=case, now=now)
        if rules.blocking(violations):
            raise RuleViolation(rules.blocking(violations))
        if event is None:
            event = ApprehensionEvent.objects.create(
                event_number=event_number,
                station=station,
                apprehended_at=new_subject.apprehended_at,
            )
        new_subject.save()
        sequence = Case.objects.filter(event=event).count() + 1
        case.subject = new_subject
        case.event = event
        case.case_number = f"{event_number}-{sequence:02d}"
        case.save()
        for rel in relatives or []:
            link_relative(
                actor=actor,
                case=case,
                relative_case=rel.case,
                relation=rel.relation,
                source=rel.source,
            )
        record_event(
            event_type="case.booked",
            case=case,
            actor=actor,
            transition="book",
            to_state=case.state,
            payload={
                "demographic": demographic,
                "station": station.code,
                "routed_to": case.routed_to.code,
            },
            at=now,
        )
    return case


def link_relative(
    *, actor: User, case: Case, relative_case: Case, relation: str, source: str = "declared"
) -> FamilyLink:
    """Record that ``case``'s subject is ``relation`` of ``relative_case``'s subject."""
    _require_role(actor, USBP_ROLES | {Role.ERO_OFFICER}, "link relatives")
    if not case_in_scope(actor, relative_case):
        raise InvalidInput({"relatives": ["No such case in your scope."]})
    if relative_case.subject_id == case.subject_id:
        raise InvalidInput({"relatives": ["A subject cannot be their own relative."]})
    try:
        with transaction.atomic():
            return FamilyLink.objects.create(
                subject=case.subject,
                relative=relative_case.subject,
                relation=relation,
                source=source,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise InvalidInput({"relatives": ["These two people are already linked."]}) from exc


SUBJECT_EDITABLE = {
    "first_name",
    "last_name",
    "second_last_name",
    "date_of_birth",
    "sex",
    "country_of_citizenship",
    "a_number",
    "apprehended_at",
}
CASE_EDITABLE = {"demographic", "family_group_number"}


def update_case(*, case: Case, actor: User, changes: dict[str, Any]) -> Case:
    """Correct a booked or rejected case (e.g. to fix what ERO rejected it for)."""
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_role(actor, USBP_ROLES, "edit cases")
        _require_state(case, EDITABLE_STATES, "edit")
        subject = case.subject
        changed = {}
        for key, value in changes.items():
            if key in SUBJECT_EDITABLE:
                if key == "a_number":
                    value = _normalised_a_number(value)
                if key == "country_of_citizenship":
                    value = _normalised_country(value)
                if getattr(subject, key) != value:
                    changed[key] = value
                    setattr(subject, key, value)
            elif key in CASE_EDITABLE:
                if key == "family_group_number":
                    value = (value or "").strip().upper()
                if getattr(case, key) != value:
                    changed[key] = value
                    setattr(case, key, value)
            else:
                raise InvalidInput({key: ["This field cannot be changed."]})
        violations = rules.check_booking(subject=subject, case=case, now=timezone.now())
        if "apprehended_at" not in changed:
            violations = [v for v in violations if not v.rule.startswith("apprehension_time")]
        if rules.blocking(violations):
            raise RuleViolation(rules.blocking(violations))
        if changed:
            subject.save()
            case.save()
            # A corrected apprehension time moves the clocks that count from it.
            if "apprehended_at" in changed:
                _reanchor_clocks(case)
    return case


def _reanchor_clocks(case: Case) -> None:
    for clock in (
        case.clocks.select_for_update(of=("self",))
        .filter(stopped_at__isnull=True, policy__start_anchor="apprehension")
        .select_related("policy")
    ):
        clock.started_at = case.subject.apprehended_at
        clock.due_at = clock.started_at + clock.policy.duration
        clock.effective_due_at = clock.extended_due_at or clock.due_at
        clock.next_check_at = sla.next_check_time(clock)
        clock.save()


def set_narrative(*, case: Case, actor: User, text: str) -> Case:
    """Write the I-213 narrative (as text)."""
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_role(actor, USBP_ROLES, "write the narrative")
        _require_state(case, EDITABLE_STATES, "edit the narrative of")
        case.narrative = text
        case.save()
    return case


ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
}


def add_document(*, case: Case, actor: User, kind: str, upload) -> Document:
    """Store one A-file document after sniffing its content (never trusting the client's
    content type), with its SHA-256."""
    from .models import DocumentKind

    if kind not in DocumentKind.values:
        raise InvalidInput({"kind": [f"Choose one of: {', '.join(DocumentKind.values)}."]})
    size = upload.size or 0
    if size == 0:
        raise InvalidInput({"file": ["The file is empty."]})
    if size > settings.CAS_MAX_DOCUMENT_BYTES:
        limit_mb = settings.CAS_MAX_DOCUMENT_BYTES / (1024 * 1024)
        raise InvalidInput({"file": [f"The file is larger than {limit_mb:g} MB."]})
    head = upload.read(8192)
    upload.seek(0)
    guess = filetype.guess(head)
    mime = guess.mime if guess else None
    if mime not in ALLOWED_DOCUMENT_TYPES:
        raise InvalidInput({"file": ["Only PDF, JPEG, PNG and TIFF files are accepted."]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_role(actor, USBP_ROLES, "add documents")
        _require_state(case, EDITABLE_STATES, "add documents to")
        document = Document(
            case=case,
            kind=kind,
            content_type=mime,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
            original_name=(getattr(upload, "name", "") or "")[:255],
        )
        document.file.save(document.sha256, upload, save=False)
        document.save()
    return document


# --- transitions --------------------------------------------------------------------------


def submit_case(*, case: Case | int, actor: User, acknowledge_warnings: bool = False) -> Case:
    """Agent submits the A-file packet to the routed ERO AOR (first time or after a fix)."""
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_role(actor, USBP_ROLES, "submit cases")
        _require_state(case, EDITABLE_STATES, "submit")
        acknowledged = _raise_for(rules.check_submission(case=case), acknowledge_warnings)
        case.last_submitted_by = actor
        from_state = _apply(case, "submit")
        record_event(
            event_type="case.submitted",
            case=case,
            actor=actor,
            transition="submit",
            from_state=from_state,
            to_state=case.state,
            payload={
                "submission": case.submissions,
                "routed_to": case.routed_to.code,
                "acknowledged_warnings": [v.as_dict() for v in acknowledged],
            },
        )
    return case


def accept_case(*, case: Case | int, actor: User, comment: str = "") -> Case:
    """ERO officer of the routed AOR accepts custody: the custody determination is made."""
    with transaction.atomic():
        case = _lock_case(case, related=("routed_to", "custody_unit"))
        _require_scope(actor, case)
        _require_routed_officer(actor, case, "accept")
        _require_state(case, (CaseState.SUBMITTED,), "accept")
        from_state = _apply(case, "accept")
        record_event(
            event_type="case.accepted",
            case=case,
            actor=actor,
            transition="accept",
            from_state=from_state,
            to_state=case.state,
            reason=comment,
        )
    return case


def reject_case(*, case: Case | int, actor: User, reasons: list[str], comment: str) -> Case:
    """ERO officer rejects the packet with reason codes the agent can act on."""
    from .models import RejectionReason

    reasons = list(dict.fromkeys(reasons or []))
    errors = {}
    if not reasons:
        errors["reasons"] = ["Give at least one reason."]
    elif any(r not in RejectionReason.values for r in reasons):
        errors["reasons"] = [f"Choose from: {', '.join(RejectionReason.values)}."]
    if RejectionReason.OTHER in reasons and not (comment or "").strip():
        errors["comment"] = ["'other' needs a comment saying what to fix."]
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_routed_officer(actor, case, "reject")
        if errors:
            raise InvalidInput(errors)
        _require_state(case, (CaseState.SUBMITTED,), "reject")
        from_state = _apply(case, "reject", reasons=reasons, comment=comment or "")
        record_event(
            event_type="case.rejected",
            case=case,
            actor=actor,
            transition="reject",
            from_state=from_state,
            to_state=case.state,
            reason=comment or "",
            payload={"reasons": reasons, "submission": case.submissions},
        )
    return case


TRANSFER_TARGETS_BY_ROLE = {
    Role.ERO_OFFICER: {UnitKind.DETENTION_FACILITY, UnitKind.USMS_DISTRICT, UnitKind.CARE_PROVIDER},
    Role.USBP_AGENT: {UnitKind.USMS_DISTRICT},
    Role.USBP_SUPERVISOR: {UnitKind.USMS_DISTRICT},
}


def transfer_case(
    *, case: Case | int, actor: User, to_unit: Unit, handover: dict | None = None
) -> Case:
    """Custody moves to a named receiving unit: ICE detention, USMS, or for a UAC the ORR
    care provider that ORR designated.

    ``handover`` (from ``transfers``): the receiving unit confirmed a movement's hand-over
    and the caller has checked that user's authority over the receiving unit, so scope and
    role are not checked again here; state and target rules still are, and the dict is
    added to the event's payload."""
    with transaction.atomic():
        case = _lock_case(case, related=("station", "routed_to", "custody_unit"))
        if handover is None:
            _require_scope(actor, case)
            _require_role(actor, set(TRANSFER_TARGETS_BY_ROLE), "transfer cases")
            if actor.role == Role.ERO_OFFICER:
                _require_routed_officer(actor, case, "transfer")
        _require_state(case, (CaseState.ACCEPTED,), "transfer")
        _check_transfer_target(
            actor, case, to_unit, role=Role.ERO_OFFICER if handover is not None else None
        )
        from_unit = case.custody_unit
        from_state = _apply(case, "transfer", to_unit=to_unit)
        record_event(
            event_type="case.transferred",
            case=case,
            actor=actor,
            transition="transfer",
            from_state=from_state,
            to_state=case.state,
            payload={
                "from_unit": from_unit.code,
                "to_unit": to_unit.code,
                "to_kind": to_unit.kind,
                **(handover or {}),
            },
        )
    return case


def _check_transfer_target(actor: User, case: Case, to_unit: Unit, role: str | None = None) -> None:
    if to_unit.kind not in TRANSFER_TARGETS_BY_ROLE[role or actor.role]:
        if (role or actor.role) in USBP_ROLES:
            raise NotPermitted("An agent may transfer only to the U.S. Marshals.")
        raise RuleViolation(
            [
                rules.violation(
                    "transfer_target_kind",
                    "Transfer to an ICE detention facility, a USMS district or (for a UAC) the "
                    "designated ORR care provider.",
                    field="to_unit",
                )
            ]
        )
    if case.is_uac:
        if to_unit.kind != UnitKind.CARE_PROVIDER or to_unit.pk != case.designated_provider_id:
            raise RuleViolation(
                [
                    rules.violation(
                        "uac_transfer_to_designated_provider",
                        "An unaccompanied child transfers only to the care provider ORR designated"
                        + (
                            f" ({case.designated_provider.code})."
                            if case.designated_provider
                            else "; no placement has been designated yet."
                        ),
                        field="to_unit",
                    )
                ]
            )
    elif to_unit.kind == UnitKind.CARE_PROVIDER:
        raise RuleViolation(
            [
                rules.violation(
                    "care_provider_for_uac_only",
                    "Only unaccompanied children go to ORR care providers.",
                    field="to_unit",
                )
            ]
        )
    if to_unit.kind == UnitKind.DETENTION_FACILITY:
        aor = to_unit.ancestor_of_kind(UnitKind.AOR)
        if aor is not None and aor.pk != case.routed_to_id:
            raise RuleViolation(
                [
                    rules.violation(
                        "detention_in_routed_aor",
                        f"Choose a detention facility of {case.routed_to.code}.",
                        field="to_unit",
                    )
                ]
            )


def release_case(
    *,
    case: Case | int,
    actor: User,
    release_type: str,
    address: dict | None,
    acknowledge_warnings: bool = False,
) -> Case:
    """Release into the United States pending proceedings, to a valid U.S. address.
    Never for a UAC."""
    with transaction.atomic():
        case = _lock_case(case)
        _require_scope(actor, case)
        _require_role(actor, USBP_ROLES | {Role.ERO_OFFICER}, "release")
        if actor.role == Role.ERO_OFFICER:
            _require_routed_officer(actor, case, "release")
        # A UAC is refused whatever the state: the rule is the answer the agent needs.
        if case.is_uac:
            raise RuleViolation(rules.release_not_uac(case=case))
        _require_state(case, (CaseState.ACCEPTED,), "release")
        acknowledged = _raise_for(
            rules.check_release(case=case, release_type=release_type, address=address),
            acknowledge_warnings,
        )
        clean = {k: str(address.get(k, "")).strip() for k in ("street", "city", "state", "zip")}
        clean["state"] = clean["state"].upper()
        from_state = _apply(
            case,
            "release",
            release_type=release_type,
            address=clean,
            address_key=rules.address_key(clean),
        )
        record_event(
            event_type="case.released",
            case=case,
            actor=actor,
            transition="release",
            from_state=from_state,
            to_state=case.state,
            payload={
                "release_type": release_type,
                "address": clean,
                "acknowledged_warnings": [v.as_dict() for v in acknowledged],
            },
        )
    return case


TRANSITION_ROLES = {
    "submit": USBP_ROLES,
    "accept": {Role.ERO_OFFICER},
    "reject": {Role.ERO_OFFICER},
    "transfer": set(TRANSFER_TARGETS_BY_ROLE),
    "release": USBP_ROLES | {Role.ERO_OFFICER},
}


def allowed_transitions(case: Case, user: User) -> list[str]:
    """The transitions this user could attempt now (state and role; rules not evaluated)."""
    out = []
    for t in case.get_available_state_transitions():
        name = t.name
        if user.role not in TRANSITION_ROLES.get(name, set()):
            continue
        if user.role == Role.ERO_OFFICER:
            root = scope_root(user)
            if root is None or not root.contains(case.routed_to):
                continue
        if name == "release" and case.is_uac:
            continue
        out.append(name)
    return out


# --- read-access log (API) ----------------------------------------------------------------


def record_read(
    *,
    user: User,
    case: Case,
    what: str,
    document: Document | None = None,
    ip: str | None = None,
) -> None:
    """Log that ``user`` read ``what`` of ``case`` (detail, narrative, documents, document).
    Personal data of people in custody: every read leaves a trace an auditor can list."""
    from .models import ReadAccess

    ReadAccess.objects.create(
        user=user,
        case=case,
        what=what,
        document=document,
        ip=ip,
        request_id=current_request_id(),
    )
