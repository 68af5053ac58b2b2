"""Services and reads behind the patient screens: creation, identity update, care team, timeline."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.front.timeline import FICHE, REGISTRATION, patient_timeline
from oncodcc.patients import services
from oncodcc.patients.forms import PatientCreateForm, PatientForm
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from oncodcc.patients.services import DuplicateCandidates, PatientData
from oncodcc.rcp.models import Fiche, Registration
from tests import factories as f

pytestmark = pytest.mark.django_db

ANS_TEST_INS = "279035121518989"


def data(**overrides) -> PatientData:
    values = dict(birth_name="Lefèvre", birth_given_names="Éloïse Marie", birth_date=date(1979, 3, 12), sex="F",
                  birthplace_insee="51215")
    values.update(overrides)
    return PatientData(**values)


# --- creation ---------------------------------------------------------------------------------------------------


def test_create_with_ipp_and_ins():
    secretary = f.UserFactory(role="secretary")
    hospital = f.OrganisationFactory()
    patient = services.create_patient(
        actor=secretary, data=data(ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR, identity_status="QUAL"),
        ipp="123456", ipp_organisation=hospital,
    )
    assert patient.first_birth_given_name == "Éloïse"
    assert patient.created_by == secretary
    identifier = PatientIdentifier.objects.get(patient=patient)
    assert (identifier.system, identifier.value) == (hospital.oid, "123456")
    # A secretary has no practitioner: no care-team row, but the creator keeps access.
    assert not CareTeamMember.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.filter(action="patient.create", patient_id=patient.pk).count() == 1


def test_duplicates_raise_then_confirmation_flags_dpot():
    doctor = f.DoctorFactory()
    existing = services.create_patient(actor=doctor, data=data())
    with pytest.raises(DuplicateCandidates) as exc:
        services.create_patient(actor=doctor, data=data(birth_name="LEFEVRE", birth_given_names="Eloise"))
    assert [c.patient for c in exc.value.candidates] == [existing]
    assert exc.value.candidates[0].score >= 75
    created = services.create_patient(actor=doctor, data=data(birth_name="LEFEVRE", birth_given_names="Eloise"),
                                      confirm_not_duplicate=True)
    assert created.identity_flags == ["DPOT"]
    assert not Patient.objects.get(pk=existing.pk).is_potential_duplicate


def test_invalid_ins_creates_nothing():
    with pytest.raises(ValidationError) as exc:
        services.create_patient(actor=f.UserFactory(role="secretary"),
                                data=data(ins_matricule=ANS_TEST_INS[:-2] + "00", ins_oid=OID_INS_NIR))
    assert "ins_matricule" in exc.value.message_dict
    assert not Patient.objects.exists()


def test_dpo_cannot_create():
    with pytest.raises(PermissionDenied):
        services.create_patient(actor=f.UserFactory(role="dpo"), data=data())


# --- forms map service errors onto fields -----------------------------------------------------------------------


def test_form_maps_service_errors_to_fields_or_on_top():
    form = PatientForm(data={})
    form.is_valid()
    form.add_service_errors(ValidationError({"ins_matricule": "Mauvais INS", "unknown": "Ailleurs"}))
    assert form.errors["ins_matricule"][-1] == "Mauvais INS"
    assert "Ailleurs" in form.non_field_errors()
    form.add_service_errors(ValidationError("Erreur générale"))
    assert "Erreur générale" in form.non_field_errors()


def test_form_builds_patient_data_and_drops_the_oid_without_matricule():
    form = PatientCreateForm(data={
        "birth_name": "Dupont", "birth_given_names": "Jean Paul", "birth_date": "12/03/1979", "sex": "M",
        "birthplace_insee": "2a004", "ins_matricule": "", "ins_oid": OID_INS_NIR, "identity_status": "PROV",
    })
    assert form.is_valid(), form.errors
    result = form.to_data()
    assert result.birth_date == date(1979, 3, 12)
    assert result.birthplace_insee == "2A004"
    assert result.ins_oid == ""
    assert result.gp_id is None


def test_form_refuses_an_unknown_ins_oid(settings):
    settings.DEMO_MODE = False
    form = PatientForm(data={"birth_name": "X", "birth_given_names": "Y", "birth_date": "1979-03-12", "sex": "F",
                             "identity_status": "PROV", "ins_oid": "1.2.250.1.213.1.4.10"})
    assert not form.is_valid()
    assert "ins_oid" in form.errors


# --- identity update --------------------------------------------------------------------------------------------


def test_update_refuses_strict_trait_change_of_a_qualified_identity():
    doctor = f.DoctorFactory()
    patient = services.create_patient(
        actor=doctor, data=data(ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR, identity_status="QUAL"),
    )
    changed = data(birth_name="Autre", ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR, identity_status="QUAL")
    with pytest.raises(ValidationError) as exc:
        services.update_patient(actor=doctor, patient=patient, data=changed)
    assert "birth_name" in exc.value.message_dict
    used = data(used_name="Martin", ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR, identity_status="QUAL")
    services.update_patient(actor=doctor, patient=patient, data=used)
    patient.refresh_from_db()
    assert patient.used_name == "Martin"


def test_care_team_add_is_audited_once(patient, member_doctor):
    colleague = f.PractitionerFactory()
    services.add_to_care_team(actor=member_doctor, patient=patient, practitioner=colleague)
    services.add_to_care_team(actor=member_doctor, patient=patient, practitioner=colleague)
    assert CareTeamMember.objects.filter(patient=patient, practitioner=colleague).count() == 1
    assert AuditEvent.objects.filter(action="patient.update", patient_id=patient.pk).count() == 1


# --- timeline ---------------------------------------------------------------------------------------------------


def test_timeline_lists_registrations_and_every_fiche_version_newest_first(board, member_doctor):
    patient = f.PatientFactory()
    now = timezone.now()
    old = f.RegistrationFactory(patient=patient, created_by=member_doctor,
                                meeting=f.MeetingFactory(board=board, starts_at=now - timedelta(days=60)))
    v1 = f.complete_fiche(old, created_by=member_doctor, status=Fiche.Status.SUPERSEDED,
                          validated_at=now - timedelta(days=59), signer_name="Dr Un")
    v2 = f.complete_fiche(old, created_by=member_doctor, status=Fiche.Status.VALIDATED, set_id=v1.set_id,
                          version_number=2, validated_at=now - timedelta(days=30), signer_name="Dr Deux")
    moved = f.RegistrationFactory(patient=patient, created_by=member_doctor, status=Registration.Status.MOVED,
                                  meeting=f.MeetingFactory(board=board, starts_at=now - timedelta(days=10)))
    upcoming = f.RegistrationFactory(patient=patient, created_by=member_doctor,
                                     meeting=f.MeetingFactory(board=board, starts_at=now + timedelta(days=5)))
    f.RegistrationFactory(created_by=member_doctor)  # another patient

    entries = patient_timeline(patient)
    assert [(e.kind, e.pk) for e in entries] == [
        (REGISTRATION, upcoming.pk), (REGISTRATION, moved.pk), (FICHE, v2.pk), (FICHE, v1.pk),
        (REGISTRATION, old.pk),
    ]
    assert entries[1].status_label == "reporté"
    assert entries[0].status_label == "inscrit"
    assert entries[0].board_name == board.name
    assert entries[0].url == f"/rcp/inscriptions/{upcoming.pk}/"
    assert entries[2].url == f"/rcp/fiches/{v2.pk}/"
    assert (entries[2].version_number, entries[2].signer_name, entries[2].status_label) == (2, "Dr Deux", "validée")
    assert entries[3].status == Fiche.Status.SUPERSEDED
    assert entries[4].question == old.question
    assert entries[4].requesting_doctor == str(old.requesting_doctor)


def test_timeline_draft_fiche_is_dated_by_its_creation(registration, member_doctor):
    draft = f.complete_fiche(registration, created_by=member_doctor)
    entry = next(e for e in patient_timeline(registration.patient) if e.kind == FICHE)
    assert entry.pk == draft.pk
    assert entry.validated_at is None
    assert entry.when == draft.created_at
    assert entry.status_label == "brouillon"


def test_timeline_query_count_does_not_grow(django_assert_num_queries, board, member_doctor):
    patient = f.PatientFactory()
    for i in range(6):
        registration = f.RegistrationFactory(
            patient=patient, created_by=member_doctor,
            meeting=f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=i + 1)),
        )
        f.complete_fiche(registration, created_by=member_doctor)
    # Entries are plain values (names, labels, urls resolved): nothing is read lazily afterwards.
    with django_assert_num_queries(2):
        entries = patient_timeline(patient)
    assert len(entries) == 12
    assert all(e.board_name == board.name and e.url for e in entries)


def test_empty_timeline():
    assert patient_timeline(f.PatientFactory()) == []
