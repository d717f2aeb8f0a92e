"""The case API of API.md: thin DRF views over the services and selectors."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from . import selectors, services
from .exceptions import InvalidInput, NotPermitted, OutOfScope
from .models import Case, EventLogEntry, Role, Unit
from .serializers import (
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

CASE_ROLES = {Role.USBP_AGENT, Role.USBP_SUPERVISOR, Role.ERO_OFFICER, Role.MANAGER, Role.AUDITOR}
TRANSITIONS = ("submit", "accept", "reject", "transfer", "release")


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=TokenInput,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None or not user.is_active:
            return Response(
                {"error": {"code": "not_authenticated", "message": "Wrong username or password."}},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class UnitList(generics.ListAPIView):
    """Reference units, filterable by ``kind`` and ``parent``."""

    serializer_class = UnitOutput
    pagination_class = None
    filterset_fields = ["kind"]

    def get_queryset(self):
        qs = Unit.objects.select_related("parent", "routes_to").order_by("path")
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent)
        return qs


class CasePagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


def require_case_role(user) -> None:
    if user.role not in CASE_ROLES:
        raise NotPermitted("Your role has no access to cases.")


def visible_case(request, pk) -> Case:
    require_case_role(request.user)
    try:
        return selectors.cases_visible_to(request.user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise OutOfScope("No such case.") from exc


def case_response(request, case: Case, status_code: int = 200) -> Response:
    case = selectors.cases_visible_to(request.user).filter(pk=case.pk).first() or case
    return Response(CaseOutput(case, context={"request": request}).data, status=status_code)


class CaseListCreate(generics.GenericAPIView):
    serializer_class = CaseOutput
    pagination_class = CasePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        require_case_role(self.request.user)
        qs = selectors.cases_visible_to(self.request.user)
        params = self.request.query_params
        for field, lookup in (
            ("state", "state"),
            ("demographic", "demographic"),
            ("routed_to", "routed_to__code"),
            ("station", "station__code"),
        ):
            value = params.get(field)
            if value:
                qs = qs.filter(**{lookup: value})
        return qs

    @extend_schema(responses=CaseOutput(many=True))
    def get(self, request):
        qs = self.get_queryset()
        page = self.paginate_queryset(qs)
        data = CaseOutput(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(request=CaseCreateInput, responses={201: CaseOutput})
    def post(self, request):
        require_case_role(request.user)
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        station = None
        if v.get("station"):
            station = Unit.objects.filter(code=v["station"]).first()
            if station is None:
                raise InvalidInput({"station": ["No such station."]})
        relatives = [
            services.RelativeData(
                case=visible_case(request, r["case"]), relation=r["relation"], source=r["source"]
            )
            for r in v.get("relatives", [])
        ]
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
    @extend_schema(responses=CaseOutput)
    def get(self, request, pk: int):
        return case_response(request, visible_case(request, pk))

    @extend_schema(request=CaseUpdateInput, responses=CaseOutput)
    def patch(self, request, pk: int):
        case = visible_case(request, pk)
        data = CaseUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        case = services.update_case(case=case, actor=request.user, changes=data.validated_data)
        return case_response(request, case)


class NarrativeView(APIView):
    @extend_schema(
        request=NarrativeInput,
        responses=inline_serializer("Narrative", {"text": serializers.CharField()}),
    )
    def get(self, request, pk: int):
        return Response({"text": visible_case(request, pk).narrative})

    @extend_schema(request=NarrativeInput, responses=CaseOutput)
    def post(self, request, pk: int):
        case = visible_case(request, pk)
        data = NarrativeInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.set_narrative(
            case=case, actor=request.user, text=data.validated_data["text"]
        )
        return case_response(request, case)


class TransitionView(APIView):
    """POST /cases/{id}/<transition>/ — one service call each."""

    transition: str = ""
    input_class: type[serializers.Serializer] = SubmitInput

    def post(self, request, pk: int):
        case = visible_case(request, pk)
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        case = self.perform(case, request.user, data.validated_data)
        return case_response(request, case)

    def perform(self, case, user, v):
        raise NotImplementedError


class SubmitView(TransitionView):
    input_class = SubmitInput

    @extend_schema(request=SubmitInput, responses=CaseOutput)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, case, user, v):
        return services.submit_case(
            case=case, actor=user, acknowledge_warnings=v["acknowledge_warnings"]
        )


class AcceptView(TransitionView):
    input_class = AcceptInput

    @extend_schema(request=AcceptInput, responses=CaseOutput)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, case, user, v):
        return services.accept_case(case=case, actor=user, comment=v["comment"])


class RejectView(TransitionView):
    input_class = RejectInput

    @extend_schema(request=RejectInput, responses=CaseOutput)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, case, user, v):
        return services.reject_case(
            case=case, actor=user, reasons=v["reasons"], comment=v["comment"]
        )


class TransferView(TransitionView):
    input_class = TransferInput

    @extend_schema(request=TransferInput, responses=CaseOutput)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, case, user, v):
        to_unit = Unit.objects.filter(code=v["to_unit"]).first()
        if to_unit is None:
            raise InvalidInput({"to_unit": ["No such unit."]})
        return services.transfer_case(case=case, actor=user, to_unit=to_unit)


class ReleaseView(TransitionView):
    input_class = ReleaseInput

    @extend_schema(request=ReleaseInput, responses=CaseOutput)
    def post(self, request, pk: int):
        return super().post(request, pk)

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
