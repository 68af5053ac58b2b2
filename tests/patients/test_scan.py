"""dcc identity scan: re-scores the base, counts per tier, flags what it finds (audited), resumable, --since."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.patients import scan
from oncodcc.patients.models import Patient
from tests import factories as f

BIRTH = date(1949, 11, 2)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def person(**kw):
    traits = {"birth_name": "Chevalier", "birth_given_names": "Henri", "first_birth_given_name": "Henri",
              "birth_date": BIRTH, "sex": "M", "birthplace_insee": "13055"}
    return f.PatientFactory(**{**traits, **kw})


def run(*args) -> str:
    out = StringIO()
    call_command("identity", "scan", *args, stdout=out)
    return out.getvalue()


def test_scan_counts_tiers_flags_and_audits():
    a, b = person(), person()  # certain pair
    twin = person(birth_given_names="Louis", first_birth_given_name="Louis", birthplace_insee="")
    alone = person(birth_name="Roy", birth_given_names="Nina", first_birth_given_name="Nina", sex="F",
                   birth_date=date(1990, 1, 1))
    output = run()
    assert "Certain : 2" in output and "Risque jumeaux / homonymes : 1" in output and "Probable : 0" in output
    for record in (a, b, twin):
        record.refresh_from_db()
        assert record.is_potential_duplicate
    alone.refresh_from_db()
    assert not alone.is_potential_duplicate and alone.vigilance_rank is None
    assert "Aucun candidat : 1" in output and "Nouvellement signalés « doublon potentiel » : 3" in output
    events = AuditEvent.objects.filter(details__identity_vigilance="flagged_by_scan")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted([a.pk, b.pk, twin.pk])
    assert "Chevalier" not in output and "CHEVALIER" not in output  # no identity in the output
    assert not scan.checkpoint_path().exists()
    # a second pass finds the same and flags nobody again
    assert "Nouvellement signalés « doublon potentiel » : 0" in run()


def test_scan_resumes_after_the_checkpoint():
    first, second = person(), person()
    scan.ScanState(after_id=first.pk, counts={"certain": 1}).save(scan.checkpoint_path())
    output = run("--resume")
    assert f"Reprise après le dossier n° {first.pk}" in output and "Certain : 2" in output
    first.refresh_from_db(), second.refresh_from_db()
    assert second.is_potential_duplicate and not first.is_potential_duplicate  # first was done "before"


def test_resume_without_checkpoint_is_a_clear_error():
    with pytest.raises(CommandError, match="Aucun examen interrompu"):
        run("--resume")


def test_since_limits_the_scan_to_recent_changes():
    old, recent = person(), person()
    Patient.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    output = run("--since", (timezone.localdate() - timedelta(days=1)).isoformat())
    assert "Certain : 1" in output
    old.refresh_from_db(), recent.refresh_from_db()
    assert recent.is_potential_duplicate and not old.is_potential_duplicate
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        run("--since", "hier")
