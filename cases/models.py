"""Units and roles, subjects, apprehension events, the case state machine, A-file documents,
the append-only event log, and SLA policies with their clocks."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords


class UnitKind(models.TextChoices):
    NATIONAL = "national", "National"
    AGENCY = "agency", "Agency"
    SECTOR = "sector", "Border Patrol sector"
    STATION = "station", "Border Patrol station"
    AOR = "aor", "ERO area of responsibility"
    DETENTION_FACILITY = "detention_facility", "ICE detention facility"
    USMS_DISTRICT = "usms_district", "U.S. Marshals district"
    ORR_INTAKE = "orr_intake", "ORR intake"
    CARE_PROVIDER = "care_provider", "ORR care provider"


class Unit(models.Model):
    """A node of the organisation tree: national → agency → sector/AOR → station/facility.

    ``path`` is a materialised path (``/NAT/USBP/EPT/EPT-EPS/``) so that "every unit inside
    mine" is one indexed prefix query, which every scoped queryset needs.
    """

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    routes_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_sectors",
        help_text="For a sector: the ERO AOR that receives its cases.",
        limit_choices_to={"kind": UnitKind.AOR},
    )
    path = models.CharField(max_length=500, db_index=True, editable=False)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)

    def contains(self, other: Unit | None) -> bool:
        return other is not None and other.path.startswith(self.path)

    def ancestor_of_kind(self, kind: str) -> Unit | None:
        unit: Unit | None = self
        while unit is not None:
            if unit.kind == kind:
                return unit
            unit = unit.parent
        return None

    @property
    def sector(self) -> Unit | None:
        return self.ancestor_of_kind(UnitKind.SECTOR)


class Role(models.TextChoices):
    USBP_AGENT = "usbp_agent", "USBP agent"
    USBP_SUPERVISOR = "usbp_supervisor", "USBP supervisor"
    ERO_OFFICER = "ero_officer", "ERO officer"
    ORR_INTAKE = "orr_intake", "ORR intake"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"
    PARTNER_SYSTEM = "partner_system", "Partner system"


class User(AbstractUser):
    """A person or integration; each belongs to exactly one unit and holds one role."""

    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return self.username


class Demographic(models.TextChoices):
    SINGLE_ADULT = "single_adult", "Single adult"
    UAC = "uac", "Unaccompanied child"
    FAMILY_UNIT = "family_unit", "Family unit"
    FAMILY_GROUP = "family_group", "Family group"


FAMILY_DEMOGRAPHICS = {Demographic.FAMILY_UNIT, Demographic.FAMILY_GROUP}


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Subject(models.Model):
    """One person. Each keeps their own apprehension time: auditors found 46,000 migrants
    whose times were recorded per event and conflicted."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    second_last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    country_of_citizenship = models.CharField(max_length=2)
    a_number = models.CharField(max_length=9, blank=True, db_index=True)
    apprehended_at = models.DateTimeField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.last_name} {self.second_last_name}, {self.first_name}".replace("  ", " ")

    def age_on(self, day) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class ApprehensionEvent(models.Model):
    """The encounter in which one or more subjects were apprehended."""

    event_number = models.CharField(max_length=32, unique=True)
    station = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="events")
    apprehended_at = models.DateTimeField(help_text="Default for the subjects' own times.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.event_number


class CaseState(models.TextChoices):
    BOOKED = "booked", "Booked"
    SUBMITTED = "submitted", "Submitted"
    REJECTED = "rejected", "Rejected"
    ACCEPTED = "accepted", "Accepted"
    TRANSFERRED = "transferred", "Transferred"
    RELEASED = "released", "Released"


OPEN_STATES = (CaseState.BOOKED, CaseState.SUBMITTED, CaseState.REJECTED, CaseState.ACCEPTED)


class RejectionReason(models.TextChoices):
    MISSING_I213 = "missing_i213", "Missing I-213 narrative"
    INVALID_ADDRESS = "invalid_address", "Missing or invalid address"
    WRONG_AOR = "wrong_aor", "Wrong AOR"
    MEDICAL_CLEARANCE = "medical_clearance", "Medical clearance needed"
    CRIMINAL_HISTORY = "criminal_history_incomplete", "Criminal-history check incomplete"
    FAMILY_LINKAGE = "family_linkage_missing", "Family linkage missing"
    DOCUMENT_ILLEGIBLE = "document_illegible", "Document illegible"
    OTHER = "other", "Other (see comment)"


class ReleaseType(models.TextChoices):
    ROR = "ror", "Release on own recognizance"
    PAROLE = "parole", "Parole"
    PROSECUTORIAL_DISCRETION = "prosecutorial_discretion", "Prosecutorial discretion"


class Case(ConcurrentTransitionMixin, models.Model):
    """One subject's path out of USBP custody, as a protected finite-state machine.

    Only the transition methods below change ``state``, and only the service functions in
    ``cases.services`` call them, inside one transaction that also writes the event log.
    """

    case_number = models.CharField(max_length=32, unique=True)
    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="case")
    event = models.ForeignKey(ApprehensionEvent, on_delete=models.PROTECT, related_name="cases")
    demographic = models.CharField(max_length=16, choices=Demographic.choices)
    family_group_number = models.CharField(max_length=13, blank=True, db_index=True)
    station = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="booked_cases")
    sector = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sector_cases")
    routed_to = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="routed_cases")
    custody_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cases_in_custody"
    )
    designated_provider = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="designated_cases",
        help_text="The ORR care provider designated for a UAC; set by the placement flow.",
    )
    state = FSMField(
        default=CaseState.BOOKED, choices=CaseState.choices, protected=True, db_index=True
    )
    narrative = models.TextField(blank=True, help_text="The I-213 narrative.")
    submissions = models.PositiveIntegerField(default=0)
    last_rejection_reasons = models.JSONField(default=list, blank=True)
    last_rejection_comment = models.TextField(blank=True)
    release_type = models.CharField(max_length=32, choices=ReleaseType.choices, blank=True)
    release_address = models.JSONField(null=True, blank=True)
    release_address_key = models.CharField(max_length=300, blank=True, db_index=True)
    booked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="booked_cases", null=True
    )
    last_submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="submitted_cases", null=True, blank=True
    )
    booked_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["routed_to", "state"]),
            models.Index(fields=["station", "state"]),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def is_uac(self) -> bool:
        return self.demographic == Demographic.UAC

    # The transitions: bodies only move fields that belong to the state change itself.
    @transition(
        field=state, source=[CaseState.BOOKED, CaseState.REJECTED], target=CaseState.SUBMITTED
    )
    def submit(self) -> None:
        self.submissions += 1

    @transition(field=state, source=CaseState.SUBMITTED, target=CaseState.ACCEPTED)
    def accept(self) -> None:
        self.last_rejection_reasons = []
        self.last_rejection_comment = ""

    @transition(field=state, source=CaseState.SUBMITTED, target=CaseState.REJECTED)
    def reject(self, *, reasons: list[str], comment: str) -> None:
        self.last_rejection_reasons = list(reasons)
        self.last_rejection_comment = comment

    @transition(field=state, source=CaseState.ACCEPTED, target=CaseState.TRANSFERRED)
    def transfer(self, *, to_unit: Unit) -> None:
        self.custody_unit = to_unit
        self.closed_at = timezone.now()

    @transition(field=state, source=CaseState.ACCEPTED, target=CaseState.RELEASED)
    def release(self, *, release_type: str, address: dict, address_key: str) -> None:
        self.release_type = release_type
        self.release_address = address
        self.release_address_key = address_key
        self.closed_at = timezone.now()


class DocumentKind(models.TextChoices):
    I213 = "i213", "I-213"
    NTA = "nta", "Notice to appear"
    BIRTH_CERTIFICATE = "birth_certificate", "Birth certificate"
    PASSPORT = "passport", "Passport"
    MEDICAL = "medical", "Medical"
    OTHER = "other", "Other"


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name is the content hash, never the client's file name.
    return f"afile/{instance.case_id}/{instance.sha256}"


class Document(models.Model):
    """A file of the A-file packet; the SHA-256 proves what was submitted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"


class EventLogEntry(models.Model):
    """The append-only audit trail and the notification outbox.

    The database refuses UPDATE and DELETE on this table (a trigger on PostgreSQL and on
    SQLite, see migration 0002), so not even a bug or an admin can rewrite history.
    """

    event_type = models.CharField(max_length=40, db_index=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    actor_role = models.CharField(max_length=32, blank=True)
    actor_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "event log entry"
        verbose_name_plural = "event log"

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type}"


class ClockStatus(models.TextChoices):
    RUNNING = "running", "Running"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class SlaPolicy(models.Model):
    """A legal time limit as data: what starts it, what stops it, how long, who is told."""

    name = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    start_event = models.CharField(
        max_length=40, help_text="Event type that starts the clock (e.g. case.booked)."
    )
    start_anchor = models.CharField(
        max_length=20,
        default="event",
        help_text="'apprehension': count from the subject's own apprehension time; "
        "'event': from the starting event.",
    )
    stop_events = models.JSONField(default=list)
    demographics = models.JSONField(default=list, blank=True, help_text="Empty: every case.")
    duration = models.DurationField()
    warning_points = models.JSONField(default=list)
    notify = models.JSONField(default=list, blank=True, help_text="Who is told, by role key.")
    responsible = models.CharField(
        max_length=20, default="custody", help_text="Which unit must act: station, aor, orr."
    )
    citation = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def applies_to(self, case: Case) -> bool:
        return not self.demographics or case.demographic in self.demographics


class SlaClock(models.Model):
    """One running legal limit on one case; the database row is the timer."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="clocks")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="The original legal due time; never overwritten.")
    extended_due_at = models.DateTimeField(null=True, blank=True)
    effective_due_at = models.DateTimeField(db_index=True)
    next_check_at = models.DateTimeField(null=True, db_index=True)
    warnings_sent = models.JSONField(default=list, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ClockStatus.choices, default=ClockStatus.RUNNING
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "policy"], name="one_clock_per_case_policy")
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="clock_sweep_idx",
                condition=Q(stopped_at__isnull=True),
            ),
            # A case's nearest running due time (the ERO queue's order) is the first entry of
            # this index for the case: no sort, no stopped clocks read.
            models.Index(
                fields=["case", "effective_due_at"],
                name="clock_running_due_idx",
                condition=Q(stopped_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} on {self.case_id}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def warning_times(self) -> list[tuple[float, object]]:
        total: timedelta = self.due_at - self.started_at
        return [(p, self.started_at + total * p) for p in self.policy.warning_points]


class SlaExtension(models.Model):
    """A supervisor's record of "exceptional circumstances"; the original due time stays."""

    clock = models.ForeignKey(SlaClock, on_delete=models.PROTECT, related_name="extensions")
    previous_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    justification = models.TextField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["granted_at", "id"]

    def __str__(self) -> str:
        return f"extension of {self.clock_id} to {self.new_due_at:%Y-%m-%d %H:%M}"


class Relation(models.TextChoices):
    PARENT = "parent", "Parent"
    CHILD = "child", "Child"
    SIBLING = "sibling", "Sibling"
    OTHER_RELATIVE = "other_relative", "Other relative"
    LEGAL_GUARDIAN = "legal_guardian", "Legal guardian"


class RelationSource(models.TextChoices):
    DECLARED = "declared", "Declared"
    DOCUMENTED = "documented", "Documented"


class FamilyLink(models.Model):
    """``subject`` is ``relation`` of ``relative`` (e.g. subject is the parent of relative).

    Auditors found children not linked to the relatives they crossed with, so links are
    recorded at booking and follow each person through every hand-off.
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="links_from")
    relative = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="links_to")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    source = models.CharField(max_length=20, choices=RelationSource.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "relative"], name="one_link_per_pair"),
            models.CheckConstraint(condition=~Q(subject=models.F("relative")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.relation} of {self.relative_id}"


# --- API support (idempotent retries, read-access log) ------------------------------------


class IdempotencyKey(models.Model):
    """The first successful answer to a POST sent with an ``Idempotency-Key`` header.

    A client that timed out retries with the same key; it gets this stored answer and the
    action does not happen twice. The unique constraint settles two concurrent retries.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class ReadAccess(models.Model):
    """Who read which part of a case, when and from where (the read-access log)."""

    class What(models.TextChoices):
        DETAIL = "detail", "Case detail"
        NARRATIVE = "narrative", "I-213 narrative"
        DOCUMENTS = "documents", "Document list"
        DOCUMENT = "document", "Document download"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reads")
    what = models.CharField(max_length=16, choices=What.choices)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"])]
        verbose_name_plural = "read accesses"

    def __str__(self) -> str:
        return f"{self.user_id} read {self.what} of {self.case_id}"
