"""django-filter FilterSets of the list endpoints (invalid values answer 400 ``invalid``)."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from ..models import Case, CaseState, Demographic, ReadAccess, Unit, UnitKind
from .converters import MAX_DB_ID


class SafeIsoDateTimeField(IsoDateTimeField):
    """An instant the database can store: year 1 with an offset overflows in UTC."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None:
            try:
                parsed.astimezone(UTC)
            except OverflowError as exc:
                raise forms.ValidationError("Enter a date between years 1 and 9999.") from exc
        return parsed


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


class CaseFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CaseState.choices)
    demographic = django_filters.ChoiceFilter(choices=Demographic.choices)
    routed_to = django_filters.CharFilter(field_name="routed_to__code", max_length=32)
    station = django_filters.CharFilter(field_name="station__code", max_length=32)
    sector = django_filters.CharFilter(field_name="sector__code", max_length=32)
    case_number = django_filters.CharFilter(max_length=32)
    booked_after = InstantFilter(field_name="booked_at", lookup_expr="gte")
    booked_before = InstantFilter(field_name="booked_at", lookup_expr="lt")
    apprehended_after = InstantFilter(field_name="subject__apprehended_at", lookup_expr="gte")
    apprehended_before = InstantFilter(field_name="subject__apprehended_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields = [
            "state",
            "demographic",
            "routed_to",
            "station",
            "sector",
            "case_number",
            "booked_after",
            "booked_before",
            "apprehended_after",
            "apprehended_before",
        ]


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    parent = django_filters.CharFilter(field_name="parent__code", max_length=32)

    class Meta:
        model = Unit
        fields = ["kind", "parent"]


class ReadAccessFilter(django_filters.FilterSet):
    case = IdFilter(field_name="case_id", min_value=1, max_value=MAX_DB_ID)
    user = django_filters.CharFilter(field_name="user__username", max_length=150)
    what = django_filters.ChoiceFilter(choices=ReadAccess.What.choices)
    after = InstantFilter(field_name="at", lookup_expr="gte")
    before = InstantFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = ReadAccess
        fields = ["case", "user", "what", "after", "before"]
