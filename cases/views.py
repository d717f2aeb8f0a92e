"""The server-rendered work-queue pages (agents, ERO officers, managers).

Views stay thin: they read through ``cases.selectors``, write through ``cases.services`` and
translate the services' domain exceptions the same way the API does: out of scope → 404,
a role that may not act → 403, a rule → the page again with the rule's message (422), a lost
race or a wrong state → the page again with a conflict message (409).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import charts, rules, selectors, services
from .exceptions import InvalidInput, InvalidTransition, NotPermitted, OutOfScope, RuleViolation
from .forms import (
    AcceptForm,
    BookingForm,
    CaseEditForm,
    DocumentForm,
    NarrativeForm,
    RejectForm,
    SubmitForm,
)
from .models import (
    CaseState,
    EventLogEntry,
    FamilyLink,
    ReadAccess,
    Role,
    SlaClock,
)

USBP = {Role.USBP_AGENT, Role.USBP_SUPERVISOR}
ERO = {Role.ERO_OFFICER}
DASHBOARD = {Role.MANAGER, Role.AUDITOR, Role.USBP_SUPERVISOR}
CASE_READERS = USBP | ERO | {Role.MANAGER, Role.AUDITOR}
# The station board lists rejected cases first: they are the ones waiting on the agent.
BOARD_ORDER = [
    CaseState.REJECTED,
    CaseState.BOOKED,
    CaseState.SUBMITTED,
    CaseState.ACCEPTED,
]
HOME_BY_ROLE = {
    Role.USBP_AGENT: "web:station-board",
    Role.USBP_SUPERVISOR: "web:station-board",
    Role.ERO_OFFICER: "web:review-queue",
    Role.MANAGER: "web:dashboard",
    Role.AUDITOR: "web:dashboard",
}


def web_view(roles: set[str] | None = None) -> Callable:
    """Log-in required, the role checked (403), the unit's local time zone active for
    display, and domain exceptions of the services turned into their HTTP answers."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if roles is not None and user.role not in roles:
                raise PermissionDenied("Your role does not use this page.")
            unit = user.unit
            try:
                timezone.activate(zoneinfo.ZoneInfo(unit.timezone if unit else "UTC"))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            try:
                return view(request, *args, **kwargs)
            except OutOfScope as exc:
                raise Http404("No such case.") from exc
            except NotPermitted as exc:
                raise PermissionDenied(exc.message) from exc
            finally:
                timezone.deactivate()

        return wrapper

    return decorate


def _visible_case(request: HttpRequest, pk: int):
    """A case the caller may see, or 404 (never 403: existence does not leak)."""
    return get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)


def _conflict(request: HttpRequest, exc: InvalidTransition, to: str) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect(to)


def _violation_dicts(violations) -> list[dict]:
    return [v.as_dict() for v in violations]


# --- everyone -------------------------------------------------------------------------------


@web_view()
def home(request: HttpRequest) -> HttpResponse:
    target = HOME_BY_ROLE.get(request.user.role)
    if target is None:
        for hook in extension_homes:
            url = hook(request.user)
            if url:
                return redirect(url)
        return render(request, "cases/no_pages.html", status=403)
    return redirect(target)


# Other apps' pages register a home for the roles they serve (e.g. ORR intake), and extra
# links for the navigation bar: ``(label, url name, roles)``.
extension_homes: list[Callable] = []
extension_nav: list[tuple[str, str, set[str]]] = []


# --- agent ----------------------------------------------------------------------------------


@web_view(USBP)
def station_board(request: HttpRequest) -> HttpResponse:
    running = SlaClock.objects.filter(stopped_at__isnull=True).select_related("policy")
    cases = (
        selectors.cases_visible_to(request.user)
        .filter(state__in=BOARD_ORDER)
        .prefetch_related(Prefetch("clocks", queryset=running, to_attr="running"))
    )
    cases = selectors.with_nearest_due(cases)
    columns = {state: [] for state in BOARD_ORDER}
    for case in cases:
        columns[case.state].append(case)
    return render(
        request,
        "cases/station_board.html",
        {
            "columns": [(state, CaseState(state).label, columns[state]) for state in BOARD_ORDER],
            "total": sum(len(v) for v in columns.values()),
        },
    )


@web_view(USBP)
def book(request: HttpRequest) -> HttpResponse:
    form = BookingForm(request.POST or None, user=request.user)
    violations = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.book_case(
                    actor=request.user,
                    subject=services.SubjectData(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        second_last_name=data["second_last_name"],
                        date_of_birth=data["date_of_birth"],
                        sex=data["sex"],
                        country_of_citizenship=data["country_of_citizenship"],
                        a_number=data["a_number"],
                    ),
                    event_number=data["event_number"].strip().upper(),
                    apprehended_at=data["apprehended_at"],
                    demographic=data["demographic"],
                    family_group_number=data["family_group_number"],
                    station=data.get("station"),
                )
            except RuleViolation as exc:
                violations = exc.violations
            except InvalidInput as exc:
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(
                    request, f"Booked {case.case_number}. Add the narrative and documents."
                )
                return redirect("web:case", pk=case.pk)
        status = 422
    return render(
        request,
        "cases/book.html",
        {"form": form, "violations": _violation_dicts(violations)},
        status=status,
    )


@web_view(USBP)
@require_POST
def book_validate(request: HttpRequest) -> HttpResponse:
    """htmx: the booking rules' feedback on the form as typed so far. Changes nothing."""
    form = BookingForm(request.POST, user=request.user)
    violations = form.rule_feedback()
    return render(
        request,
        "cases/_rule_feedback.html",
        {"violations": _violation_dicts(violations), "live": True},
    )


def _packet_context(request: HttpRequest, case) -> dict:
    # The packet shows the case, its I-213 narrative and its document list: each is a read
    # of personal data that an auditor must be able to list, as through the API.
    ip = request.META.get("REMOTE_ADDR") or None
    for what in (ReadAccess.What.DETAIL, ReadAccess.What.NARRATIVE, ReadAccess.What.DOCUMENTS):
        services.record_read(user=request.user, case=case, what=what, ip=ip)
    subject = case.subject
    links = FamilyLink.objects.filter(Q(subject=subject) | Q(relative=subject)).select_related(
        "subject", "relative"
    )
    family = []
    for link in links:
        other = link.relative if link.subject_id == subject.pk else link.subject
        relation = (
            link.get_relation_display()
            if link.subject_id == subject.pk
            else f"relative ({link.get_relation_display().lower()} of this subject)"
        )
        other_case = getattr(other, "case", None)
        family.append(
            {
                "name": str(other),
                "relation": relation,
                "source": link.get_source_display(),
                "case": other_case,
                "visible": other_case is not None
                and selectors.case_in_scope(request.user, other_case),
            }
        )
    same_group = []
    if case.family_group_number:
        same_group = list(
            selectors.cases_visible_to(request.user)
            .filter(family_group_number=case.family_group_number)
            .exclude(pk=case.pk)
        )
    return {
        "case": case,
        "subject": subject,
        "age": rules.age_at_apprehension(subject, case.station),
        "clocks": list(case.clocks.select_related("policy").order_by("started_at", "id")),
        "documents": list(case.documents.select_related("uploaded_by")),
        "family": family,
        "same_group": same_group,
        "history": list(
            EventLogEntry.objects.filter(case=case)
            .select_related("actor", "actor_unit")
            .order_by("occurred_at", "id")
        ),
        "transitions": services.allowed_transitions(case, request.user),
        "editable": case.state in services.EDITABLE_STATES and request.user.role in USBP,
        "extension_panels": [p for p in (hook(request, case) for hook in packet_panels) if p],
    }


# Other apps add panels to the packet page (e.g. the placement request of a UAC): each hook
# takes (request, case) and returns {"title", "template", ...context} or None.
packet_panels: list[Callable] = []


@web_view(CASE_READERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The A-file packet: subject, narrative, documents, family links, clocks, history."""
    case = _visible_case(request, pk)
    context = _packet_context(request, case)
    if context["editable"]:
        context["narrative_form"] = NarrativeForm(initial={"text": case.narrative})
        context["document_form"] = DocumentForm()
        context["submit_form"] = SubmitForm()
        context["pending"] = _violation_dicts(rules.check_submission(case=case))
    return render(request, "cases/case_detail.html", context)


@web_view(USBP)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    if case.state not in services.EDITABLE_STATES:
        messages.error(request, f"A case that is {case.state} cannot be edited.")
        return redirect("web:case", pk=case.pk)
    form = CaseEditForm.for_case(case, request.POST or None)
    violations = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_case(case=case, actor=request.user, changes=form.changes())
            except RuleViolation as exc:
                violations = exc.violations
            except InvalidInput as exc:
                for name, errors in exc.fields.items():
                    form.add_error(name if name in form.fields else None, errors)
            except InvalidTransition as exc:
                return _conflict(request, exc, reverse("web:case", args=[case.pk]))
            else:
                messages.success(request, "Corrections saved.")
                return redirect("web:case", pk=case.pk)
        status = 422
    return render(
        request,
        "cases/case_edit.html",
        {"case": case, "form": form, "violations": _violation_dicts(violations)},
        status=status,
    )


@web_view(USBP)
@require_POST
def case_narrative(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The narrative cannot be empty.")
        return redirect("web:case", pk=case.pk)
    try:
        services.set_narrative(case=case, actor=request.user, text=form.cleaned_data["text"])
    except InvalidTransition as exc:
        return _conflict(request, exc, reverse("web:case", args=[case.pk]))
    messages.success(request, "Narrative saved.")
    return redirect("web:case", pk=case.pk)


@web_view(USBP)
@require_POST
def case_document(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a document type and a file.")
        return redirect("web:case", pk=case.pk)
    try:
        document = services.add_document(
            case=case,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except InvalidInput as exc:
        messages.error(request, " ".join(" ".join(v) for v in exc.fields.values()))
    except InvalidTransition as exc:
        return _conflict(request, exc, reverse("web:case", args=[case.pk]))
    else:
        messages.success(request, f"{document.get_kind_display()} added.")
    return redirect("web:case", pk=case.pk)


@web_view(USBP)
@require_POST
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    acknowledge = bool(form.cleaned_data.get("acknowledge_warnings"))
    try:
        case = services.submit_case(case=case, actor=request.user, acknowledge_warnings=acknowledge)
    except RuleViolation as exc:
        context = _packet_context(request, case)
        context.update(
            narrative_form=NarrativeForm(initial={"text": case.narrative}),
            document_form=DocumentForm(),
            submit_form=form,
            pending=_violation_dicts(exc.violations),
            submit_refused=True,
            needs_acknowledgement=not rules.blocking(exc.violations),
        )
        return render(request, "cases/case_detail.html", context, status=422)
    except InvalidTransition as exc:
        return _conflict(request, exc, reverse("web:case", args=[case.pk]))
    what = "Resubmitted" if case.submissions > 1 else "Submitted"
    messages.success(request, f"{what} {case.case_number} to ERO {case.routed_to.code}.")
    return redirect("web:case", pk=case.pk)


# --- ERO officer ----------------------------------------------------------------------------


@web_view(ERO)
def review_queue(request: HttpRequest) -> HttpResponse:
    root = selectors.scope_root(request.user)
    running = SlaClock.objects.filter(stopped_at__isnull=True).select_related("policy")
    cases = selectors.with_nearest_due(
        selectors.cases_visible_to(request.user)
        .filter(state=CaseState.SUBMITTED, routed_to__path__startswith=root.path)
        .prefetch_related(Prefetch("clocks", queryset=running, to_attr="running"))
    )
    return render(request, "cases/review_queue.html", {"cases": cases, "aor": root})


@web_view(ERO)
def review(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    context = _packet_context(request, case)
    context.update(
        accept_form=AcceptForm(auto_id="accept_%s"),
        reject_form=RejectForm(auto_id="reject_%s"),
        review=True,
    )
    return render(request, "cases/review.html", context)


@web_view(ERO)
@require_POST
def review_accept(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = AcceptForm(request.POST)
    form.is_valid()
    try:
        services.accept_case(
            case=case, actor=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except InvalidTransition as exc:
        return _conflict(request, exc, reverse("web:review-queue"))
    messages.success(request, f"Accepted {case.case_number}: the custody determination is made.")
    return redirect("web:review-queue")


@web_view(ERO)
@require_POST
def review_reject(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = RejectForm(request.POST, auto_id="reject_%s")
    form.is_valid()
    try:
        services.reject_case(
            case=case,
            actor=request.user,
            reasons=form.cleaned_data.get("reasons") or [],
            comment=form.cleaned_data.get("comment", ""),
        )
    except InvalidInput as exc:
        for name, errors in exc.fields.items():
            form.add_error(name if name in form.fields else None, errors)
        context = _packet_context(request, case)
        context.update(accept_form=AcceptForm(auto_id="accept_%s"), reject_form=form, review=True)
        return render(request, "cases/review.html", context, status=422)
    except InvalidTransition as exc:
        return _conflict(request, exc, reverse("web:review-queue"))
    messages.success(request, f"Rejected {case.case_number}; the station sees what to fix.")
    return redirect("web:review-queue")


# --- manager --------------------------------------------------------------------------------


@web_view(DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = charts.dashboard(request.user, timezone.now())
    return render(request, "cases/dashboard.html", context)
