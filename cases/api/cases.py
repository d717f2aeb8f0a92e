"""Units, cases, the narrative, the transitions and the history (API.md "Cases")."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..exceptions import InvalidInput
from ..models import Case, EventLogEntry, ReadAccess, Role, Unit
from ..serializers import (
    AcceptInput,
    CaseCreateInput,
    CaseOutput,
    CaseUpdateInput,
    HistoryOutput,
    NarrativeInput,
    RejectInput,
    ReleaseInput,
    SubmitInput,
    TransferInput,
    UnitOutput,
)
from .base import (
    attach_units,
    case_answer,
    case_response,
    client_ip,
    require_case_role,
    require_visible,
    scoped_cases,
    visible_case,
)
from .filters import CaseFilter, UnitFilter
from .idempotency import idempotent
from .pagination import NEAREST_DUE, NEWEST_FIRST, KeysetPagination

TRANSITIONS = ("submit", "accept", "reject", "transfer", "release")


class UnitList(generics.ListAPIView):
    """Reference units, filterable by ``kind`` and ``parent`` (unit code)."""

    serializer_class = UnitOutput
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_class = UnitFilter
    queryset = Unit.objects.select_related("parent", "routes_to").order_by("path")


class CaseListCreate(generics.GenericAPIView):
    """The cases in the caller's scope (newest first; an ERO officer's queue nearest due time
    first), and booking a new case."""

    serializer_class = CaseOutput
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        require_case_role(self.request.user)
        return scoped_cases(self.request.user)

    def keyset_order(self) -> str:
        wanted = self.request.query_params.get("ordering")
        if wanted in (NEAREST_DUE, NEWEST_FIRST):
            return wanted
        return NEAREST_DUE if self.request.user.role == Role.ERO_OFFICER else NEWEST_FIRST

    @extend_schema(
        responses=CaseOutput(many=True),
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=[NEAREST_DUE, NEWEST_FIRST],
                description="`due`: nearest running due time first (the default for ERO "
                "officers); `newest`: newest booking first (everyone else's default).",
            )
        ],
    )
    def get(self, request):
        if request.query_params.get("ordering") not in (None, NEAREST_DUE, NEWEST_FIRST):
            raise InvalidInput({"ordering": [f"Choose {NEAREST_DUE} or {NEWEST_FIRST}."]})
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        attach_units(page)
        data = CaseOutput(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(request=CaseCreateInput, responses={201: CaseOutput})
    @idempotent
    def post(self, request):
        require_case_role(request.user)
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        station = None
        if v.get("station"):
            # With its sector and the sector's AOR: booking routes the case to them.
            station = (
                Unit.objects.filter(code=v["station"]).select_related("parent__routes_to").first()
            )
            if station is None:
                raise InvalidInput({"station": ["No such station."]})
        relatives = []
        for r in v.get("relatives", []):
            relative = selectors.cases_visible_to(request.user).filter(pk=r["case"]).first()
            if relative is None:
                raise InvalidInput({"relatives": ["No such case in your scope."]})
            relatives.append(
                services.RelativeData(case=relative, relation=r["relation"], source=r["source"])
            )
        case = services.book_case(
            actor=request.user,
            subject=services.SubjectData(
                **{**v["subject"], "a_number": v["subject"].get("a_number") or ""}
            ),
            event_number=v["event_number"].upper(),
            apprehended_at=v.get("apprehended_at"),
            demographic=v["demographic"],
            family_group_number=v.get("family_group_number"),
            station=station,
            relatives=relatives,
        )
        return case_response(request, case, status.HTTP_201_CREATED)


class CaseDetail(APIView):
    """One case; PATCH corrects a booked or rejected case. Every read is logged."""

    @extend_schema(responses=CaseOutput)
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        services.record_read(
            user=request.user, case=case, what=ReadAccess.What.DETAIL, ip=client_ip(request)
        )
        return case_answer(request, case)

    @extend_schema(request=CaseUpdateInput, responses=CaseOutput)
    def patch(self, request, pk: int):
        case = visible_case(request, pk)
        data = CaseUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        case = services.update_case(case=case, actor=request.user, changes=data.validated_data)
        return case_response(request, case)


class NarrativeView(APIView):
    """The I-213 narrative as text (reads are logged)."""

    @extend_schema(responses=inline_serializer("Narrative", {"text": serializers.CharField()}))
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        services.record_read(
            user=request.user, case=case, what=ReadAccess.What.NARRATIVE, ip=client_ip(request)
        )
        return Response({"text": case.narrative})

    @extend_schema(request=NarrativeInput, responses=CaseOutput)
    @idempotent
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        data = NarrativeInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.set_narrative(
            case=case, actor=request.user, text=data.validated_data["text"]
        )
        return case_response(request, case)


class TransitionView(APIView):
    """POST /cases/{id}/<transition>/: one service call each, answering the updated case."""

    input_class: type[serializers.Serializer] = SubmitInput

    @idempotent
    def post(self, request, pk: int):
        require_visible(request, pk)
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        case = self.perform(pk, request.user, data.validated_data)
        return case_response(request, case)

    def perform(self, case: int, user, v):
        """Call the service on the case's id; the service locks and reads it."""
        raise NotImplementedError


def _transition_schema(input_class):
    return extend_schema(request=input_class, responses=CaseOutput)


@_transition_schema(SubmitInput)
class SubmitView(TransitionView):
    """The agent submits the A-file packet to the routed ERO AOR."""

    input_class = SubmitInput

    def perform(self, case, user, v):
        return services.submit_case(
            case=case, actor=user, acknowledge_warnings=v["acknowledge_warnings"]
        )


@_transition_schema(AcceptInput)
class AcceptView(TransitionView):
    """An ERO officer of the routed AOR accepts custody."""

    input_class = AcceptInput

    def perform(self, case, user, v):
        return services.accept_case(case=case, actor=user, comment=v["comment"])


@_transition_schema(RejectInput)
class RejectView(TransitionView):
    """An ERO officer of the routed AOR rejects the packet with reason codes."""

    input_class = RejectInput

    def perform(self, case, user, v):
        return services.reject_case(
            case=case, actor=user, reasons=v["reasons"], comment=v["comment"]
        )


@_transition_schema(TransferInput)
class TransferView(TransitionView):
    """Custody moves to a named receiving unit."""

    input_class = TransferInput

    def perform(self, case, user, v):
        to_unit = Unit.objects.filter(code=v["to_unit"]).first()
        if to_unit is None:
            raise InvalidInput({"to_unit": ["No such unit."]})
        return services.transfer_case(case=case, actor=user, to_unit=to_unit)


@_transition_schema(ReleaseInput)
class ReleaseView(TransitionView):
    """Release into the United States to a valid address (never a UAC)."""

    input_class = ReleaseInput

    def perform(self, case, user, v):
        return services.release_case(
            case=case,
            actor=user,
            release_type=v["release_type"],
            address=dict(v["address"]),
            acknowledge_warnings=v["acknowledge_warnings"],
        )


class HistoryView(APIView):
    """Every transition ever made on the case, oldest first."""

    @extend_schema(responses=HistoryOutput(many=True))
    def get(self, request, pk: int):
        case = visible_case(request, pk)
        rows = (
            EventLogEntry.objects.filter(case=case, transition__in=TRANSITIONS)
            .select_related("actor", "actor_unit")
            .order_by("id")
        )
        return Response(HistoryOutput(rows, many=True).data)
