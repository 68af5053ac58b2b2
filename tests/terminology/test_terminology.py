"""The shipped value sets: OIDs and versions, the DB load, and the check of stored codes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.terminology import valuesets
from oncodcc.terminology.models import Concept, ValueSet
from tests import factories as f


def test_every_file_has_oid_version_and_concepts():
    names = valuesets.all_names()
    assert len(names) >= 15
    for name in names:
        value_set = valuesets.get(name)
        assert value_set.oid.startswith("1.2.250.1.213.") and value_set.version and value_set.concepts, name
        codes = [c.code for c in value_set.concepts]
        assert len(codes) == len(set(codes)), f"duplicate codes in {name}"


def test_topography_covers_c00_to_d48_with_french_labels():
    topography = valuesets.get(valuesets.TOPOGRAPHY)
    assert "C50.4" in topography and "D48.9" in topography and "C00" in topography
    assert topography.display("C50.4").startswith("Tumeur maligne")
    assert valuesets.get(valuesets.MORPHOLOGY).display("8500/3")


@pytest.mark.django_db
def test_load_is_idempotent_and_versions_are_kept(capsys):
    call_command("terminology", "load")
    count = ValueSet.objects.count()
    assert count == len(valuesets.all_names())
    assert Concept.objects.filter(value_set__name=valuesets.TOPOGRAPHY, code="C50.4").exists()
    call_command("terminology", "load")
    assert ValueSet.objects.count() == count


@pytest.mark.django_db
def test_check_reports_unknown_stored_codes(registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    call_command("terminology", "check")
    fiche.tumours.update(topography="C99.9")
    with pytest.raises(CommandError):
        call_command("terminology", "check")
