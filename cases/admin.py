"""Admin: units, users, cases and a read-only event log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ApprehensionEvent,
    Case,
    Document,
    EventLogEntry,
    FamilyLink,
    IdempotencyKey,
    ReadAccess,
    SlaClock,
    SlaExtension,
    SlaPolicy,
    Subject,
    Unit,
    User,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "routes_to", "timezone")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "unit", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Unit and role", {"fields": ("role", "unit")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Unit and role", {"fields": ("role", "unit")}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("case_number", "state", "demographic", "station", "routed_to", "booked_at")
    list_filter = ("state", "demographic", "routed_to")
    search_fields = ("case_number", "subject__last_name", "subject__a_number")


@admin.register(Subject)
class SubjectAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("last_name", "second_last_name", "first_name", "date_of_birth")
    search_fields = ("last_name", "first_name", "a_number")


@admin.register(EventLogEntry)
class EventLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "case", "actor", "actor_role", "occurred_at")
    list_filter = ("event_type",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "duration", "citation", "active")


for model in (ApprehensionEvent, Document, FamilyLink, SlaClock, SlaExtension):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(ReadAccess)
class ReadAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "case", "what", "ip", "request_id")
    list_filter = ("what",)
    search_fields = ("user__username", "case__case_number", "request_id")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "key", "method", "path", "status_code")
    search_fields = ("user__username", "key")
