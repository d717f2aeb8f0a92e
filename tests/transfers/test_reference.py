"""The transfers reference data loads through ``load_extras`` and loads idempotently."""

import pytest
from django.core.management import call_command

from transfers.models import BedCapacity, Contractor, ContractTerms

pytestmark = pytest.mark.django_db


def test_load_extras_loads_capacity_and_contractors_once(reference, capsys):
    call_command("load_extras")
    assert "transfers" in capsys.readouterr().out
    counts = (
        BedCapacity.objects.count(),
        Contractor.objects.count(),
        ContractTerms.objects.count(),
    )
    assert counts[0] >= 12 and counts[1] >= 2
    BedCapacity.objects.filter(provider__code="ORR-CP-BRO").update(beds=0)
    call_command("load_extras")
    again = (BedCapacity.objects.count(), Contractor.objects.count(), ContractTerms.objects.count())
    assert again == counts
    # The fixture is the source of truth: a reload restores the beds.
    assert not BedCapacity.objects.filter(provider__code="ORR-CP-BRO", beds=0).exists()
