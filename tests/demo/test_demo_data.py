"""`dcc demo-data`: the synthetic region, at a small scale (the defaults are 600 patients over 12 months)."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.fr import nir

from oncodcc.accounts.models import Charter, Role, User
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action, verify_chain
from oncodcc.demo import catalogue as cat
from oncodcc.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, accounts_table, totp_secret
from oncodcc.demo.numbers import make_nir, make_rpps
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.patients.models import OID_INS_NIR_TEST, CareTeamMember, Patient, PatientIdentifier
from oncodcc.rcp import quorum
from oncodcc.rcp.models import PARIS, Board, Fiche, Meeting, Registration
from oncodcc.rcp.services.fiches import validation_errors
from oncodcc.terminology import valuesets as vs
from tests.auth import totp

SMALL = {"patients": 40, "months": 2}


def load(**options) -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture
def region(db, settings):
    settings.DEMO_MODE = True
    load()


def test_structure(region):
    dsrc = Organisation.objects.get(kind=Organisation.Kind.DSRC, national_id=cat.DEMO_DSRC_ID)
    cccs = Organisation.objects.filter(kind=Organisation.Kind.CCC, parent=dsrc)
    assert cccs.count() == 2 and all(c.national_id for c in cccs)
    hospitals = Organisation.objects.filter(kind=Organisation.Kind.LEGAL_ENTITY)
    assert hospitals.count() == 6
    for hospital in hospitals:
        assert len(hospital.finess) == 9 and hospital.oid.startswith(cat.DEMO_OID_ARC + ".")
        assert hospital.children.filter(kind=Organisation.Kind.SITE).count() == 1
    assert Practitioner.objects.count() == 60
    assert all(len(p.rpps) == 11 and p.specialty in vs.get(vs.SPECIALTY) for p in Practitioner.objects.all())
    assert Practitioner.objects.filter(specialty=cat.GP).exists()

    boards = Board.objects.all()
    assert boards.count() >= 8
    assert boards.filter(nature=vs.NATURE_CROSS_CUTTING).exclude(care_types=[]).exists()
    for board in boards:
        members = list(board.members.select_related("practitioner"))
        assert 6 <= len(members) <= 10, board
        assert len({m.practitioner.specialty for m in members}) >= 3, board
        assert sum(m.is_coordinator for m in members) == 1, board
        assert board.secretaries.exists() and board.frequency and board.place and board.video_url
        assert all(code in vs.get(vs.ORGAN) for code in board.organs)
    # Account requests are open: a published charter.
    assert Charter.current().version == 1


def test_demo_accounts_log_in(region):
    assert len(DEMO_PASSWORD) >= 12
    assert {role for _, role, _ in DEMO_ACCOUNTS} == set(Role.values)
    for username, role, _ in DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        assert user.role == role
        client = Client()
        response = client.post("/comptes/connexion/", {"username": username, "password": DEMO_PASSWORD})
        assert response["Location"].startswith("/comptes/double-facteur/?"), username
        # The second factor with the published secret (README, `make run`), as an authenticator app would.
        response = client.post("/comptes/double-facteur/", {"code": totp(totp_secret(username))})
        assert response.status_code == 302 and client.get("/").status_code == 200, username
    breast = Board.objects.get(name="RCP Sein")
    medecin, coordinator = User.objects.get(username="medecin"), User.objects.get(username="coordinateur")
    assert breast.members.filter(practitioner=medecin.practitioner, is_coordinator=False).exists()
    assert breast.members.filter(practitioner=coordinator.practitioner, is_coordinator=True).exists()
    secretary = User.objects.get(username="secretaire")
    assert breast.secretaries.filter(pk=secretary.pk).exists() and secretary.organisation == breast.managing_3c
    assert User.objects.get(username="admin3c").is_staff
    assert User.objects.get(username="admindsrc").organisation.kind == Organisation.Kind.DSRC
    sysadmin = User.objects.get(username="sysadmin")
    assert sysadmin.is_staff and sysadmin.is_superuser
    assert "medecin" in accounts_table()


def test_breast_board_meets_today_with_cases_for_the_demo_doctor(region):
    breast = Board.objects.get(name="RCP Sein")
    today = Meeting.objects.get(board=breast, starts_at__date=timezone.localdate())
    assert timezone.localtime(today.starts_at, PARIS).hour == 17
    assert today.status == Meeting.Status.PLANNED
    registrations = today.registrations.all()
    assert registrations.count() >= 2
    medecin = User.objects.get(username="medecin").practitioner
    assert registrations.filter(requesting_doctor=medecin).exists()
    assert not Fiche.objects.filter(registration__meeting=today).exists()


def test_breast_cases_have_varied_biology_that_the_search_finds(region):
    """The demo's breast cases are mostly HER2-negative, with HER2-positive and HER2-low ones: the infocentre's
    search for "HER2 positif" and the HER2 trials' pre-screening have something to find."""
    from oncodcc.infocentre.models import FicheSearchDocument

    documents = FicheSearchDocument.objects
    positive, negative = documents.filter(body__icontains="HER2 positif").count(), \
        documents.filter(body__icontains="HER2 négatif").count()
    assert 0 < positive < negative and documents.filter(body__icontains="HER2 faible").exists()


def test_past_meetings_have_validated_fiches_that_pass_the_national_rules(region):
    today = timezone.localdate()
    past = Meeting.objects.filter(starts_at__date__lt=today).exclude(status=Meeting.Status.CANCELLED)
    assert past.exists() and not past.exclude(status=Meeting.Status.CLOSED).exists()
    fiches = Fiche.objects.select_related("registration__meeting__board").prefetch_related("tumours", "treatments")
    assert fiches.count() == Registration.objects.filter(meeting__in=past).count() > 0
    for fiche in fiches:
        meeting = fiche.registration.meeting
        q = quorum.for_meeting(meeting)
        assert q.reached
        errors, _ = validation_errors(fiche, q)
        assert errors == {}, (fiche.pk, errors)
        assert fiche.status == Fiche.Status.VALIDATED and fiche.quorum_status == vs.QUORUM_REACHED
        assert fiche.participants and fiche.validated_at > meeting.starts_at
        assert fiche.validated_by.practitioner == meeting.board.members.get(is_coordinator=True).practitioner
        for tumour in fiche.tumours.all():
            assert tumour.topography in vs.get(vs.TOPOGRAPHY) and tumour.morphology in vs.get(vs.MORPHOLOGY)
        assert all(t.code in vs.get(vs.TREATMENT_TYPE) for t in fiche.treatments.all())
    # Each registration follows its fiche: the past cases are discussed, the upcoming ones registered.
    assert set(Registration.objects.filter(meeting__in=past).values_list("status", flat=True)) == {
        Registration.Status.DISCUSSED}
    upcoming = Registration.objects.filter(meeting__starts_at__date__gte=today)
    assert upcoming.exists() and not Fiche.objects.filter(registration__in=upcoming).exists()
    assert set(upcoming.values_list("status", flat=True)) == {Registration.Status.REGISTERED}
    assert all(r.question and r.case_summary for r in upcoming)


def test_patients(region):
    patients = Patient.objects.all()
    assert patients.count() == SMALL["patients"]
    per_patient = Counter(Registration.objects.values_list("patient_id", flat=True))
    assert set(per_patient) == set(patients.values_list("pk", flat=True))
    assert set(per_patient.values()) <= {1, 2, 3}
    with_ins = patients.exclude(ins_matricule="")
    assert with_ins.exists()
    for patient in with_ins:
        assert nir.is_valid(patient.ins_matricule), patient.ins_matricule
        assert patient.ins_oid == OID_INS_NIR_TEST
    for patient in patients:
        assert date(1930, 1, 1) <= patient.birth_date <= date(1995, 12, 31)
        assert patient.search_text
    assert PatientIdentifier.objects.count() == patients.count()
    for registration in Registration.objects.all():
        assert CareTeamMember.objects.filter(patient=registration.patient_id,
                                             practitioner=registration.requesting_doctor_id).exists()


def test_idempotent_one_audit_event_and_intact_chain(region):
    counts = {model: model.objects.count() for model in (Organisation, Patient, Registration, Fiche, Meeting, User)}
    assert "déjà chargée" in load()
    assert load(if_empty=True) == ""
    # A region loaded before the second factor existed: its demo accounts get their device, once.
    TOTPDevice.objects.filter(user__username="dpo").delete()
    assert "Second facteur de démonstration ajouté à 1 compte." in load(if_empty=True)
    assert AuditEvent.objects.get(action=Action.OTP_ENROL).details == {"step": "demo_device"}
    assert load(if_empty=True) == ""
    assert counts == {model: model.objects.count() for model in counts}
    assert AuditEvent.objects.filter(action=Action.DEMO_DATA).count() == 1
    assert verify_chain().ok


def test_if_empty_leaves_a_used_database_alone(db, settings):
    settings.DEMO_MODE = True
    Organisation.objects.create(kind=Organisation.Kind.DSRC, name="Réseau réel")
    assert "contient déjà" in load(if_empty=True)
    assert not Patient.objects.exists()


def test_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DCC_DEMO_MODE"):
        load()
    assert "désactivé" in load(if_empty=True)  # `make run` in production: a notice, not a failure
    assert not Organisation.objects.exists()


def test_catalogue_codes_exist_in_the_terminology_files():
    for spec in cat.BOARDS:
        assert spec.nature in vs.get(vs.NATURE_DISCUSSION)
        assert not spec.organ_system or spec.organ_system in vs.get(vs.ORGAN_SYSTEM)
        assert all(c in vs.get(vs.ORGAN) for c in spec.organs)
        assert all(c in vs.get(vs.CROSS_CUTTING_CARE) for c in spec.care_types)
        assert all(s in vs.get(vs.SPECIALTY) for s in spec.members)
        for kind in spec.tumours:
            assert kind.topography in vs.get(vs.TOPOGRAPHY), kind
            assert all(m in vs.get(vs.MORPHOLOGY) for m in kind.morphologies), kind
            for step in kind.steps or spec.steps:
                fitting = [p for p in step.proposals if not p.only or kind.topography.startswith(p.only)]
                assert fitting, (spec.key, kind.topography, step.question)
                for proposal in step.proposals:
                    codes = [c for c, _ in proposal.treatments] + ([proposal.alternative[0]] if proposal.alternative else [])
                    assert all(c in vs.get(vs.TREATMENT_TYPE) for c in codes)


@pytest.mark.parametrize(("birthplace", "sex"), [("31555", "F"), ("2A004", "M"), ("2B033", "F"), ("99350", "M")])
def test_generated_numbers_are_valid(birthplace, sex):
    matricule = make_nir(sex=sex, birth_date=date(1958, 3, 9), birthplace_insee=birthplace, order=42)
    assert nir.is_valid(matricule)
    assert matricule.startswith(("1" if sex == "M" else "2") + "5803" + birthplace)
    assert nir.is_valid("279035121518989")  # the ANS example, as a sanity check of the library
    assert len(make_rpps(7)) == 11


def test_same_seed_same_region(db, settings):
    settings.DEMO_MODE = True

    def snapshot():
        return (
            list(Patient.objects.order_by("pk").values_list("birth_name", "birth_given_names", "birth_date",
                                                            "ins_matricule", "identity_status")),
            list(Registration.objects.order_by("pk").values_list("meeting__starts_at", "question", "case_summary",
                                                                 "number")),
        )

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        load(seed=7)
        first = snapshot()
        raise Rollback
    assert not Patient.objects.exists()
    load(seed=7)
    assert snapshot() == first


def test_demo_hospitals_are_registered_hl7_senders(region):
    """`make run` answers an A28 from any demo hospital's record system (MSH-3 DPI, MSH-4 its FINESS)."""
    from datetime import date

    from oncodcc.interop.hl7v2.processing import handle_message
    from oncodcc.patients.models import PatientIdentifier
    from tests.interop.hl7v2 import messages as m

    hospital = Organisation.objects.filter(kind=Organisation.Kind.LEGAL_ENTITY).first()
    pid = m.pid(ipp="DEMO-1", oid=hospital.oid, birth_name="Essai", given="Lucie", birth_date=date(1970, 1, 2),
                sex="F")
    ack = handle_message(m.adt("A28", pid, app="DPI", facility=hospital.finess))
    assert m.ack_code(ack) == "AA"
    assert PatientIdentifier.objects.filter(system=hospital.oid, value="DEMO-1").exists()


def test_todays_breast_cases_have_received_pathology_reports(region):
    """The meeting mode of today's breast meeting shows reports beside the fiche: filed by the inbound service."""
    from oncodcc.documents import received
    from oncodcc.documents.models import Document

    breast = Board.objects.get(name="RCP Sein")
    today = Meeting.objects.get(board=breast, starts_at__date=timezone.localdate())
    patients = list(today.registrations.values_list("patient_id", flat=True))
    reports = list(received.reports_for(patients))
    assert {r.patient_id for r in reports} == set(patients)
    assert all(r.type_code == received.LOINC_PATHOLOGY and r.conclusion and r.sender_id for r in reports)
    assert Document.objects.filter(kind="received").count() >= len(reports)
