"""Forms of the work-queue pages. They only parse and shape input; every decision (scope,
role, state, the business rules) is taken by the service the view calls."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from . import rules, services
from .exceptions import Violation
from .models import (
    Case,
    Demographic,
    DocumentKind,
    RejectionReason,
    Sex,
    Subject,
    Unit,
    UnitKind,
    User,
)
from .selectors import scope_root

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SubjectFieldsMixin(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    second_last_name = forms.CharField(
        max_length=100, required=False, help_text="Leave empty if the subject has one surname."
    )
    date_of_birth = forms.DateField(widget=DateInput())
    sex = forms.ChoiceField(choices=Sex.choices)
    country_of_citizenship = forms.CharField(
        max_length=3, help_text="ISO 3166 code, e.g. GT, HN, MX."
    )
    a_number = forms.CharField(max_length=20, required=False, label="A-number")
    apprehended_at = forms.DateTimeField(
        label="This subject's apprehension time",
        widget=DateTimeLocalInput(),
        help_text="Station local time. Each person keeps their own time.",
    )
    demographic = forms.ChoiceField(choices=Demographic.choices)
    family_group_number = forms.CharField(
        max_length=20,
        required=False,
        help_text="Family units and groups only: 3 letters and 10 digits.",
    )


class BookingForm(SubjectFieldsMixin):
    event_number = forms.CharField(
        max_length=32, help_text="Subjects apprehended together share one event number."
    )
    station = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False)

    field_order = [
        "event_number",
        "station",
        "apprehended_at",
        "demographic",
        "family_group_number",
        "first_name",
        "last_name",
        "second_last_name",
        "date_of_birth",
        "sex",
        "country_of_citizenship",
        "a_number",
    ]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        root = scope_root(user)
        stations = Unit.objects.filter(kind=UnitKind.STATION)
        stations = stations.filter(path__startswith=root.path) if root else stations.none()
        self.fields["station"].queryset = stations
        if user.unit and user.unit.kind == UnitKind.STATION:
            # An agent books at their own station; the service checks it again.
            del self.fields["station"]

    def rule_feedback(self, now: datetime | None = None) -> list[Violation]:
        """Run the booking rules on whatever parses so far, for live feedback as the agent
        types. Unparsed fields are reported by the form's own errors, not here."""
        self.is_valid()
        data = self.cleaned_data
        subject = Subject(
            first_name=self.data.get("first_name", ""),
            last_name=self.data.get("last_name", ""),
            second_last_name=self.data.get("second_last_name", ""),
            date_of_birth=data.get("date_of_birth"),
            sex=data.get("sex", ""),
            country_of_citizenship=rules.normalize_country(self.data.get("country_of_citizenship"))
            or (self.data.get("country_of_citizenship") or "").strip().upper()[:2],
            apprehended_at=data.get("apprehended_at"),
        )
        out: list[Violation] = []
        try:
            subject.a_number = rules.normalize_a_number(self.data.get("a_number"))
        except ValueError as exc:
            out.append(rules.violation("a_number_format", str(exc), field="a_number"))
        case = Case(
            demographic=data.get("demographic") or "",
            family_group_number=(self.data.get("family_group_number") or "").strip().upper(),
        )
        touched = {k for k, v in self.data.items() if v}
        for v in rules.check_booking(subject=subject, case=case, now=now or timezone.now()):
            # Do not shout about fields the agent has not reached yet.
            if v.field and v.field not in touched and v.field != "demographic":
                continue
            if v.field == "apprehended_at" and subject.apprehended_at is None:
                continue
            if v.rule == "uac_is_minor" and subject.date_of_birth is None:
                continue
            out.append(v)
        return out


class CaseEditForm(SubjectFieldsMixin):
    """Correct a booked or rejected case: only changed fields go to ``update_case``."""

    @classmethod
    def for_case(cls, case: Case, data=None) -> CaseEditForm:
        subject = case.subject
        initial = {name: getattr(subject, name) for name in services.SUBJECT_EDITABLE}
        initial["demographic"] = case.demographic
        initial["family_group_number"] = case.family_group_number
        return cls(data=data, initial=initial)

    def changes(self) -> dict:
        out = {name: self.cleaned_data[name] for name in self.changed_data}
        # The page shows minutes; an untouched time must not count as a correction.
        before = self.initial.get("apprehended_at")
        after = out.get("apprehended_at")
        if before and after and abs((after - before).total_seconds()) < 60:
            del out["apprehended_at"]
        return out


class NarrativeForm(forms.Form):
    text = forms.CharField(
        label="I-213 narrative",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="How, where and when the subject was encountered.",
        max_length=20000,
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Document type")
    file = forms.FileField(label="File (PDF, JPEG, PNG or TIFF, up to 20 MB)")


class SubmitForm(forms.Form):
    acknowledge_warnings = forms.BooleanField(
        required=False, label="I have checked these warnings and submit anyway"
    )


class AcceptForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000, widget=forms.TextInput())


class RejectForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        choices=RejectionReason.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Reasons to fix",
        required=False,
    )
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment for the agent",
        help_text="Say exactly what to fix. Required with 'Other'.",
    )


# --- placement, ORR and movements (the transfers app's services) ---------------------------


class PlacementRequestForm(forms.Form):
    pregnant = forms.BooleanField(required=False)
    disability = forms.BooleanField(required=False)
    medical_notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    languages = forms.CharField(
        required=False, max_length=200, help_text="Comma-separated, e.g. Spanish, K'iche'."
    )
    sponsor_name = forms.CharField(required=False, max_length=200, label="Potential sponsor")
    sponsor_relationship = forms.CharField(required=False, max_length=100, label="Relationship")
    sponsor_phone = forms.CharField(required=False, max_length=40, label="Sponsor phone")
    sponsor_address = forms.CharField(required=False, max_length=300, label="Sponsor address")

    def needs(self):
        from transfers.services import PlacementNeeds

        data = self.cleaned_data
        sponsor = {
            key: data[f"sponsor_{key}"].strip()
            for key in ("name", "relationship", "phone", "address")
            if data[f"sponsor_{key}"].strip()
        }
        return PlacementNeeds(
            pregnant=data["pregnant"],
            disability=data["disability"],
            medical_notes=data["medical_notes"],
            languages=[x.strip() for x in data["languages"].split(",") if x.strip()],
            sponsor=sponsor,
        )


class DesignateForm(forms.Form):
    facility = forms.ModelChoiceField(
        queryset=Unit.objects.filter(kind=UnitKind.CARE_PROVIDER).order_by("code"),
        to_field_name="code",
        label="Care provider",
        empty_label=None,
        widget=forms.RadioSelect,
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Reason for declining"
    )


class MovementForm(forms.Form):
    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(), widget=forms.CheckboxSelectMultiple, label="Manifest"
    )
    to_unit = forms.ModelChoiceField(
        queryset=Unit.objects.filter(
            kind__in=[UnitKind.DETENTION_FACILITY, UnitKind.USMS_DISTRICT, UnitKind.CARE_PROVIDER]
        ).order_by("kind", "code"),
        label="Destination",
    )
    scheduled_pickup_at = forms.DateTimeField(
        label="Pickup (local time)", widget=DateTimeLocalInput()
    )
    carrier_agency = forms.ModelChoiceField(
        queryset=Unit.objects.filter(kind=UnitKind.AGENCY).order_by("code"),
        required=False,
        label="Carrier agency",
        help_text="Either an agency or a contractor.",
    )
    contractor = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False)
    distance_miles = forms.DecimalField(min_value=0, max_digits=8, decimal_places=1, initial=0)

    def __init__(self, *args, ready, **kwargs):
        from transfers.selectors import contractors

        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = ready
        self.fields["cases"].label_from_instance = lambda c: (
            f"{c.case_number} {c.subject} ({c.get_demographic_display()}"
            + (f", to {c.designated_provider.code}" if c.designated_provider_id else "")
            + f") at {c.custody_unit.code}"
        )
        self.fields["contractor"].queryset = contractors().filter(active=True)
        self.fields["contractor"].label = "Transport contractor"
