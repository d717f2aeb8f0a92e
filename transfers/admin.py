"""Admin for placements, capacity, movements, separations, contractors and invoices.

State fields are protected (django-fsm): the admin shows them read-only, and changes of
state go through the services (the API), which write the event log."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    BedCapacity,
    Contractor,
    ContractTerms,
    CriminalHistoryCheck,
    Invoice,
    InvoiceLine,
    ManifestEntry,
    Movement,
    PlacementRequest,
    Separation,
    TravelCompanion,
)


@admin.register(BedCapacity)
class BedCapacityAdmin(SimpleHistoryAdmin):
    list_display = ("provider", "sex", "age_band", "beds")
    list_filter = ("provider", "sex", "age_band")


class TravelCompanionInline(admin.TabularInline):
    model = TravelCompanion
    extra = 0
    readonly_fields = ("subject", "name", "relation")
    can_delete = False


@admin.register(PlacementRequest)
class PlacementRequestAdmin(SimpleHistoryAdmin):
    list_display = ("id", "case", "state", "facility", "requested_at", "designated_at")
    list_filter = ("state", "facility")
    search_fields = ("case__case_number",)
    readonly_fields = (
        "case",
        "state",
        "previous",
        "requested_by",
        "requested_at",
        "facility",
        "age_band",
        "designated_by",
        "designated_at",
        "declined_by",
        "declined_at",
        "decline_reason",
        "cancelled_by",
        "cancelled_at",
        "cancel_reason",
    )
    inlines = [TravelCompanionInline]

    def has_add_permission(self, request):
        return False


@admin.register(CriminalHistoryCheck)
class CriminalHistoryCheckAdmin(admin.ModelAdmin):
    list_display = ("subject", "status", "source", "checked_at", "checked_by")
    list_filter = ("status",)
    readonly_fields = ("subject", "checked_by", "checked_at")


class ManifestInline(admin.TabularInline):
    model = ManifestEntry
    extra = 0
    readonly_fields = ("case",)
    can_delete = False


@admin.register(Movement)
class MovementAdmin(SimpleHistoryAdmin):
    list_display = (
        "trip_number",
        "state",
        "from_unit",
        "to_unit",
        "contractor",
        "scheduled_pickup_at",
        "cost",
    )
    list_filter = ("state", "contractor")
    search_fields = ("trip_number",)
    readonly_fields = (
        "trip_number",
        "state",
        "from_unit",
        "to_unit",
        "contractor",
        "carrier_agency",
        "departed_at",
        "arrived_at",
        "handed_over_at",
        "handed_over_to",
        "cost",
        "cost_basis",
        "scheduled_by",
    )
    inlines = [ManifestInline]

    def has_add_permission(self, request):
        return False


@admin.register(Separation)
class SeparationAdmin(admin.ModelAdmin):
    list_display = ("link", "reason", "moved_to", "relative_at", "recorded_at")
    list_filter = ("reason",)
    readonly_fields = (
        "link",
        "moved_case",
        "reason",
        "detail",
        "moved_to",
        "relative_at",
        "recorded_at",
        "recorded_by",
    )


class ContractTermsInline(admin.TabularInline):
    model = ContractTerms
    extra = 0


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "contract_number", "active")
    inlines = [ContractTermsInline]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "line_number",
        "trip_number",
        "service_date",
        "persons",
        "miles",
        "amount",
        "movement",
        "status",
        "recorded_cost",
        "questioned_amount",
        "note",
    )


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("contractor", "number", "billed_total", "questioned_total", "imported_at")
    list_filter = ("contractor",)
    readonly_fields = (
        "contractor",
        "number",
        "sha256",
        "imported_at",
        "imported_by",
        "billed_total",
        "supported_total",
        "questioned_total",
    )
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False
