"""The SLA API: policies, breaches, the "Top 15" longest in custody, clocks and extensions.

Thin views: each checks the role, reads through a scoped selector or calls one service, and
serializes. Times are UTC instants; each row also carries them in its sector's local zone.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, sla
from .exceptions import InvalidInput, NotPermitted, OutOfScope
from .models import Role, SlaClock, SlaExtension, SlaPolicy, Unit, UnitKind
from .serializers import AwareDateTimeField

POLICY_ROLES = {Role.MANAGER, Role.AUDITOR, Role.USBP_SUPERVISOR}
BREACH_ROLES = {Role.MANAGER, Role.USBP_SUPERVISOR}
CUSTODY_LIST_ROLES = {Role.MANAGER, Role.USBP_SUPERVISOR, Role.AUDITOR}
CLOCK_ROLES = {
    Role.USBP_AGENT,
    Role.USBP_SUPERVISOR,
    Role.ERO_OFFICER,
    Role.MANAGER,
    Role.AUDITOR,
}
MAX_BREACHES = 10_000


def _require(user, roles: set[str], what: str) -> None:
    if user.role not in roles:
        raise NotPermitted(f"Your role may not see {what}.")


def _int_param(request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise InvalidInput({name: [f"Give a whole number from {low} to {high}."]})
    return value


class _OrrUnitMixin:
    """The ORR intake unit, looked up once per response (it answers for ORR clocks)."""

    def _orr(self):
        if "orr_unit" not in self.context:
            self.context["orr_unit"] = (
                Unit.objects.filter(kind=UnitKind.ORR_INTAKE).order_by("path").first()
            )
        return self.context["orr_unit"]

    def _responsible(self, clock: SlaClock):
        if clock.policy.responsible == "orr":
            return self._orr()
        return sla.responsible_unit(clock)


# --- output ----------------------------------------------------------------------------------


class PolicyOutput(serializers.ModelSerializer):
    duration_hours = serializers.SerializerMethodField()

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "title",
            "start_event",
            "start_anchor",
            "stop_events",
            "demographics",
            "duration_hours",
            "warning_points",
            "notify",
            "responsible",
            "citation",
            "active",
        ]

    def get_duration_hours(self, policy: SlaPolicy) -> float:
        return policy.duration / timedelta(hours=1)


class BreachOutput(_OrrUnitMixin, serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    case_number = serializers.CharField(source="case.case_number")
    policy = serializers.CharField(source="policy.name")
    unit = serializers.SerializerMethodField(help_text="The unit that had to act.")
    station = serializers.CharField(source="case.station.code")
    timezone = serializers.CharField(source="case.station.timezone")
    due_at_local = serializers.SerializerMethodField()
    breached_at_local = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "case",
            "case_number",
            "policy",
            "due_at",
            "extended_due_at",
            "breached_at",
            "stopped_at",
            "status",
            "unit",
            "station",
            "timezone",
            "due_at_local",
            "breached_at_local",
        ]

    def get_unit(self, clock: SlaClock) -> str | None:
        unit = self._responsible(clock)
        return unit.code if unit else None

    def get_due_at_local(self, clock: SlaClock) -> str | None:
        return sla.local_time(clock.effective_due_at, clock.case.station)

    def get_breached_at_local(self, clock: SlaClock) -> str | None:
        return sla.local_time(clock.breached_at, clock.case.station)


class ExtensionOutput(serializers.ModelSerializer):
    granted_by = serializers.CharField(source="granted_by.username")

    class Meta:
        model = SlaExtension
        fields = ["previous_due_at", "new_due_at", "justification", "granted_by", "granted_at"]


class ClockDetailOutput(_OrrUnitMixin, serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    policy = serializers.CharField(source="policy.name")
    title = serializers.CharField(source="policy.title")
    citation = serializers.CharField(source="policy.citation")
    unit = serializers.SerializerMethodField(help_text="The unit that must act.")
    timezone = serializers.CharField(source="case.station.timezone")
    started_at_local = serializers.SerializerMethodField()
    due_at_local = serializers.SerializerMethodField()
    effective_due_at_local = serializers.SerializerMethodField()
    extensions = ExtensionOutput(many=True)

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "case",
            "policy",
            "title",
            "citation",
            "started_at",
            "due_at",
            "extended_due_at",
            "effective_due_at",
            "warnings_sent",
            "warned_at",
            "stopped_at",
            "breached_at",
            "status",
            "unit",
            "timezone",
            "started_at_local",
            "due_at_local",
            "effective_due_at_local",
            "extensions",
        ]

    def get_unit(self, clock: SlaClock) -> str | None:
        unit = self._responsible(clock)
        return unit.code if unit else None

    def get_started_at_local(self, clock: SlaClock) -> str | None:
        return sla.local_time(clock.started_at, clock.case.station)

    def get_due_at_local(self, clock: SlaClock) -> str | None:
        return sla.local_time(clock.due_at, clock.case.station)

    def get_effective_due_at_local(self, clock: SlaClock) -> str | None:
        return sla.local_time(clock.effective_due_at, clock.case.station)


class CustodyOutput(serializers.Serializer):
    case = serializers.IntegerField(source="pk")
    case_number = serializers.CharField()
    demographic = serializers.CharField()
    state = serializers.CharField()
    station = serializers.CharField(source="station.code")
    custody_unit = serializers.CharField(source="custody_unit.code")
    timezone = serializers.CharField(source="station.timezone")
    apprehended_at = serializers.DateTimeField(source="subject.apprehended_at")
    apprehended_at_local = serializers.SerializerMethodField()
    hours_in_custody = serializers.SerializerMethodField()
    custody_due_at = serializers.SerializerMethodField(
        help_text="When the 72-hour USBP custody limit runs out (with any extension)."
    )

    def get_apprehended_at_local(self, case) -> str | None:
        return sla.local_time(case.subject.apprehended_at, case.station)

    def get_hours_in_custody(self, case) -> float:
        return round((self.context["now"] - case.subject.apprehended_at) / timedelta(hours=1), 1)

    def get_custody_due_at(self, case) -> str | None:
        for clock in case.clocks.all():
            if clock.policy.name == "usbp_custody":
                return clock.effective_due_at.isoformat()
        return None


class ExtendInput(serializers.Serializer):
    new_due_at = AwareDateTimeField()
    justification = serializers.CharField(max_length=4000)


# --- views -----------------------------------------------------------------------------------


class PolicyList(APIView):
    """The legal clocks as data (managers, auditors, supervisors)."""

    @extend_schema(responses=PolicyOutput(many=True))
    def get(self, request):
        _require(request.user, POLICY_ROLES, "SLA policies")
        return Response(PolicyOutput(SlaPolicy.objects.order_by("name"), many=True).data)


class BreachList(APIView):
    """Breached clocks in the caller's scope, newest first (managers and supervisors)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("policy", str, description="Only this policy."),
            OpenApiParameter("limit", int, description=f"At most this many (1..{MAX_BREACHES})."),
        ],
        responses=BreachOutput(many=True),
    )
    def get(self, request):
        _require(request.user, BREACH_ROLES, "SLA breaches")
        limit = _int_param(request, "limit", default=1000, low=1, high=MAX_BREACHES)
        qs = selectors.breached_clocks_visible_to(request.user).select_related(
            "case__station", "case__custody_unit", "case__routed_to"
        )
        policy = request.query_params.get("policy")
        if policy:
            qs = qs.filter(policy__name=policy)
        return Response(BreachOutput(qs[:limit], many=True, context={}).data)


class LongestInCustody(APIView):
    """The interagency "Top 15": open cases longest in USBP custody, UACs first."""

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="1..100, default 15.")],
        responses=CustodyOutput(many=True),
    )
    def get(self, request):
        _require(request.user, CUSTODY_LIST_ROLES, "time in custody")
        limit = _int_param(request, "limit", default=15, low=1, high=100)
        cases = sla.longest_in_custody(request.user, limit=limit)
        return Response(CustodyOutput(cases, many=True, context={"now": timezone.now()}).data)


def _visible_clock(request, pk: int) -> SlaClock:
    _require(request.user, CLOCK_ROLES, "legal clocks")
    clock = (
        selectors.clocks_visible_to(request.user)
        .select_related("case__station", "case__custody_unit", "case__routed_to")
        .prefetch_related("extensions__granted_by")
        .filter(pk=pk)
        .first()
    )
    if clock is None:
        raise OutOfScope("No such clock.")
    return clock


class ClockDetail(APIView):
    """One clock with its original and extended due times and every extension."""

    @extend_schema(responses=ClockDetailOutput)
    def get(self, request, pk: int):
        return Response(ClockDetailOutput(_visible_clock(request, pk), context={}).data)


class ClockExtend(APIView):
    """Record "exceptional circumstances" (supervisors in scope)."""

    @extend_schema(request=ExtendInput, responses=ClockDetailOutput)
    def post(self, request, pk: int):
        clock = _visible_clock(request, pk)
        if request.user.role not in sla.EXTENDING_ROLES:
            raise NotPermitted("Only a supervisor may extend a legal clock.")
        data = ExtendInput(data=request.data)
        data.is_valid(raise_exception=True)
        sla.extend_clock(
            clock=clock,
            actor=request.user,
            new_due_at=data.validated_data["new_due_at"],
            justification=data.validated_data["justification"],
        )
        return Response(ClockDetailOutput(_visible_clock(request, pk), context={}).data)
