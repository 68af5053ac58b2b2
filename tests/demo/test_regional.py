"""`dcc demo-data --scale region`: the regional dataset written with COPY (PostgreSQL only), at a small scale.

The PostgreSQL tests run with DATABASE_URL on a PostgreSQL database of one's own (pytest-django creates
`test_<name>`); on SQLite (the default) only the refusal is tested."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action, verify_chain
from oncodcc.demo import regional
from oncodcc.patients.models import CareTeamMember, Patient, PatientIdentifier
from oncodcc.rcp.models import Board, BoardMember, Fiche, Meeting, Registration
from oncodcc.terminology import valuesets as vs

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="COPY: the regional dataset loads only on PostgreSQL")


def load(**options) -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, scale="region", months=2, **options)
    return out.getvalue()


def test_refused_on_sqlite(settings):
    if connection.vendor != "sqlite":
        pytest.skip("the refusal concerns SQLite")
    settings.DEMO_MODE = True
    with pytest.raises(CommandError, match="ne se charge que sur PostgreSQL"):
        load(patients=100)
    assert not Patient.objects.exists()


def test_refused_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="mode démonstration est désactivé"):
        load(patients=100)


@pytest.fixture
def region(settings):
    settings.DEMO_MODE = True
    out = load(patients=1200)
    regional_patients = Patient.objects.filter(identifiers__organisation__name__startswith="Centre hospitalier "
                                                                                          "régional")
    return out, regional_patients


@on_postgresql
def test_regional_dataset(region):
    out, patients = region
    assert "1\u202f200 patients" in out and "Jeu de données régional chargé" in out
    assert patients.count() == 1200
    boards = Board.objects.filter(national_id__startswith=regional.NATIONAL_ID_PREFIX)
    assert boards.count() == 8  # at least the eight board kinds of the catalogue
    # Common surnames shared by many, every patient searchable and with an IPP, a referring doctor, cases.
    names = Counter(patients.values_list("birth_name", flat=True))
    assert names.most_common(1)[0][1] >= 20
    assert not patients.filter(search_text="").exists()
    assert PatientIdentifier.objects.filter(patient__in=patients).count() == 1200
    assert CareTeamMember.objects.filter(patient__in=patients, role=CareTeamMember.Role.REFERRING).count() == 1200
    registrations = Registration.objects.filter(meeting__board__in=boards)
    assert registrations.values("patient").distinct().count() == 1200
    # Past cases discussed with a validated fiche signed by the board's coordinator; upcoming ones registered.
    now = timezone.now()
    past = registrations.filter(meeting__starts_at__lt=now)
    assert set(past.values_list("status", flat=True)) == {Registration.Status.DISCUSSED}
    assert set(registrations.filter(meeting__starts_at__gte=now).values_list("status", flat=True)) <= {
        Registration.Status.REGISTERED}
    fiches = Fiche.objects.filter(registration__in=past).prefetch_related("tumours", "treatments")
    assert fiches.count() == past.count() > 0
    for fiche in fiches[:200]:
        coordinator = fiche.registration.meeting.board.members.get(is_coordinator=True).practitioner
        assert fiche.status == Fiche.Status.VALIDATED and fiche.validated_by.practitioner == coordinator
        tumour = fiche.tumours.get()
        assert tumour.topography in vs.get(vs.TOPOGRAPHY) and tumour.morphology in vs.get(vs.MORPHOLOGY)
        assert all(t.code in vs.get(vs.TREATMENT_TYPE) for t in fiche.treatments.all())
    assert Meeting.objects.filter(board__in=boards, status=Meeting.Status.CLOSED, attendances__isnull=False).exists()
    assert BoardMember.objects.filter(board__in=boards, practitioner__user__username="medecin").count() == \
        regional.DOCTOR_BOARDS


@on_postgresql
def test_audit_events_are_chained_and_the_orm_continues_after_the_copied_rows(region):
    _, patients = region
    assert AuditEvent.objects.filter(action=Action.FICHE_VALIDATE, details__regional_dataset=True).count() == \
        Fiche.objects.filter(patient__in=patients).count()
    assert AuditEvent.objects.filter(action=Action.REGISTRATION_CREATE, details__regional_dataset=True).count() == \
        Registration.objects.filter(patient__in=patients).count()
    result = verify_chain()
    assert result.ok, result.problem
    # Sequences were moved past the ids written by COPY: the ORM inserts after them.
    Patient.objects.create(birth_name="Nouveau", birth_given_names="Paul", first_birth_given_name="Paul",
                           birth_date="1970-01-01", sex="M", birthplace_insee="31555")
    assert verify_chain().ok


@on_postgresql
def test_loaded_once(region, settings):
    with pytest.raises(CommandError, match="déjà chargé"):
        load(patients=10)
