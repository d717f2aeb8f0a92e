"""What a plain Django project would write for the same lifecycle: a protected FSM field,
three transitions and a field-level history, no rules, no scope, no clocks, no event log.

The tables are created by ``bench/transitions.py`` (no migrations: the app exists only while
the benchmark runs)."""

from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords


class PeerCase(ConcurrentTransitionMixin, models.Model):
    case_number = models.CharField(max_length=32, unique=True)
    state = FSMField(default="booked", protected=True, db_index=True)
    custody_unit_id = models.BigIntegerField()
    submissions = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.case_number

    @transition(field=state, source="booked", target="submitted")
    def submit(self) -> None:
        self.submissions += 1

    @transition(field=state, source="submitted", target="accepted")
    def accept(self) -> None:
        pass

    @transition(field=state, source="accepted", target="transferred")
    def transfer(self, *, to_unit_id: int) -> None:
        self.custody_unit_id = to_unit_id
        self.closed_at = timezone.now()
