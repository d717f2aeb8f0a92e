"""Every write of the transfers app: placement requests and ORR's answers, criminal-history
summaries, movements and hand-overs, family separations, and invoice reconciliation.

Each service runs in one transaction and writes its event-log row with
``cases.services.record_event``, so the legal clocks move in the same commit (creating a
placement request stops the 48-hour request clock and starts ORR's 24-hour answer clock;
designation stops it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from cases import rules
from cases.exceptions import (
    InvalidInput,
    InvalidTransition,
    NotPermitted,
    OutOfScope,
    RuleViolation,
)
from cases.models import (
    OPEN_STATES,
    Case,
    CaseState,
    EventLogEntry,
    FamilyLink,
    Role,
    Sex,
    Unit,
    UnitKind,
    User,
)
from cases.selectors import USBP_ROLES, case_in_scope
from cases.services import _lock_case, record_event, transfer_case

from . import selectors
from .models import (
    OPEN_PLACEMENT_STATES,
    BedCapacity,
    CheckStatus,
    Contractor,
    ContractTerms,
    CriminalHistoryCheck,
    Invoice,
    InvoiceLine,
    LineStatus,
    ManifestEntry,
    Movement,
    MovementState,
    PlacementRequest,
    PlacementState,
    Separation,
    SeparationReason,
    TravelCompanion,
    age_band_for,
)

CLOCK_SKEW = timedelta(minutes=5)


def _fsm(obj, method: str, **kwargs) -> str:
    """Run a django-fsm transition and save; turn the library's errors into ours."""
    from_state = obj.state
    try:
        getattr(obj, method)(**kwargs)
        obj.save()
    except TransitionNotAllowed as exc:
        raise InvalidTransition(f"Cannot {method} what is {from_state}.") from exc
    except ConcurrentTransition as exc:
        raise InvalidTransition("Another user changed this first; reload it.") from exc
    return from_state


def _require_role(actor: User, roles: set[str], action: str) -> None:
    if actor.role not in roles:
        raise NotPermitted(f"Your role may not {action}.")


# --- placement requests --------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementNeeds:
    pregnant: bool = False
    disability: bool = False
    medical_notes: str = ""
    tender_age: bool | None = None
    languages: list[str] = field(default_factory=list)
    sponsor: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CompanionData:
    case: Case | None = None
    name: str = ""
    relation: str = ""


INVERSE_RELATION = {
    "parent": "child",
    "child": "parent",
    "sibling": "sibling",
    "other_relative": "other_relative",
    "legal_guardian": "ward",
}


def relation_to(link: FamilyLink, viewer_subject_id: int) -> str:
    """What the other person of ``link`` is to the viewer (a link reads "subject is
    relation of relative")."""
    if link.relative_id == viewer_subject_id:
        return link.relation
    return INVERSE_RELATION.get(link.relation, link.relation)


def _lock_placement(placement: PlacementRequest | int) -> PlacementRequest:
    pk = placement.pk if isinstance(placement, PlacementRequest) else placement
    try:
        return (
            PlacementRequest.objects.select_for_update(of=("self",))
            .select_related("case__subject", "facility")
            .get(pk=pk)
        )
    except (PlacementRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope("No such placement request.") from exc


def _placement_event(
    placement: PlacementRequest, event_type: str, actor: User, from_state: str, **payload
) -> None:
    record_event(
        event_type=event_type,
        case=placement.case,
        actor=actor,
        transition=event_type.split(".", 1)[1],
        reason=payload.get("reason", ""),
        payload={
            "placement": placement.pk,
            "from": from_state,
            "to": placement.state,
            **payload,
        },
    )


def request_placement(
    *,
    case: Case | int,
    actor: User,
    needs: PlacementNeeds,
    companions: list[CompanionData] | None = None,
) -> PlacementRequest:
    """The station asks ORR to place an unaccompanied child. A declined request is
    re-requested by calling this again: the new request points to the declined one."""
    with transaction.atomic():
        case = _lock_case(case)
        if not case_in_scope(actor, case):
            raise OutOfScope("No such case.")
        _require_role(actor, USBP_ROLES, "request placements")
        if not case.is_uac:
            raise RuleViolation(
                [
                    rules.violation(
                        "placement_for_uac_only",
                        "Only an unaccompanied child is placed with ORR.",
                    )
                ]
            )
        if case.state not in OPEN_STATES:
            raise InvalidTransition(f"Cannot request a placement for a case that is {case.state}.")
        if case.placements.filter(state__in=OPEN_PLACEMENT_STATES).exists():
            raise InvalidTransition("This child already has an open placement request.")
        previous = (
            case.placements.filter(state=PlacementState.DECLINED, next_request__isnull=True)
            .order_by("-id")
            .first()
        )
        age = case.subject.age_on(timezone.localdate())
        tender = needs.tender_age if needs.tender_age is not None else age <= 12
        placement = PlacementRequest.objects.create(
            case=case,
            previous=previous,
            pregnant=needs.pregnant,
            disability=needs.disability,
            medical_notes=needs.medical_notes,
            tender_age=tender,
            languages=list(needs.languages),
            sponsor=dict(needs.sponsor),
            requested_by=actor,
        )
        for companion in _companions_for(actor, case, companions):
            companion.placement = placement
            companion.save()
        _placement_event(
            placement,
            "placement.requested",
            actor,
            "",
            previous=previous.pk if previous else None,
            station=case.station.code,
        )
    return placement


def _companions_for(
    actor: User, case: Case, given: list[CompanionData] | None
) -> list[TravelCompanion]:
    """The companions the agent listed; when none are listed, the child's recorded family
    links (auditors found children not linked to the relatives they crossed with)."""
    out: list[TravelCompanion] = []
    if given:
        for index, item in enumerate(given):
            if item.case is not None:
                if not case_in_scope(actor, item.case):
                    raise InvalidInput(
                        {f"travel_companions.{index}.case": ["No such case in your scope."]}
                    )
                if item.case.pk == case.pk:
                    raise InvalidInput(
                        {f"travel_companions.{index}.case": ["The child is not their companion."]}
                    )
                subject = item.case.subject
                out.append(
                    TravelCompanion(
                        subject=subject,
                        name=item.name or _full_name(subject),
                        relation=item.relation,
                    )
                )
            elif item.name.strip():
                out.append(TravelCompanion(name=item.name.strip(), relation=item.relation))
            else:
                raise InvalidInput(
                    {f"travel_companions.{index}": ["Give the companion's case or name."]}
                )
        return out
    for link in selectors.links_of(case.subject_id).select_related("subject", "relative"):
        other = link.subject if link.relative_id == case.subject_id else link.relative
        out.append(
            TravelCompanion(
                subject=other,
                name=_full_name(other),
                relation=relation_to(link, case.subject_id),
            )
        )
    return out


def _full_name(subject) -> str:
    return " ".join(
        p for p in (subject.first_name, subject.last_name, subject.second_last_name) if p
    )


def designate_placement(
    *, placement: PlacementRequest | int, actor: User, facility: Unit
) -> PlacementRequest:
    """ORR designates a care provider with a free bed for the child's sex and age band."""
    _require_role(actor, {Role.ORR_INTAKE}, "designate placements")
    with transaction.atomic():
        placement = _lock_placement(placement)
        if facility.kind != UnitKind.CARE_PROVIDER:
            raise InvalidInput({"facility": ["Choose an ORR care provider."]})
        if placement.state != PlacementState.REQUESTED:
            raise InvalidTransition(f"Cannot designate a request that is {placement.state}.")
        case = _lock_case(placement.case_id)
        if case.state not in OPEN_STATES:
            raise InvalidTransition(f"The child's case is {case.state}.")
        band = _check_capacity(facility, case)
        from_state = _fsm(placement, "designate", facility=facility, by=actor, age_band=band)
        case.designated_provider = facility
        case.save(update_fields=["designated_provider", "updated_at"])
        _placement_event(
            placement,
            "placement.designated",
            actor,
            from_state,
            facility=facility.code,
            age_band=band,
        )
    return placement


def _check_capacity(facility: Unit, case: Case) -> str:
    sex = case.subject.sex
    band = age_band_for(case.subject.age_on(timezone.localdate()))
    if sex not in (Sex.FEMALE, Sex.MALE):
        raise RuleViolation(
            [
                rules.violation(
                    "placement_sex_recorded",
                    "Record the child's sex before designating: beds are kept by sex.",
                )
            ]
        )
    # Locking the provider's capacity rows serialises designations to one provider, so two
    # ORR officers can never both take its last bed.
    row = (
        BedCapacity.objects.select_for_update()
        .filter(provider=facility, sex=sex, age_band=band)
        .first()
    )
    beds = row.beds if row else 0
    taken = selectors.occupied_beds(facility).get((sex, band), 0)
    if taken >= beds:
        raise RuleViolation(
            [
                rules.violation(
                    "care_provider_capacity",
                    f"{facility.code} has no free bed for sex {sex}, age band {band} "
                    f"({beds} beds, {taken} designated).",
                    field="facility",
                )
            ]
        )
    return band


def decline_placement(
    *, placement: PlacementRequest | int, actor: User, reason: str
) -> PlacementRequest:
    """ORR declines with a reason; the station may re-request."""
    _require_role(actor, {Role.ORR_INTAKE}, "decline placements")
    reason = (reason or "").strip()
    with transaction.atomic():
        placement = _lock_placement(placement)
        if not reason:
            raise InvalidInput({"reason": ["Say why the request is declined."]})
        from_state = _fsm(placement, "decline", reason=reason, by=actor)
        _placement_event(placement, "placement.declined", actor, from_state, reason=reason)
    return placement


def cancel_placement(
    *, placement: PlacementRequest | int, actor: User, reason: str
) -> PlacementRequest:
    """The requesting side withdraws a request (or a designation not yet carried out)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        placement = _lock_placement(placement)
        case = _lock_case(placement.case_id)
        if not case_in_scope(actor, case):
            raise OutOfScope("No such placement request.")
        _require_role(actor, USBP_ROLES | {Role.ERO_OFFICER}, "cancel placements")
        if not reason:
            raise InvalidInput({"reason": ["Say why the request is cancelled."]})
        if case.state == CaseState.TRANSFERRED:
            raise InvalidTransition("The child has already been handed over to ORR.")
        from_state = _fsm(placement, "cancel", reason=reason, by=actor)
        if from_state == PlacementState.DESIGNATED:
            case.designated_provider = None
            case.save(update_fields=["designated_provider", "updated_at"])
        _placement_event(placement, "placement.cancelled", actor, from_state, reason=reason)
    return placement


# --- criminal history ---------------------------------------------------------------------------


def record_criminal_history_check(
    *, case: Case | int, actor: User, status: str, summary: str = "", source: str = ""
) -> CriminalHistoryCheck:
    """Record the result of a person's criminal-history check (what ORR may read of it)."""
    with transaction.atomic():
        case = _lock_case(case)
        if not case_in_scope(actor, case):
            raise OutOfScope("No such case.")
        _require_role(actor, USBP_ROLES | {Role.ERO_OFFICER}, "record criminal-history checks")
        if status not in CheckStatus.values:
            raise InvalidInput({"status": [f"Choose one of: {', '.join(CheckStatus.values)}."]})
        if status == CheckStatus.RECORD_FOUND and not summary.strip():
            raise InvalidInput({"summary": ["Summarise the record found."]})
        check = CriminalHistoryCheck.objects.create(
            subject=case.subject,
            status=status,
            summary=summary.strip(),
            source=source.strip() or "IDENT/NGI",
            checked_by=actor,
        )
        record_event(
            event_type="criminal_history.recorded",
            case=case,
            actor=actor,
            payload={"check": check.pk, "status": status},
        )
    return check


# --- movements ---------------------------------------------------------------------------------

MOVEMENT_ROLES = USBP_ROLES | {Role.ERO_OFFICER}
OPEN_MOVEMENT_STATES = (MovementState.SCHEDULED, MovementState.IN_TRANSIT, MovementState.ARRIVED)


def terms_on(contractor: Contractor, day: date) -> ContractTerms | None:
    return (
        contractor.terms.filter(valid_from__lte=day)
        .exclude(valid_to__lt=day)
        .order_by("-valid_from")
        .first()
    )


def schedule_movement(
    *,
    actor: User,
    from_unit: Unit,
    to_unit: Unit,
    cases: list[Case],
    scheduled_pickup_at: datetime,
    contractor: Contractor | None = None,
    carrier_agency: Unit | None = None,
    distance_miles: Decimal = Decimal("0"),
) -> Movement:
    """Plan a leg carrying these cases and record its cost by the contract's terms."""
    _require_role(actor, MOVEMENT_ROLES, "schedule movements")
    if (contractor is None) == (carrier_agency is None):
        raise InvalidInput({"carrier": ["Give either a contractor or an agency."]})
    if carrier_agency is not None and carrier_agency.kind != UnitKind.AGENCY:
        raise InvalidInput({"carrier.agency": ["Choose an agency."]})
    if contractor is not None and not contractor.active:
        raise InvalidInput({"carrier.contractor": ["This contractor is not active."]})
    if from_unit.pk == to_unit.pk:
        raise InvalidInput({"to_unit": ["A leg goes to another unit."]})
    if not cases:
        raise InvalidInput({"cases": ["A manifest carries at least one case."]})
    if distance_miles < 0:
        raise InvalidInput({"distance_miles": ["Give a distance of zero or more."]})
    with transaction.atomic():
        locked = [_lock_case(c) for c in sorted({c.pk for c in cases})]
        for case in locked:
            if not case_in_scope(actor, case):
                raise InvalidInput({"cases": [f"No such case in your scope: {case.pk}."]})
        violations = []
        for case in locked:
            violations += _manifest_violations(case, from_unit, to_unit)
        if violations:
            raise RuleViolation(violations)
        cost, basis = _price(contractor, len(locked), distance_miles, scheduled_pickup_at)
        movement = Movement.objects.create(
            trip_number=f"tmp-{uuid.uuid4().hex[:16]}",
            from_unit=from_unit,
            to_unit=to_unit,
            contractor=contractor,
            carrier_agency=carrier_agency,
            scheduled_pickup_at=scheduled_pickup_at,
            distance_miles=distance_miles,
            cost=cost,
            cost_basis=basis,
            scheduled_by=actor,
        )
        movement.trip_number = f"MV{scheduled_pickup_at:%y%m%d}-{movement.pk:05d}"
        movement.save(update_fields=["trip_number"])
        ManifestEntry.objects.bulk_create(
            [ManifestEntry(movement=movement, case=case) for case in locked]
        )
        _movement_event(movement, "movement.scheduled", actor, "", cost=str(cost))
    return movement


def _manifest_violations(case: Case, from_unit: Unit, to_unit: Unit) -> list:
    out = []
    label = case.case_number
    if case.state != CaseState.ACCEPTED:
        out.append(
            rules.violation(
                "manifest_case_accepted",
                f"{label}: only an accepted case can be moved (it is {case.state}).",
                field="cases",
            )
        )
    if case.custody_unit_id != from_unit.pk:
        out.append(
            rules.violation(
                "manifest_from_custody_unit",
                f"{label} is held at {case.custody_unit.code}, not {from_unit.code}.",
                field="from_unit",
            )
        )
    if case.is_uac:
        if to_unit.pk != case.designated_provider_id:
            out.append(
                rules.violation(
                    "uac_moves_to_designated_provider",
                    f"{label}: an unaccompanied child moves only to the care provider ORR "
                    "designated"
                    + (
                        f" ({case.designated_provider.code})."
                        if case.designated_provider_id
                        else "; none is designated yet."
                    ),
                    field="to_unit",
                )
            )
    elif to_unit.kind not in (UnitKind.DETENTION_FACILITY, UnitKind.USMS_DISTRICT):
        out.append(
            rules.violation(
                "movement_destination_kind",
                f"{label}: an adult moves to an ICE detention facility or a USMS district.",
                field="to_unit",
            )
        )
    if ManifestEntry.objects.filter(case=case, movement__state__in=OPEN_MOVEMENT_STATES).exists():
        out.append(
            rules.violation(
                "case_on_one_open_movement",
                f"{label} is already on a planned movement.",
                field="cases",
            )
        )
    return out


def _price(
    contractor: Contractor | None, persons: int, miles: Decimal, pickup: datetime
) -> tuple[Decimal, dict]:
    if contractor is None:
        return Decimal("0.00"), {"carrier": "agency"}
    terms = terms_on(contractor, pickup.date())
    if terms is None:
        raise RuleViolation(
            [
                rules.violation(
                    "contract_terms_in_force",
                    f"{contractor.code} has no contract terms in force on {pickup.date()}.",
                    field="carrier",
                )
            ]
        )
    cost = terms.price(persons=persons, miles=miles)
    return cost, {
        "terms": terms.pk,
        "per_trip": str(terms.per_trip),
        "per_person": str(terms.per_person),
        "per_mile": str(terms.per_mile),
        "persons": persons,
        "miles": str(miles),
    }


def _movement_event(
    movement: Movement, event_type: str, actor: User, from_state: str, **payload
) -> None:
    record_event(
        event_type=event_type,
        case=None,
        actor=actor,
        transition=event_type.split(".", 1)[1],
        reason=payload.get("reason", ""),
        payload={
            "movement": movement.pk,
            "trip_number": movement.trip_number,
            "from": from_state,
            "to": movement.state,
            "from_unit": movement.from_unit.code,
            "to_unit": movement.to_unit.code,
            "cases": list(movement.manifest.values_list("case_id", flat=True)),
            **payload,
        },
    )


def _lock_movement(actor: User, movement: Movement | int) -> Movement:
    pk = movement.pk if isinstance(movement, Movement) else movement
    visible = selectors.movements_visible_to(actor).filter(pk=pk).exists()
    try:
        locked = (
            Movement.objects.select_for_update(of=("self",))
            .select_related("from_unit", "to_unit")
            .get(pk=pk)
        )
    except (Movement.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope("No such movement.") from exc
    if not visible and not selectors.can_receive(actor, locked.to_unit):
        raise OutOfScope("No such movement.")
    return locked


def _when(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if at > now + CLOCK_SKEW:
        raise InvalidInput({"at": ["This time is in the future."]})
    return at


def _require_crew(actor: User, movement: Movement, action: str) -> None:
    if actor.role not in MOVEMENT_ROLES and not selectors.can_receive(actor, movement.to_unit):
        raise NotPermitted(f"Your role may not {action}.")


def depart_movement(
    *, movement: Movement | int, actor: User, at: datetime | None = None
) -> Movement:
    with transaction.atomic():
        movement = _lock_movement(actor, movement)
        # The crew records the departure; the receiving unit acts only at its own door.
        _require_role(actor, MOVEMENT_ROLES, "record departures")
        from_state = _fsm(movement, "depart", at=_when(at))
        _movement_event(movement, "movement.departed", actor, from_state)
    return movement


def arrive_movement(
    *, movement: Movement | int, actor: User, at: datetime | None = None
) -> Movement:
    with transaction.atomic():
        movement = _lock_movement(actor, movement)
        _require_crew(actor, movement, "record arrivals")
        from_state = _fsm(movement, "arrive", at=_when(at))
        _movement_event(movement, "movement.arrived", actor, from_state)
    return movement


def confirm_handover(
    *, movement: Movement | int, actor: User, at: datetime | None = None
) -> Movement:
    """The receiving unit signs for the people on the manifest: every case transfers to it
    in this one transaction, or none does."""
    with transaction.atomic():
        movement = _lock_movement(actor, movement)
        if not selectors.can_receive(actor, movement.to_unit, movement.from_unit):
            raise NotPermitted(f"Only {movement.to_unit.code} may confirm this hand-over.")
        at = _when(at)
        if movement.state not in (MovementState.IN_TRANSIT, MovementState.ARRIVED):
            raise InvalidTransition(f"Cannot hand over a movement that is {movement.state}.")
        for entry in movement.manifest.order_by("case_id"):
            transfer_case(
                case=entry.case_id,
                actor=actor,
                to_unit=movement.to_unit,
                handover={"movement": movement.pk, "trip_number": movement.trip_number},
            )
        from_state = _fsm(movement, "hand_over", at=at, to=actor)
        _movement_event(movement, "movement.handed_over", actor, from_state)
    return movement


def cancel_movement(*, movement: Movement | int, actor: User, reason: str) -> Movement:
    reason = (reason or "").strip()
    with transaction.atomic():
        movement = _lock_movement(actor, movement)
        _require_role(actor, MOVEMENT_ROLES, "cancel movements")
        if not reason:
            raise InvalidInput({"reason": ["Say why the movement is cancelled."]})
        from_state = _fsm(movement, "cancel", reason=reason)
        _movement_event(movement, "movement.cancelled", actor, from_state, reason=reason)
    return movement


# --- family separations --------------------------------------------------------------------------

REASON_BY_KIND = {
    UnitKind.USMS_DISTRICT: SeparationReason.PROSECUTION,
    UnitKind.CARE_PROVIDER: SeparationReason.UAC_PLACEMENT,
    UnitKind.DETENTION_FACILITY: SeparationReason.DETENTION,
}


# A move to the Marshals or to ORR separates a family by its nature; detention and release
# may keep it together (family detention, one address), so those wait for the other person.
SEPARATING_KINDS = {UnitKind.USMS_DISTRICT, UnitKind.CARE_PROVIDER}


def _place(case: Case) -> tuple[str, object]:
    if case.state == CaseState.RELEASED:
        return ("released", case.release_address_key)
    return ("unit", case.custody_unit_id)


def record_separations(*, entry: EventLogEntry) -> list[Separation]:
    """After a case leaves for another unit (or is released), record a separation from each
    linked person who is not going with them. Runs in the transfer's own transaction.

    A relative still in custody at the station is separated at once only by a move to USMS or
    ORR; after a move to detention or a release, the separation is recorded when the relative
    leaves for somewhere else (so a family released to one address, or taken to one family
    facility one case at a time, is not reported separated)."""
    # The case the transition just saved (locked, in this transaction), not a second read.
    case = entry.case
    released = entry.event_type == "case.released"
    moving_together: set[int] = set()
    movement_id = (entry.payload or {}).get("movement")
    if movement_id:
        moving_together = set(
            ManifestEntry.objects.filter(movement_id=movement_id).values_list("case_id", flat=True)
        )
    separating = not released and case.custody_unit.kind in SEPARATING_KINDS
    made = []
    for link in selectors.links_of(case.subject_id).select_related("subject", "relative"):
        mine = link.subject_id == case.subject_id
        other_subject_id = link.relative_id if mine else link.subject_id
        other = (
            Case.objects.select_related("custody_unit").filter(subject_id=other_subject_id).first()
        )
        if other is None or other.pk in moving_together or _place(other) == _place(case):
            continue
        if other.state in OPEN_STATES and not separating:
            continue
        # One separation per link: where each person is now is read live from their cases.
        if Separation.objects.filter(link=link).exists():
            continue
        reason = (
            SeparationReason.RELEASE
            if released
            else REASON_BY_KIND.get(case.custody_unit.kind, SeparationReason.OTHER)
        )
        separation = Separation.objects.create(
            link=link,
            moved_case=case,
            reason=reason,
            detail=(
                f"{case.case_number} {'released' if released else 'to ' + case.custody_unit.code}"
                f"; {other.case_number} at {other.custody_unit.code}"
            )[:300],
            moved_to=case.custody_unit,
            relative_at=other.custody_unit,
            recorded_by=entry.actor,
            recorded_at=entry.occurred_at,
        )
        record_event(
            event_type="family.separated",
            case=case,
            actor=entry.actor,
            reason=separation.get_reason_display(),
            payload={"separation": separation.pk, "relative_case": other.pk, "reason": reason},
            at=entry.occurred_at,
        )
        made.append(separation)
    return made


# --- invoices ----------------------------------------------------------------------------------

INVOICE_COLUMNS = ("line", "trip_number", "service_date", "persons", "miles", "amount")
BILLABLE_STATES = (MovementState.ARRIVED, MovementState.HANDED_OVER)
MAX_INVOICE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ParsedLine:
    line_number: int
    trip_number: str
    service_date: date | None
    persons: int
    miles: Decimal
    amount: Decimal


def parse_invoice_csv(content: bytes) -> list[ParsedLine]:
    """Read the contractor's CSV; any malformed line refuses the whole file."""
    if len(content) > MAX_INVOICE_BYTES:
        raise InvalidInput({"file": ["The file is larger than 5 MB."]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput({"file": ["The file is not UTF-8 text."]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in INVOICE_COLUMNS if c not in header]
    if missing:
        raise InvalidInput({"file": [f"Missing columns: {', '.join(missing)}."]})
    reader.fieldnames = header
    lines: list[ParsedLine] = []
    errors: dict[str, list[str]] = {}
    for row_number, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            service_date = date.fromisoformat(row["service_date"]) if row["service_date"] else None
            amount = Decimal(row["amount"].replace("$", "").replace(",", ""))
            if not amount.is_finite() or amount < 0:
                raise ValueError("amount")
            miles = Decimal(row["miles"] or "0")
            if not miles.is_finite() or miles < 0:
                raise ValueError("miles")
            lines.append(
                ParsedLine(
                    line_number=int(row["line"]),
                    trip_number=row["trip_number"].upper(),
                    service_date=service_date,
                    persons=int(row["persons"] or 0),
                    miles=miles,
                    amount=amount.quantize(Decimal("0.01")),
                )
            )
        except (ValueError, InvalidOperation, KeyError):
            errors.setdefault("file", []).append(f"Row {row_number} is malformed.")
    if errors:
        raise InvalidInput(errors)
    if not lines:
        raise InvalidInput({"file": ["The invoice has no lines."]})
    return lines


def import_invoice(
    *, contractor: Contractor, number: str, content: bytes, actor: User | None
) -> Invoice:
    """Import an invoice and reconcile each line against the recorded movements: lines no
    movement supports, lines billed twice, and lines above the contract's price are listed
    with the amounts in question."""
    if actor is not None:
        _require_role(actor, {Role.ERO_OFFICER}, "import invoices")
    number = (number or "").strip()
    if not number:
        raise InvalidInput({"number": ["Give the invoice number."]})
    parsed = parse_invoice_csv(content)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                contractor=contractor,
                number=number,
                sha256=hashlib.sha256(content).hexdigest(),
                imported_by=actor,
            )
            _reconcile(invoice, parsed)
            record_event(
                event_type="invoice.imported",
                case=None,
                actor=actor,
                payload={
                    "invoice": invoice.pk,
                    "contractor": contractor.code,
                    "number": number,
                    "billed": str(invoice.billed_total),
                    "questioned": str(invoice.questioned_total),
                },
            )
    except IntegrityError as exc:
        raise InvalidInput({"number": ["This invoice was already imported."]}) from exc
    return invoice


def _reconcile(invoice: Invoice, parsed: list[ParsedLine]) -> None:
    movements = {
        m.trip_number: m
        for m in Movement.objects.filter(
            contractor=invoice.contractor, trip_number__in={p.trip_number for p in parsed}
        )
    }
    billed_before = set(
        InvoiceLine.objects.filter(
            invoice__contractor=invoice.contractor,
            status__in=(LineStatus.OK, LineStatus.OVER_BILLED),
        )
        .exclude(invoice=invoice)
        .values_list("trip_number", flat=True)
    )
    seen: set[str] = set()
    billed = supported = questioned = Decimal("0")
    rows = []
    for p in sorted(parsed, key=lambda x: x.line_number):
        movement = movements.get(p.trip_number)
        recorded = movement.cost if movement is not None else None
        note = ""
        if movement is None or movement.state not in BILLABLE_STATES:
            status = LineStatus.UNSUPPORTED
            in_question = p.amount
            note = (
                "No movement of this contractor has this trip number."
                if movement is None
                else f"The movement was {movement.state}, never completed."
            )
        elif p.trip_number in seen or p.trip_number in billed_before:
            status = LineStatus.DUPLICATED
            in_question = p.amount
            note = "This trip was already billed" + (
                " on this invoice." if p.trip_number in seen else " on an earlier invoice."
            )
        elif recorded is not None and p.amount > recorded:
            status = LineStatus.OVER_BILLED
            in_question = p.amount - recorded
            note = f"Billed {p.amount} against {recorded} by the contract's terms."
        else:
            status = LineStatus.OK
            in_question = Decimal("0")
        if movement is not None and movement.state in BILLABLE_STATES:
            seen.add(p.trip_number)
        billed += p.amount
        questioned += in_question
        supported += p.amount - in_question
        rows.append(
            InvoiceLine(
                invoice=invoice,
                line_number=p.line_number,
                trip_number=p.trip_number,
                service_date=p.service_date,
                persons=p.persons,
                miles=p.miles,
                amount=p.amount,
                movement=movement,
                status=status,
                recorded_cost=recorded,
                questioned_amount=in_question,
                note=note,
            )
        )
    InvoiceLine.objects.bulk_create(rows)
    invoice.billed_total = billed
    invoice.supported_total = supported
    invoice.questioned_total = questioned
    invoice.save(update_fields=["billed_total", "supported_total", "questioned_total"])
