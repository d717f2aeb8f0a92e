"""UAC placement requests to ORR, care-provider capacity, criminal-history summaries,
movements with their manifests and hand-overs, family separations, and transport
contractors with their costs and invoices."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from cases.models import Case, FamilyLink, Sex, Subject, Unit, UnitKind, User

# --- care providers ---------------------------------------------------------------------------


class AgeBand(models.TextChoices):
    # ORR keeps children of 12 and under ("tender age") apart from teenagers.
    TENDER_AGE = "tender_age", "0-12 (tender age)"
    TEEN = "teen", "13-17"


TENDER_AGE_MAX = 12


def age_band_for(age: int) -> str:
    return AgeBand.TENDER_AGE if age <= TENDER_AGE_MAX else AgeBand.TEEN


class BedCapacity(models.Model):
    """Beds of one care provider for one sex and age band. Free beds are these minus the
    placements designated to it (``transfers.selectors.capacity_of``)."""

    provider = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="bed_capacity",
        limit_choices_to={"kind": UnitKind.CARE_PROVIDER},
    )
    sex = models.CharField(max_length=1, choices=[c for c in Sex.choices if c[0] != Sex.UNKNOWN])
    age_band = models.CharField(max_length=16, choices=AgeBand.choices)
    beds = models.PositiveIntegerField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["provider__code", "sex", "age_band"]
        verbose_name_plural = "bed capacity"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "sex", "age_band"], name="one_capacity_row_per_band"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.sex} {self.age_band}: {self.beds}"


# --- criminal history ---------------------------------------------------------------------------


class CheckStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    NO_RECORD = "no_record", "No record found"
    RECORD_FOUND = "record_found", "Record found"


class CriminalHistoryCheck(models.Model):
    """The result of a criminal-history check of one person. HHS's auditors found ORR could
    not get the background of the adults a child travelled with: ORR sees this summary (not
    the record) for each accompanying adult of a child it places."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="criminal_history_checks"
    )
    status = models.CharField(max_length=16, choices=CheckStatus.choices)
    summary = models.CharField(
        max_length=500, blank=True, help_text="What ORR may read, e.g. 'DUI conviction 2019'."
    )
    source = models.CharField(max_length=40, default="IDENT/NGI")
    checked_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(User, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.status}"


# --- placement requests ------------------------------------------------------------------------


class PlacementState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    DESIGNATED = "designated", "Designated"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PLACEMENT_STATES = (PlacementState.REQUESTED, PlacementState.DESIGNATED)


class PlacementRequest(ConcurrentTransitionMixin, models.Model):
    """USBP's request that ORR place one unaccompanied child, and ORR's answer.

    A declined request stays declined; the agent re-requests with a new row that points to
    it (``previous``), so every ORR answer keeps its own audited record
    (docs/decisions/040-placement-re-request-is-a-new-request.md).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="placements")
    state = FSMField(
        default=PlacementState.REQUESTED,
        choices=PlacementState.choices,
        protected=True,
        db_index=True,
    )
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_request"
    )
    # What ORR needs to place the child.
    pregnant = models.BooleanField(default=False)
    disability = models.BooleanField(default=False)
    medical_notes = models.TextField(blank=True)
    tender_age = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True)
    sponsor = models.JSONField(
        default=dict, blank=True, help_text="Potential sponsor: name, relationship, phone, address."
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    facility = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
        limit_choices_to={"kind": UnitKind.CARE_PROVIDER},
    )
    age_band = models.CharField(max_length=16, choices=AgeBand.choices, blank=True)
    designated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    designated_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    declined_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state__in=["requested", "designated"]),
                name="one_open_placement_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"placement {self.pk} of {self.case_id} ({self.state})"

    @transition(field=state, source=PlacementState.REQUESTED, target=PlacementState.DESIGNATED)
    def designate(self, *, facility: Unit, by: User, age_band: str) -> None:
        self.facility = facility
        self.age_band = age_band
        self.designated_by = by
        self.designated_at = timezone.now()

    @transition(field=state, source=PlacementState.REQUESTED, target=PlacementState.DECLINED)
    def decline(self, *, reason: str, by: User) -> None:
        self.decline_reason = reason
        self.declined_by = by
        self.declined_at = timezone.now()

    @transition(
        field=state,
        source=[PlacementState.REQUESTED, PlacementState.DESIGNATED],
        target=PlacementState.CANCELLED,
    )
    def cancel(self, *, reason: str, by: User) -> None:
        self.cancel_reason = reason
        self.cancelled_by = by
        self.cancelled_at = timezone.now()


class TravelCompanion(models.Model):
    """A person the child travelled with, as told to ORR. ``subject`` is set when the
    companion was booked too, so that their criminal-history summary can be shown."""

    placement = models.ForeignKey(
        PlacementRequest, on_delete=models.CASCADE, related_name="companions"
    )
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    relation = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


# --- transport contractors ------------------------------------------------------------------


class Contractor(models.Model):
    """A transport contractor paid by the terms of its contract."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    contract_number = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ContractTerms(models.Model):
    """A contract's price: per trip, per person carried and per mile, valid over a period."""

    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="terms")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    per_trip = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    per_person = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    per_mile = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["contractor", "-valid_from"]
        verbose_name_plural = "contract terms"
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "valid_from"], name="one_terms_per_start_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contractor.code} from {self.valid_from}"

    def price(self, *, persons: int, miles: Decimal) -> Decimal:
        total = self.per_trip + self.per_person * persons + self.per_mile * miles
        return total.quantize(Decimal("0.01"))


# --- movements ---------------------------------------------------------------------------------


class MovementState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_TRANSIT = "in_transit", "In transit"
    ARRIVED = "arrived", "Arrived"
    HANDED_OVER = "handed_over", "Handed over"
    CANCELLED = "cancelled", "Cancelled"


class Movement(ConcurrentTransitionMixin, models.Model):
    """One transport leg from a unit to a unit carrying a manifest of cases. The receiving
    unit's confirmation of the hand-over transfers custody of every case on it at once."""

    trip_number = models.CharField(max_length=32, unique=True, editable=False)
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="departures")
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="arrivals")
    contractor = models.ForeignKey(
        Contractor, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    carrier_agency = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_movements",
        help_text="When an agency carries the leg itself (no contractor).",
    )
    state = FSMField(
        default=MovementState.SCHEDULED,
        choices=MovementState.choices,
        protected=True,
        db_index=True,
    )
    scheduled_pickup_at = models.DateTimeField(db_index=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    distance_miles = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_basis = models.JSONField(default=dict, blank=True)
    cancel_reason = models.TextField(blank=True)
    scheduled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scheduled_pickup_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contractor__isnull=True) | Q(carrier_agency__isnull=True),
                name="one_carrier",
            ),
            models.CheckConstraint(condition=~Q(from_unit=models.F("to_unit")), name="real_leg"),
        ]

    def __str__(self) -> str:
        return self.trip_number

    @property
    def carrier(self) -> str:
        if self.contractor_id:
            return self.contractor.code
        return self.carrier_agency.code if self.carrier_agency_id else ""

    @transition(field=state, source=MovementState.SCHEDULED, target=MovementState.IN_TRANSIT)
    def depart(self, *, at) -> None:
        self.departed_at = at

    @transition(field=state, source=MovementState.IN_TRANSIT, target=MovementState.ARRIVED)
    def arrive(self, *, at) -> None:
        self.arrived_at = at

    @transition(
        field=state,
        source=[MovementState.IN_TRANSIT, MovementState.ARRIVED],
        target=MovementState.HANDED_OVER,
    )
    def hand_over(self, *, at, to: User) -> None:
        self.arrived_at = self.arrived_at or at
        self.handed_over_at = at
        self.handed_over_to = to

    @transition(field=state, source=MovementState.SCHEDULED, target=MovementState.CANCELLED)
    def cancel(self, *, reason: str) -> None:
        self.cancel_reason = reason


class ManifestEntry(models.Model):
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="manifest")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="manifest_entries")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "manifest entries"
        constraints = [
            models.UniqueConstraint(fields=["movement", "case"], name="case_once_per_movement")
        ]

    def __str__(self) -> str:
        return f"{self.movement_id}: {self.case_id}"


# --- family separations ------------------------------------------------------------------------


class SeparationReason(models.TextChoices):
    PROSECUTION = "prosecution", "Adult referred to the U.S. Marshals for prosecution"
    UAC_PLACEMENT = "uac_placement", "Child placed with ORR"
    DETENTION = "detention", "Transferred to ICE detention"
    RELEASE = "release", "Released into the United States"
    OTHER = "other", "Other"


class Separation(models.Model):
    """Two linked people who left for different units. Nothing tracked separated families
    across agencies; this row is what every agency can now see."""

    link = models.ForeignKey(FamilyLink, on_delete=models.PROTECT, related_name="separations")
    moved_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=SeparationReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    moved_to = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    relative_at = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"separation of link {self.link_id}: {self.reason}"


# --- invoices ---------------------------------------------------------------------------------


class LineStatus(models.TextChoices):
    OK = "ok", "Supported"
    UNSUPPORTED = "unsupported", "No recorded movement supports it"
    DUPLICATED = "duplicated", "Billed more than once"
    OVER_BILLED = "over_billed", "Billed above the contract's price"


class Invoice(models.Model):
    """A contractor's invoice, imported from CSV and reconciled against recorded movements."""

    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    billed_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    supported_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    questioned_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "number"], name="one_invoice_number")
        ]

    def __str__(self) -> str:
        return f"{self.contractor.code} {self.number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    trip_number = models.CharField(max_length=32, db_index=True)
    service_date = models.DateField(null=True, blank=True)
    persons = models.PositiveIntegerField(default=0)
    miles = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    movement = models.ForeignKey(
        Movement, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    status = models.CharField(max_length=16, choices=LineStatus.choices)
    recorded_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    questioned_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["invoice", "line_number"]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.line_number} {self.status}"
