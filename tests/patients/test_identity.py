"""INS checks and duplicate detection (identitovigilance)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from oncodcc.audit.models import AuditEvent
from oncodcc.patients import identity, services
from oncodcc.patients.models import OID_INS_NIR, OID_INS_NIR_TEST, Patient
from oncodcc.patients.services import DuplicateCandidates, PatientData
from tests import factories as f

ANS_TEST_INS = "279035121518989"  # the ANS example INS (DOMAIN.md §10)


def data(**overrides) -> PatientData:
    values = dict(birth_name="Lefèvre", birth_given_names="Éloïse Marie", birth_date=date(1979, 3, 12), sex="F",
                  birthplace_insee="51215")
    values.update(overrides)
    return PatientData(**values)


def test_ins_key_is_checked(settings):
    settings.DEMO_MODE = True
    assert identity.clean_ins(ANS_TEST_INS, OID_INS_NIR_TEST) == ANS_TEST_INS
    with pytest.raises(identity.InvalidINS):
        identity.clean_ins(ANS_TEST_INS[:-2] + "00", OID_INS_NIR_TEST)


def test_corsica_department_key():
    from stdnum.fr import nir

    number = "179032A004123"  # 13 characters, born in Corse-du-Sud (2A)
    key = 97 - (int(number.replace("2A", "19")) % 97)
    assert identity.clean_ins(f"{number}{key:02d}", OID_INS_NIR) == f"{number}{key:02d}"
    assert nir.is_valid(f"{number}{key:02d}")


def test_test_oid_refused_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(identity.InvalidINS):
        identity.clean_ins(ANS_TEST_INS, OID_INS_NIR_TEST)


def test_ins_must_match_sex_and_birth_month():
    assert identity.ins_matches_traits(ANS_TEST_INS, sex="F", birth_date=date(1979, 3, 5))
    assert not identity.ins_matches_traits(ANS_TEST_INS, sex="M", birth_date=date(1979, 3, 5))
    assert not identity.ins_matches_traits(ANS_TEST_INS, sex="F", birth_date=date(1980, 3, 5))


@pytest.mark.django_db
def test_create_patient_refuses_bad_ins_and_writes_nothing(settings):
    settings.DEMO_MODE = True
    doctor = f.DoctorFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_patient(actor=doctor, data=data(ins_matricule="279035121518900", ins_oid=OID_INS_NIR_TEST))
    assert "ins_matricule" in exc.value.message_dict
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.create").exists()


@pytest.mark.django_db
def test_duplicates_are_shown_first_then_flagged():
    doctor = f.DoctorFactory()
    existing = services.create_patient(actor=doctor, data=data())
    with pytest.raises(DuplicateCandidates) as exc:
        services.create_patient(actor=doctor, data=data(birth_name="LEFEVRE", birth_given_names="Eloise"))
    assert [c.patient for c in exc.value.candidates] == [existing]
    # Day and month swapped: still a candidate.
    with pytest.raises(DuplicateCandidates):
        services.create_patient(actor=doctor, data=data(birth_date=date(1979, 12, 3)))
    created = services.create_patient(actor=doctor, data=data(birth_given_names="Eloise"), confirm_not_duplicate=True)
    assert created.is_potential_duplicate


@pytest.mark.django_db
def test_strict_traits_of_a_qualified_identity_are_not_edited_by_hand(settings):
    settings.DEMO_MODE = True
    doctor = f.DoctorFactory()
    patient = services.create_patient(
        actor=doctor, data=data(ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR_TEST, identity_status="QUAL"),
    )
    changed = data(ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR_TEST, identity_status="QUAL", birth_name="Martin")
    with pytest.raises(ValidationError):
        services.update_patient(actor=doctor, patient=patient, data=changed)
    # The used name may change.
    services.update_patient(actor=doctor, patient=patient,
                            data=data(ins_matricule=ANS_TEST_INS, ins_oid=OID_INS_NIR_TEST, identity_status="QUAL",
                                      used_name="Martin"))
    patient.refresh_from_db()
    assert patient.used_name == "Martin" and patient.birth_name == "Lefèvre"


@pytest.mark.django_db
def test_control_characters_are_refused():
    doctor = f.DoctorFactory()
    with pytest.raises(ValidationError):
        services.create_patient(actor=doctor, data=data(birth_name="Lef\x00vre"))
