"""The placement, movement, family-link and contractor API: thin DRF views over
``transfers.services`` and ``transfers.selectors``. Errors take API.md's shape through
``cases.api_errors``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.exceptions import InvalidInput, NotPermitted, OutOfScope
from cases.models import Case, Role, Unit
from cases.selectors import READ_ALL_ROLES, USBP_ROLES, cases_visible_to

from . import selectors, services
from .models import Contractor, Movement, MovementState, PlacementRequest, PlacementState
from .serializers import (
    AtInput,
    CareProviderOutput,
    ContractorOutput,
    CriminalHistoryInput,
    DesignateInput,
    InvoiceOutput,
    InvoiceUploadInput,
    MovementBoardOutput,
    MovementInput,
    MovementOutput,
    PlacementOutput,
    PlacementRequestInput,
    ReasonInput,
    RelativeOutput,
)

OPERATIONAL_ROLES = USBP_ROLES | {Role.ERO_OFFICER, Role.ORR_INTAKE, Role.MANAGER, Role.AUDITOR}
CASE_READING_ROLES = USBP_ROLES | {Role.ERO_OFFICER} | READ_ALL_ROLES


def require_role(user, roles: set[str], action: str) -> None:
    if user.role not in roles:
        raise NotPermitted(f"Your role may not {action}.")


def case_to_act_on(request, pk: int, roles: set[str], action: str) -> Case:
    """A case the caller may act on: scope first (an existing case outside it answers 404,
    as an absent one does, for every role that reads cases), then the role (403)."""
    require_role(request.user, CASE_READING_ROLES, action)
    case = cases_visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise OutOfScope("No such case.")
    require_role(request.user, roles, action)
    return case


class PlacementPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


# --- placements ---------------------------------------------------------------------------------


def visible_placement(request, pk) -> PlacementRequest:
    require_role(request.user, OPERATIONAL_ROLES, "read placements")
    try:
        return selectors.placements_visible_to(request.user).get(pk=pk)
    except (PlacementRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope("No such placement request.") from exc


def placement_response(request, placement: PlacementRequest, code: int = 200) -> Response:
    fresh = selectors.placements_visible_to(request.user).filter(pk=placement.pk).first()
    return Response(PlacementOutput(fresh or placement).data, status=code)


class PlacementRequestCreate(APIView):
    """The station requests ORR placement of an unaccompanied child."""

    @extend_schema(request=PlacementRequestInput, responses={201: PlacementOutput})
    def post(self, request, pk: int):
        case = case_to_act_on(request, pk, USBP_ROLES, "request placements")
        data = PlacementRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        needs = v["needs"]
        companions = []
        for index, item in enumerate(needs.get("travel_companions", [])):
            companion_case = None
            if item.get("case"):
                companion_case = cases_visible_to(request.user).filter(pk=item["case"]).first()
                if companion_case is None:
                    raise InvalidInput(
                        {f"needs.travel_companions.{index}.case": ["No such case in your scope."]}
                    )
            companions.append(
                services.CompanionData(
                    case=companion_case, name=item.get("name", ""), relation=item["relation"]
                )
            )
        placement = services.request_placement(
            case=case,
            actor=request.user,
            needs=services.PlacementNeeds(
                pregnant=needs.get("pregnant", False),
                disability=needs.get("disability", False),
                medical_notes=needs.get("medical_notes", ""),
                tender_age=needs.get("tender_age"),
                languages=v["languages"],
                sponsor=dict(v["sponsor"] or {}),
            ),
            companions=companions,
        )
        return placement_response(request, placement, status.HTTP_201_CREATED)


class PlacementList(APIView):
    pagination_class = PlacementPagination

    @extend_schema(
        parameters=[OpenApiParameter("state", enum=PlacementState.values)],
        responses=PlacementOutput(many=True),
    )
    def get(self, request):
        require_role(request.user, OPERATIONAL_ROLES, "read placements")
        qs = selectors.placements_visible_to(request.user)
        state = request.query_params.get("state")
        if state:
            if state not in PlacementState.values:
                raise InvalidInput({"state": [f"Choose from: {', '.join(PlacementState.values)}."]})
            qs = qs.filter(state=state)
        paginator = PlacementPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(PlacementOutput(page, many=True).data)


class PlacementDetail(APIView):
    @extend_schema(responses=PlacementOutput)
    def get(self, request, pk: int):
        return placement_response(request, visible_placement(request, pk))


class DesignateView(APIView):
    @extend_schema(request=DesignateInput, responses=PlacementOutput)
    def post(self, request, pk: int):
        placement = visible_placement(request, pk)
        require_role(request.user, {Role.ORR_INTAKE}, "designate placements")
        data = DesignateInput(data=request.data)
        data.is_valid(raise_exception=True)
        facility = Unit.objects.filter(code=data.validated_data["facility"]).first()
        if facility is None:
            raise InvalidInput({"facility": ["No such care provider."]})
        placement = services.designate_placement(
            placement=placement, actor=request.user, facility=facility
        )
        return placement_response(request, placement)


class DeclineView(APIView):
    @extend_schema(request=ReasonInput, responses=PlacementOutput)
    def post(self, request, pk: int):
        placement = visible_placement(request, pk)
        require_role(request.user, {Role.ORR_INTAKE}, "decline placements")
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        placement = services.decline_placement(
            placement=placement, actor=request.user, reason=data.validated_data["reason"]
        )
        return placement_response(request, placement)


class CancelPlacementView(APIView):
    @extend_schema(request=ReasonInput, responses=PlacementOutput)
    def post(self, request, pk: int):
        placement = visible_placement(request, pk)
        require_role(request.user, USBP_ROLES | {Role.ERO_OFFICER}, "cancel placements")
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        placement = services.cancel_placement(
            placement=placement, actor=request.user, reason=data.validated_data["reason"]
        )
        return placement_response(request, placement)


class CareProviderList(APIView):
    """Care providers with their beds by sex and age band, and how many are free."""

    @extend_schema(responses=CareProviderOutput(many=True))
    def get(self, request):
        require_role(request.user, OPERATIONAL_ROLES, "read care providers")
        out = []
        for provider in selectors.care_providers():
            bands = selectors.capacity_of(provider)
            out.append(
                {
                    "code": provider.code,
                    "name": provider.name,
                    "timezone": provider.timezone,
                    "capacity": [
                        {
                            "sex": b.sex,
                            "age_band": b.age_band,
                            "beds": b.beds,
                            "occupied": b.occupied,
                            "free": b.free,
                        }
                        for b in bands
                    ],
                    "free_beds": sum(b.free for b in bands),
                }
            )
        return Response(CareProviderOutput(out, many=True).data)


class CriminalHistoryView(APIView):
    """Record a person's criminal-history check result (ORR reads its summary)."""

    @extend_schema(request=CriminalHistoryInput, responses={201: CriminalHistoryInput})
    def post(self, request, pk: int):
        case = case_to_act_on(request, pk, USBP_ROLES | {Role.ERO_OFFICER}, "record checks")
        data = CriminalHistoryInput(data=request.data)
        data.is_valid(raise_exception=True)
        check = services.record_criminal_history_check(
            case=case, actor=request.user, **data.validated_data
        )
        return Response(
            {
                "status": check.status,
                "summary": check.summary,
                "source": check.source,
                "checked_at": check.checked_at.isoformat(),
            },
            status=status.HTTP_201_CREATED,
        )


# --- movements ----------------------------------------------------------------------------------


def visible_movement(request, pk) -> Movement:
    require_role(request.user, OPERATIONAL_ROLES, "read movements")
    try:
        return selectors.movements_visible_to(request.user).get(pk=pk)
    except (Movement.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope("No such movement.") from exc


def movement_response(request, movement: Movement, code: int = 200) -> Response:
    fresh = (
        Movement.objects.select_related("from_unit", "to_unit", "contractor", "carrier_agency")
        .prefetch_related("manifest__case")
        .get(pk=movement.pk)
    )
    return Response(MovementOutput(fresh).data, status=code)


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise InvalidInput({field: ["No such unit."]})
    return unit


class MovementBoard(APIView):
    """GET: the movement board, today's and tomorrow's legs in scope (by the calendar of
    the caller's unit). POST: schedule a leg."""

    @extend_schema(
        operation_id="v1_movements_board",
        parameters=[OpenApiParameter("state", enum=MovementState.values, required=False)],
        responses=MovementBoardOutput,
    )
    def get(self, request):
        require_role(request.user, OPERATIONAL_ROLES, "read movements")
        start, end = selectors.board_window(request.user)
        qs = selectors.movement_board(request.user)
        state = request.query_params.get("state")
        if state:
            if state not in MovementState.values:
                raise InvalidInput({"state": [f"Choose from: {', '.join(MovementState.values)}."]})
            qs = qs.filter(state=state)
        return Response(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "results": MovementOutput(qs, many=True).data,
            }
        )

    @extend_schema(request=MovementInput, responses={201: MovementOutput})
    def post(self, request):
        require_role(request.user, services.MOVEMENT_ROLES, "schedule movements")
        data = MovementInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        carrier = v["carrier"]
        contractor = agency = None
        if carrier.get("contractor"):
            contractor = Contractor.objects.filter(code=carrier["contractor"]).first()
            if contractor is None:
                raise InvalidInput({"carrier.contractor": ["No such contractor."]})
        if carrier.get("agency"):
            agency = _unit(carrier["agency"], "carrier.agency")
        ids = list(dict.fromkeys(v["cases"]))
        # Scoped here, so a case outside the caller's scope reads exactly as an absent one.
        cases = list(cases_visible_to(request.user).filter(pk__in=ids))
        if len(cases) != len(ids):
            raise InvalidInput({"cases": ["No such case in your scope."]})
        movement = services.schedule_movement(
            actor=request.user,
            from_unit=_unit(v["from_unit"], "from_unit"),
            to_unit=_unit(v["to_unit"], "to_unit"),
            cases=cases,
            scheduled_pickup_at=v["scheduled_pickup_at"],
            contractor=contractor,
            carrier_agency=agency,
            distance_miles=v["distance_miles"],
        )
        return movement_response(request, movement, status.HTTP_201_CREATED)


class MovementDetail(APIView):
    @extend_schema(responses=MovementOutput)
    def get(self, request, pk: int):
        return movement_response(request, visible_movement(request, pk))


def _movement_target(request, pk) -> Movement:
    """The movement a step acts on: one in scope, or one arriving at the caller's unit."""
    require_role(request.user, OPERATIONAL_ROLES, "act on movements")
    movement = Movement.objects.select_related("to_unit").filter(pk=pk).first()
    # Scope before input validation, so bad input on someone else's leg answers 404 too.
    if movement is None or not (
        selectors.movements_visible_to(request.user).filter(pk=pk).exists()
        or selectors.can_receive(request.user, movement.to_unit)
    ):
        raise OutOfScope("No such movement.")
    return movement


class MovementStep(APIView):
    step = ""

    @extend_schema(request=AtInput, responses=MovementOutput)
    def post(self, request, pk: int):
        movement = _movement_target(request, pk)
        data = AtInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = {
            "depart": services.depart_movement,
            "arrive": services.arrive_movement,
            "handover": services.confirm_handover,
        }[self.step]
        movement = service(movement=movement, actor=request.user, at=data.validated_data["at"])
        return movement_response(request, movement)


class DepartView(MovementStep):
    step = "depart"


class ArriveView(MovementStep):
    step = "arrive"


class HandoverView(MovementStep):
    """The receiving unit confirms the hand-over: every case on the manifest transfers."""

    step = "handover"


class CancelMovementView(APIView):
    @extend_schema(request=ReasonInput, responses=MovementOutput)
    def post(self, request, pk: int):
        movement = _movement_target(request, pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        movement = services.cancel_movement(
            movement=movement, actor=request.user, reason=data.validated_data["reason"]
        )
        return movement_response(request, movement)


# --- family links ---------------------------------------------------------------------------------


class CaseRelatives(APIView):
    """Where each person linked to this case's subject is now, within the caller's scope."""

    @extend_schema(responses=RelativeOutput(many=True))
    def get(self, request, pk: int):
        require_role(request.user, OPERATIONAL_ROLES, "read relatives")
        case = selectors.case_for_relatives(request.user, pk)
        if case is None:
            raise OutOfScope("No such case.")
        return Response(RelativeOutput(selectors.relatives_of(request.user, case), many=True).data)


class SubjectRelatives(APIView):
    @extend_schema(responses=RelativeOutput(many=True))
    def get(self, request, pk: int):
        require_role(request.user, OPERATIONAL_ROLES, "read relatives")
        case_id = Case.objects.filter(subject_id=pk).values_list("pk", flat=True).first()
        case = selectors.case_for_relatives(request.user, case_id) if case_id else None
        if case is None:
            raise OutOfScope("No such person.")
        return Response(RelativeOutput(selectors.relatives_of(request.user, case), many=True).data)


# --- contractors and invoices -------------------------------------------------------------------

INVOICE_ROLES = {Role.ERO_OFFICER, Role.MANAGER, Role.AUDITOR}
# Managers and auditors read invoices; importing one writes (DESIGN.md: managers read-only).
INVOICE_IMPORT_ROLES = {Role.ERO_OFFICER}


class ContractorList(APIView):
    @extend_schema(responses=ContractorOutput(many=True))
    def get(self, request):
        require_role(request.user, INVOICE_ROLES, "read contractors")
        return Response(ContractorOutput(selectors.contractors(), many=True).data)


class InvoiceUpload(APIView):
    """Upload a contractor's invoice (CSV) and get its reconciliation."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=InvoiceUploadInput, responses={201: InvoiceOutput})
    def post(self, request, code: str):
        require_role(request.user, INVOICE_IMPORT_ROLES, "import invoices")
        contractor = Contractor.objects.filter(code=code).first()
        if contractor is None:
            raise OutOfScope("No such contractor.")
        data = InvoiceUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if (upload.size or 0) > services.MAX_INVOICE_BYTES:
            raise InvalidInput({"file": ["The file is larger than 5 MB."]})
        invoice = services.import_invoice(
            contractor=contractor,
            number=data.validated_data["number"],
            content=upload.read(),
            actor=request.user,
        )
        fresh = selectors.invoices_visible_to(request.user).get(pk=invoice.pk)
        return Response(InvoiceOutput(fresh).data, status=status.HTTP_201_CREATED)


class InvoiceDetail(APIView):
    @extend_schema(responses=InvoiceOutput)
    def get(self, request, pk: int):
        require_role(request.user, INVOICE_ROLES, "read invoices")
        invoice = selectors.invoices_visible_to(request.user).filter(pk=pk).first()
        if invoice is None:
            raise OutOfScope("No such invoice.")
        return Response(InvoiceOutput(invoice).data)
