"""Pages over the ``transfers`` app: a UAC's placement request (agent), ORR intake's placement
queue, need-to-know view and answer, and the movement board with hand-overs.

The page layer sits on top of every app (it is the only part of ``cases`` that imports
``transfers``); the writes are ``transfers.services`` calls and the reads its selectors.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from transfers import selectors as tsel
from transfers import services as tsvc
from transfers.models import ManifestEntry, MovementState, PlacementState
from transfers.services import OPEN_MOVEMENT_STATES

from . import selectors
from .exceptions import InvalidInput, InvalidTransition, RuleViolation
from .forms import DeclineForm, DesignateForm, MovementForm, PlacementRequestForm
from .models import OPEN_STATES, CaseState, Role, SlaClock, UnitKind
from .views import (
    ERO,
    USBP,
    _visible_case,
    extension_homes,
    extension_nav,
    packet_panels,
    web_view,
)

ORR = {Role.ORR_INTAKE}
MOVERS = USBP | ERO
BOARD_ROLES = USBP | ERO | ORR
ORR_ANSWER_POLICY = "orr_placement_answer"


def _errors(exc: Exception) -> str:
    if isinstance(exc, RuleViolation):
        return " ".join(v.message for v in exc.violations)
    if isinstance(exc, InvalidInput):
        return " ".join(" ".join(v) for v in exc.fields.values()) or exc.message
    return getattr(exc, "message", str(exc))


# --- agent: the placement request of a UAC --------------------------------------------------


def placement_panel(request: HttpRequest, case) -> dict | None:
    """The packet page's panel for a UAC: the placement requests and ORR's answers."""
    if not case.is_uac:
        return None
    placements = list(
        tsel.placements_visible_to(request.user).filter(case=case).order_by("-requested_at", "-id")
    )
    open_request = any(
        p.state in (PlacementState.REQUESTED, PlacementState.DESIGNATED) for p in placements
    )
    return {
        "template": "cases/_panel_placement.html",
        "placements": placements,
        "can_request": request.user.role in USBP and case.state in OPEN_STATES and not open_request,
        "open_request": open_request,
    }


@web_view(USBP)
def placement_request(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = PlacementRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                tsvc.request_placement(case=case, actor=request.user, needs=form.needs())
            except (RuleViolation, InvalidInput) as exc:
                form.add_error(None, _errors(exc))
            except InvalidTransition as exc:
                messages.error(request, exc.message)
                return redirect("web:case", pk=case.pk)
            else:
                messages.success(request, f"Placement requested from ORR for {case.case_number}.")
                return redirect("web:case", pk=case.pk)
        status = 422
    return render(
        request, "cases/placement_request.html", {"case": case, "form": form}, status=status
    )


# --- ORR intake ---------------------------------------------------------------------------


def _answer_clocks(placements) -> dict[int, SlaClock]:
    """ORR's 24-hour answer clock of each request's case (only the deadline is shown)."""
    clocks = SlaClock.objects.filter(
        case_id__in=[p.case_id for p in placements], policy__name=ORR_ANSWER_POLICY
    ).select_related("policy")
    return {c.case_id: c for c in clocks}


@web_view(ORR)
def orr_queue(request: HttpRequest) -> HttpResponse:
    waiting = list(
        tsel.placements_visible_to(request.user)
        .filter(state=PlacementState.REQUESTED)
        .order_by("requested_at", "id")
    )
    clocks = _answer_clocks(waiting)
    for p in waiting:
        p.answer_clock = clocks.get(p.case_id)
    waiting.sort(
        key=lambda p: p.answer_clock.effective_due_at if p.answer_clock else p.requested_at
    )
    answered = (
        tsel.placements_visible_to(request.user)
        .exclude(state=PlacementState.REQUESTED)
        .order_by("-id")[:10]
    )
    return render(request, "cases/orr_queue.html", {"waiting": waiting, "answered": answered})


def _capacity_rows(placement) -> list[dict]:
    """Every care provider with its free beds for this child's sex and age band."""
    from transfers.models import age_band_for

    subject = placement.case.subject
    band = age_band_for(subject.age_on(timezone.localdate()))
    rows = []
    for provider in tsel.care_providers():
        match = [
            b for b in tsel.capacity_of(provider) if b.sex == subject.sex and b.age_band == band
        ]
        free = match[0].free if match else 0
        beds = match[0].beds if match else 0
        rows.append({"provider": provider, "free": free, "beds": beds})
    return rows


def _orr_context(request: HttpRequest, placement, **extra) -> dict:
    clock = _answer_clocks([placement]).get(placement.case_id)
    subject = placement.case.subject
    companions = []
    for companion in placement.companions.all():
        check = None
        if companion.subject_id:
            checks = list(companion.subject.criminal_history_checks.all())
            check = checks[0] if checks else None
        companions.append({"companion": companion, "check": check})
    context = {
        "placement": placement,
        "child": subject,
        "age": subject.age_on(timezone.localdate()),
        "clock": clock,
        "companions": companions,
        "capacity": _capacity_rows(placement),
        "designate_form": DesignateForm(),
        "decline_form": DeclineForm(),
    }
    context.update(extra)
    return context


@web_view(ORR)
def orr_placement(request: HttpRequest, pk: int) -> HttpResponse:
    """The need-to-know view: what placement needs, never the rest of the A-file."""
    placement = get_object_or_404(tsel.placements_visible_to(request.user), pk=pk)
    return render(request, "cases/orr_placement.html", _orr_context(request, placement))


@web_view(ORR)
def orr_designate(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(tsel.placements_visible_to(request.user), pk=pk)
    if request.method != "POST":
        return redirect("web:orr-placement", pk=pk)
    form = DesignateForm(request.POST)
    if form.is_valid():
        facility = form.cleaned_data["facility"]
        try:
            tsvc.designate_placement(placement=placement, actor=request.user, facility=facility)
        except (RuleViolation, InvalidInput) as exc:
            form.add_error(None, _errors(exc))
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("web:orr-queue")
        else:
            messages.success(
                request, f"Designated {facility.code} for placement request {placement.pk}."
            )
            return redirect("web:orr-queue")
    context = _orr_context(request, placement, designate_form=form)
    return render(request, "cases/orr_placement.html", context, status=422)


@web_view(ORR)
def orr_decline(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_object_or_404(tsel.placements_visible_to(request.user), pk=pk)
    if request.method != "POST":
        return redirect("web:orr-placement", pk=pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            tsvc.decline_placement(
                placement=placement, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except InvalidInput as exc:
            form.add_error("reason", _errors(exc))
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("web:orr-queue")
        else:
            messages.success(request, f"Declined placement request {placement.pk}.")
            return redirect("web:orr-queue")
    context = _orr_context(request, placement, decline_form=form)
    return render(request, "cases/orr_placement.html", context, status=422)


# --- the movement board ---------------------------------------------------------------------


def _ready_to_move(user):
    """Accepted cases still at a station, not on a planned leg (a UAC once designated)."""
    on_open_leg = ManifestEntry.objects.filter(movement__state__in=OPEN_MOVEMENT_STATES).values(
        "case_id"
    )
    qs = (
        selectors.cases_visible_to(user)
        .filter(state=CaseState.ACCEPTED, custody_unit__kind=UnitKind.STATION)
        .exclude(pk__in=on_open_leg)
        .exclude(demographic="uac", designated_provider__isnull=True)
        .order_by("subject__apprehended_at", "id")
    )
    if user.role in ERO:
        root = selectors.scope_root(user)
        qs = qs.filter(routed_to__path__startswith=root.path)
    return qs


def _board_context(request: HttpRequest, form=None) -> dict:
    user = request.user
    legs = list(tsel.movement_board(user).order_by("scheduled_pickup_at", "id"))
    open_elsewhere = (
        tsel.movements_visible_to(user)
        .filter(state__in=OPEN_MOVEMENT_STATES)
        .exclude(pk__in=[m.pk for m in legs])
        .order_by("scheduled_pickup_at", "id")
    )
    legs += list(open_elsewhere)
    for leg in legs:
        leg.can_move = user.role in MOVERS and leg.state in (
            MovementState.SCHEDULED,
            MovementState.IN_TRANSIT,
        )
        leg.can_receive = tsel.can_receive(user, leg.to_unit) and leg.state in (
            MovementState.IN_TRANSIT,
            MovementState.ARRIVED,
        )
    ready = _ready_to_move(user) if user.role in MOVERS else None
    if form is None and ready is not None:
        local = timezone.localtime(timezone.now() + timedelta(hours=1))
        form = MovementForm(ready=ready, initial={"scheduled_pickup_at": local})
    return {"legs": legs, "ready": ready, "form": form}


@web_view(BOARD_ROLES)
def movement_board(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/movement_board.html", _board_context(request))


@web_view(MOVERS)
def movement_schedule(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("web:movement-board")
    form = MovementForm(request.POST, ready=_ready_to_move(request.user))
    if form.is_valid():
        data = form.cleaned_data
        cases = list(data["cases"])
        from_units = {c.custody_unit for c in cases}
        if len(from_units) != 1:
            form.add_error("cases", "One leg leaves from one unit: choose cases held together.")
        else:
            try:
                movement = tsvc.schedule_movement(
                    actor=request.user,
                    from_unit=from_units.pop(),
                    to_unit=data["to_unit"],
                    cases=cases,
                    scheduled_pickup_at=data["scheduled_pickup_at"],
                    contractor=data["contractor"],
                    carrier_agency=data["carrier_agency"],
                    distance_miles=data["distance_miles"],
                )
            except (RuleViolation, InvalidInput) as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, f"Scheduled {movement.trip_number}.")
                return redirect("web:movement-board")
    return render(
        request, "cases/movement_board.html", _board_context(request, form=form), status=422
    )


def _movement_action(action: str):
    service = {
        "depart": tsvc.depart_movement,
        "arrive": tsvc.arrive_movement,
        "handover": tsvc.confirm_handover,
    }[action]
    done = {"depart": "departed", "arrive": "arrived", "handover": "handed over"}[action]

    @web_view(BOARD_ROLES)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return redirect("web:movement-board")
        try:
            movement = service(movement=pk, actor=request.user)
        except (RuleViolation, InvalidInput, InvalidTransition) as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"{movement.trip_number} {done}.")
        return redirect(reverse("web:movement-board"))

    view.__name__ = f"movement_{action}"
    return view


movement_depart = _movement_action("depart")
movement_arrive = _movement_action("arrive")
movement_handover = _movement_action("handover")


# --- registration with the page shell -------------------------------------------------------

packet_panels.append(placement_panel)
extension_nav.extend(
    [
        ("Placement queue", "web:orr-queue", ORR),
        ("Movement board", "web:movement-board", BOARD_ROLES),
    ]
)
extension_homes.append(lambda user: reverse("web:orr-queue") if user.role in ORR else None)
