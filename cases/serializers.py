"""API input serializers (what a client may send) and output serializers (what it gets),
kept apart so that no state, actor or routing field can ever be set from input."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from .api.converters import MAX_DB_ID
from .models import (
    Case,
    ClockStatus,
    Demographic,
    Document,
    DocumentKind,
    EventLogEntry,
    ReadAccess,
    RejectionReason,
    Relation,
    RelationSource,
    ReleaseType,
    Sex,
    SlaClock,
    Unit,
    UnitKind,
)


class AwareDateTimeField(serializers.DateTimeField):
    """An instant must carry its offset: a station's wall-clock time without a zone is
    exactly the ambiguity that produced conflicting apprehension times."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-22T03:10:00-07:00.",
    }

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if isinstance(value, str) and not _has_offset(value):
            self.fail("naive")
        return parsed


def _has_offset(text: str) -> bool:
    tail = text.strip()[-6:]
    return (
        text.strip().endswith(("Z", "z"))
        or (tail[0] in "+-" and ":" in tail)
        or (len(text) > 5 and text.strip()[-5] in "+-" and text.strip()[-4:].isdigit())
    )


# --- input -----------------------------------------------------------------------------------


class SubjectInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, allow_blank=True)
    last_name = serializers.CharField(max_length=100, allow_blank=True)
    second_last_name = serializers.CharField(
        max_length=100, allow_blank=True, required=False, default=""
    )
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    country_of_citizenship = serializers.CharField(max_length=3)
    a_number = serializers.CharField(
        max_length=16, allow_blank=True, allow_null=True, required=False, default=""
    )


class RelativeInput(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)
    relation = serializers.ChoiceField(choices=Relation.choices)
    source = serializers.ChoiceField(choices=RelationSource.choices, default="declared")


class CaseCreateInput(serializers.Serializer):
    subject = SubjectInput()
    event_number = serializers.RegexField(
        r"^[A-Za-z0-9-]{4,32}$", error_messages={"invalid": "4 to 32 letters, digits or dashes."}
    )
    apprehended_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    demographic = serializers.ChoiceField(choices=Demographic.choices)
    family_group_number = serializers.CharField(
        max_length=32, allow_blank=True, allow_null=True, required=False, default=None
    )
    station = serializers.CharField(max_length=32, required=False, allow_null=True, default=None)
    relatives = RelativeInput(many=True, required=False, default=list)


class CaseUpdateInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    second_last_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    date_of_birth = serializers.DateField(required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    country_of_citizenship = serializers.CharField(max_length=3, required=False)
    a_number = serializers.CharField(max_length=16, allow_blank=True, required=False)
    apprehended_at = AwareDateTimeField(required=False)
    demographic = serializers.ChoiceField(choices=Demographic.choices, required=False)
    family_group_number = serializers.CharField(max_length=32, allow_blank=True, required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = dict(data)
            subject = data.pop("subject", None)
            if isinstance(subject, dict):
                data.update(subject)
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["This field cannot be changed."] for key in sorted(unknown)}
                )
        return super().to_internal_value(data)


class NarrativeInput(serializers.Serializer):
    text = serializers.CharField(max_length=20000, allow_blank=False, trim_whitespace=True)


class DocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(allow_empty_file=True)


class SubmitInput(serializers.Serializer):
    acknowledge_warnings = serializers.BooleanField(required=False, default=False)


class AcceptInput(serializers.Serializer):
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")


class RejectInput(serializers.Serializer):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=RejectionReason.choices), min_length=1
    )
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")


class TransferInput(serializers.Serializer):
    to_unit = serializers.CharField(max_length=32)


class AddressInput(serializers.Serializer):
    street = serializers.CharField(max_length=200, allow_blank=True)
    city = serializers.CharField(max_length=100, allow_blank=True)
    state = serializers.CharField(max_length=20, allow_blank=True)
    zip = serializers.CharField(max_length=20, allow_blank=True)


class ReleaseInput(serializers.Serializer):
    release_type = serializers.ChoiceField(choices=ReleaseType.choices)
    address = AddressInput()
    acknowledge_warnings = serializers.BooleanField(required=False, default=False)


# --- output ----------------------------------------------------------------------------------


def local_isoformat(value, tz_name: str | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value, ZoneInfo(tz_name or "UTC")).isoformat()


class UnitOutput(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    routes_to = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=UnitKind.choices)

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "timezone", "routes_to"]


# The fields of ClockOutput that are instants, in its field order.
_CLOCK_INSTANTS = (
    "started_at",
    "due_at",
    "extended_due_at",
    "effective_due_at",
    "warned_at",
    "stopped_at",
    "breached_at",
)


class ClockOutput(serializers.ModelSerializer):
    """A case's clock. Case answers write it with ``clock_output`` (the same dicts, faster);
    this stays the definition that tests/cases/test_clock_output.py holds it to."""

    policy = serializers.CharField(source="policy.name")
    title = serializers.CharField(source="policy.title")
    citation = serializers.CharField(source="policy.citation")

    class Meta:
        model = SlaClock
        fields = ["id", "policy", "title", "citation", *_CLOCK_INSTANTS, "status"]


_CLOCK_STATUS = serializers.ChoiceField(choices=ClockStatus.choices)
_DATETIME = serializers.DateTimeField()


def _drf_instant(value: datetime | None, tz: tzinfo) -> str | None:
    """``serializers.DateTimeField().to_representation(value)`` for an aware instant, in a
    quarter of its time: in the current time zone, ISO 8601, ``+00:00`` written ``Z``."""
    if value is None:
        return None
    if value.tzinfo is None:  # DRF makes a naive value aware (or fails): let it.
        return _DATETIME.to_representation(value)
    if value.tzinfo is not tz:
        value = value.astimezone(tz)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def clock_output(clocks: Iterable[SlaClock]) -> list[dict]:
    """``ClockOutput(clocks, many=True).data``, the same dicts key for key and character for
    character, built without a nested serializer: instantiating ClockOutput (a deep copy of
    its fields) for each case of a 50-case page was about 40 % of the ERO queue's time.
    tests/cases/test_clock_output.py holds the two together."""
    if api_settings.DATETIME_FORMAT != ISO_8601 or not settings.USE_TZ:
        return ClockOutput(clocks, many=True).data  # a format this shortcut does not write
    tz = timezone.get_current_timezone()
    status = _CLOCK_STATUS.to_representation
    out = []
    for clock in clocks:
        policy = clock.policy
        row = {
            "id": int(clock.id),
            "policy": str(policy.name),
            "title": str(policy.title),
            "citation": str(policy.citation),
        }
        for name in _CLOCK_INSTANTS:
            row[name] = _drf_instant(getattr(clock, name), tz)
        row["status"] = status(clock.status)
        out.append(row)
    return out


class SubjectOutput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    second_last_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    sex = serializers.CharField()
    country_of_citizenship = serializers.CharField()
    a_number = serializers.CharField()
    apprehended_at = serializers.DateTimeField()


# The attribute where the API's case reads put a case's clocks as a plain list
# (cases/api/base.scoped_cases); a case read otherwise answers its prefetched or fresh clocks.
CLOCK_LIST = "sla_clock_list"


class CaseOutput(serializers.ModelSerializer):
    subject = SubjectOutput()
    station = serializers.CharField(source="station.code")
    sector = serializers.CharField(source="sector.code")
    routed_to = serializers.CharField(source="routed_to.code")
    custody_unit = serializers.CharField(source="custody_unit.code")
    designated_provider = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    event_number = serializers.CharField(source="event.event_number")
    apprehended_at = serializers.DateTimeField(source="subject.apprehended_at")
    apprehended_at_local = serializers.SerializerMethodField()
    timezone = serializers.CharField(source="sector.timezone")
    sla_clocks = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "case_number",
            "state",
            "demographic",
            "family_group_number",
            "subject",
            "event_number",
            "station",
            "sector",
            "routed_to",
            "custody_unit",
            "designated_provider",
            "apprehended_at",
            "apprehended_at_local",
            "timezone",
            "booked_at",
            "submissions",
            "rejection",
            "release_type",
            "closed_at",
            "sla_clocks",
            "allowed_transitions",
        ]

    def get_apprehended_at_local(self, case) -> str | None:
        return local_isoformat(case.subject.apprehended_at, case.sector.timezone)

    def get_sla_clocks(self, case) -> list[dict]:
        clocks = getattr(case, CLOCK_LIST, None)
        if clocks is None:
            clocks = case.clocks.all()
        clocks = sorted(clocks, key=lambda c: (c.started_at, c.id))
        return clock_output(clocks)

    def get_allowed_transitions(self, case) -> list[str]:
        from .services import allowed_transitions

        request = self.context.get("request")
        return allowed_transitions(case, request.user) if request else []

    def get_rejection(self, case) -> dict | None:
        if not case.last_rejection_reasons:
            return None
        labels = dict(RejectionReason.choices)
        return {
            "reasons": case.last_rejection_reasons,
            "labels": [labels.get(r, r) for r in case.last_rejection_reasons],
            "comment": case.last_rejection_comment,
        }


class HistoryOutput(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    role = serializers.CharField(source="actor_role")
    unit = serializers.SlugRelatedField(
        source="actor_unit", slug_field="code", read_only=True, allow_null=True
    )
    at = serializers.DateTimeField(source="occurred_at")

    class Meta:
        model = EventLogEntry
        fields = [
            "id",
            "transition",
            "from_state",
            "to_state",
            "actor",
            "role",
            "unit",
            "at",
            "reason",
            "payload",
        ]


class DocumentOutput(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, document) -> str:
        return f"/api/v1/cases/{document.case_id}/documents/{document.pk}/download/"


class ReadAccessOutput(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.CharField(source="user.role")
    case_number = serializers.CharField(source="case.case_number")
    what = serializers.ChoiceField(choices=ReadAccess.What.choices)

    class Meta:
        model = ReadAccess
        fields = [
            "id",
            "user",
            "role",
            "case",
            "case_number",
            "what",
            "document",
            "at",
            "ip",
            "request_id",
        ]
