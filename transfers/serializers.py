"""Input and output serializers of the transfers API, kept apart: no state, actor, cost or
routing field is ever read from input.

``PlacementOutput`` is ORR's need-to-know view of a child: identity and date of birth,
languages, needs, travel companions with a criminal-history summary each, and the potential
sponsor; nothing else of the A-file (no narrative, documents, apprehension details,
rejection history, or companions' identifiers).
"""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Relation, RelationSource
from cases.serializers import AwareDateTimeField

from .models import (
    CheckStatus,
    Contractor,
    CriminalHistoryCheck,
    Invoice,
    InvoiceLine,
    Movement,
    PlacementRequest,
    Separation,
)

MAX_ID = 2**63 - 1

# --- input -------------------------------------------------------------------------------------


class CompanionInput(serializers.Serializer):
    case = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    relation = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class SponsorInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    relationship = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class NeedsInput(serializers.Serializer):
    pregnant = serializers.BooleanField(required=False, default=False)
    disability = serializers.BooleanField(required=False, default=False)
    medical_notes = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    tender_age = serializers.BooleanField(required=False, allow_null=True, default=None)
    travel_companions = CompanionInput(many=True, required=False, default=list)


class PlacementRequestInput(serializers.Serializer):
    needs = NeedsInput(required=False, default=dict)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=10
    )
    sponsor = SponsorInput(required=False, allow_null=True, default=None)


class DesignateInput(serializers.Serializer):
    facility = serializers.CharField(max_length=32)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CriminalHistoryInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    source = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class CarrierInput(serializers.Serializer):
    contractor = serializers.CharField(max_length=32, required=False, allow_blank=True)
    agency = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MovementInput(serializers.Serializer):
    from_unit = serializers.CharField(max_length=32)
    to_unit = serializers.CharField(max_length=32)
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=200
    )
    carrier = CarrierInput()
    scheduled_pickup_at = AwareDateTimeField()
    distance_miles = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=0, required=False, default=0
    )


class AtInput(serializers.Serializer):
    at = AwareDateTimeField(required=False, allow_null=True, default=None)


class InvoiceUploadInput(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    file = serializers.FileField()


# --- output ------------------------------------------------------------------------------------


class CriminalHistorySummary(serializers.ModelSerializer):
    class Meta:
        model = CriminalHistoryCheck
        fields = ["status", "summary", "checked_at"]


class PlacementOutput(serializers.ModelSerializer):
    """What ORR sees through a placement (tested key by key)."""

    child = serializers.SerializerMethodField()
    needs = serializers.SerializerMethodField()
    travel_companions = serializers.SerializerMethodField()
    requesting_station = serializers.CharField(source="case.station.code")
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    previous = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = PlacementRequest
        fields = [
            "id",
            "case",
            "state",
            "previous",
            "requested_at",
            "requesting_station",
            "child",
            "languages",
            "needs",
            "travel_companions",
            "sponsor",
            "facility",
            "age_band",
            "designated_at",
            "decline_reason",
            "declined_at",
            "cancel_reason",
            "cancelled_at",
        ]

    def get_child(self, placement) -> dict:
        s = placement.case.subject
        return {
            "first_name": s.first_name,
            "last_name": s.last_name,
            "second_last_name": s.second_last_name,
            "date_of_birth": s.date_of_birth.isoformat(),
            "sex": s.sex,
            "country_of_citizenship": s.country_of_citizenship,
            # ORR files the child under the A-number; it is the one identifier shared.
            "a_number": s.a_number,
        }

    def get_needs(self, placement) -> dict:
        return {
            "pregnant": placement.pregnant,
            "disability": placement.disability,
            "medical_notes": placement.medical_notes,
            "tender_age": placement.tender_age,
        }

    def get_travel_companions(self, placement) -> list[dict]:
        out = []
        for companion in placement.companions.all():
            check = None
            if companion.subject_id:
                checks = list(companion.subject.criminal_history_checks.all())
                check = checks[0] if checks else None
            out.append(
                {
                    "name": companion.name,
                    "relation": companion.relation,
                    "criminal_history": CriminalHistorySummary(check).data
                    if check
                    else {"status": "not_checked", "summary": "", "checked_at": None},
                }
            )
        return out


class BandOutput(serializers.Serializer):
    sex = serializers.CharField()
    age_band = serializers.CharField()
    beds = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free = serializers.IntegerField()


class CareProviderOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    capacity = BandOutput(many=True)
    free_beds = serializers.IntegerField()


class ManifestCase(serializers.Serializer):
    id = serializers.IntegerField(source="case.id")
    case_number = serializers.CharField(source="case.case_number")
    demographic = serializers.CharField(source="case.demographic")
    state = serializers.CharField(source="case.state")


class MovementOutput(serializers.ModelSerializer):
    from_unit = serializers.CharField(source="from_unit.code")
    to_unit = serializers.CharField(source="to_unit.code")
    carrier = serializers.SerializerMethodField()
    manifest = serializers.SerializerMethodField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Movement
        fields = [
            "id",
            "trip_number",
            "state",
            "from_unit",
            "to_unit",
            "carrier",
            "scheduled_pickup_at",
            "departed_at",
            "arrived_at",
            "handed_over_at",
            "distance_miles",
            "cost",
            "cost_basis",
            "cancel_reason",
            "manifest",
        ]

    def get_carrier(self, movement) -> dict:
        if movement.contractor_id:
            return {"kind": "contractor", "code": movement.contractor.code}
        return {"kind": "agency", "code": movement.carrier_agency.code}

    def get_manifest(self, movement) -> list[dict]:
        """ORR sees how many people ride and which case numbers, never more."""
        entries = movement.manifest.all()
        return ManifestCase(entries, many=True).data


class MovementBoardOutput(serializers.Serializer):
    """Today's and tomorrow's legs by the calendar of the caller's unit."""

    results = MovementOutput(many=True)
    to = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        return fields


class SeparationOutput(serializers.ModelSerializer):
    moved_to = serializers.CharField(source="moved_to.code")
    relative_at = serializers.CharField(source="relative_at.code")

    class Meta:
        model = Separation
        fields = ["reason", "detail", "moved_to", "relative_at", "recorded_at"]


class RelativeOutput(serializers.Serializer):
    """One linked person and where they are now. ``summary`` entries (ORR, or a relative
    outside the caller's scope) carry no identifiers beyond the name."""

    relation = serializers.ChoiceField(choices=[*Relation.choices, ("ward", "Ward")])
    source = serializers.ChoiceField(choices=RelationSource.choices)
    name = serializers.CharField()
    current_unit = serializers.CharField()
    current_unit_kind = serializers.CharField()
    custody_state = serializers.CharField()
    separation = SeparationOutput(allow_null=True)
    in_scope = serializers.BooleanField()
    case = serializers.IntegerField(allow_null=True, required=False)


class ContractorOutput(serializers.ModelSerializer):
    terms = serializers.SerializerMethodField()

    class Meta:
        model = Contractor
        fields = ["code", "name", "contract_number", "active", "terms"]

    def get_terms(self, contractor) -> list[dict]:
        return [
            {
                "valid_from": t.valid_from.isoformat(),
                "valid_to": t.valid_to.isoformat() if t.valid_to else None,
                "per_trip": str(t.per_trip),
                "per_person": str(t.per_person),
                "per_mile": str(t.per_mile),
            }
            for t in contractor.terms.all()
        ]


class InvoiceLineOutput(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "line_number",
            "trip_number",
            "service_date",
            "persons",
            "miles",
            "amount",
            "status",
            "recorded_cost",
            "questioned_amount",
            "note",
        ]


class InvoiceOutput(serializers.ModelSerializer):
    contractor = serializers.CharField(source="contractor.code")
    lines = InvoiceLineOutput(many=True)
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "contractor",
            "number",
            "sha256",
            "imported_at",
            "billed_total",
            "supported_total",
            "questioned_total",
            "findings",
            "lines",
        ]

    def get_findings(self, invoice) -> dict:
        """Per kind of error: how many lines and how much money is in question."""
        out: dict = {}
        for line in invoice.lines.all():
            if line.status == "ok":
                continue
            entry = out.setdefault(line.status, {"lines": 0, "amount": "0.00"})
            entry["lines"] += 1
            total = sum(
                (x.questioned_amount for x in invoice.lines.all() if x.status == line.status),
            )
            entry["amount"] = f"{total:.2f}"
        return out
