"""Identity proofs in the contextual launch (issue #9, hole 3): a hospital's signed token naming another
hospital's patient by INS with other traits used to attach the hospital's IPP and put the doctor on the care team,
which opens the whole record. Now: French refusal page, nothing written but the identity set aside for vigilance
and the audit events; with the same traits, the launch opens the record as before."""

import html
from datetime import date

import pytest
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.interop.launch.models import UsedLaunchToken
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
BIRTH = date(1958, 7, 2)


@pytest.fixture
def elsewhere():
    """Another hospital's qualified patient, known by its IPP there."""
    other = samples.hospital(name="CHU Voisin")
    ins = samples.nir(sex="M", birth_date=BIRTH)
    patient = f.PatientFactory(birth_name="Rousseau", first_birth_given_name="Étienne",
                               birth_given_names="Étienne Marc", sex="M", birth_date=BIRTH, ins_matricule=ins,
                               ins_oid=OID_INS_NIR, identity_status="QUAL")
    PatientIdentifier.objects.create(patient=patient, system=other.oid, value="V-1", organisation=other)
    return patient


def claims(patient, **overrides):
    values = {"ipp": "778899", "ins": {"matricule": patient.ins_matricule, "oid": OID_INS_NIR},
              "birth_name": patient.birth_name, "birth_given_names": patient.birth_given_names,
              "birth_date": patient.birth_date.isoformat(), "sex": patient.sex, "identity_status": "QUAL"}
    return {**values, **overrides}


@pytest.mark.parametrize("overrides", [
    {"birth_name": "Martin", "birth_given_names": "Paul"},
    {"birth_date": "1958-07-03"},
])
def test_another_hospitals_ins_with_other_traits_is_refused(client, signer, hospital, doctor, elsewhere,
                                                            overrides):
    before = set(Patient.objects.values_list("pk", flat=True))
    response = client.get("/launch", {"token": signer.token(patient=claims(elsewhere, **overrides))})

    assert response.status_code == 409
    assert response.templates[0].name == "launch/refused.html"
    body = html.unescape(response.content.decode())
    assert "Identité du patient discordante" in body and "<code>identity_mismatch</code>" in body
    assert "Rousseau" not in body and "Étienne" not in body
    assert client.session.get("_auth_user_id") is None
    assert not CareTeamMember.objects.filter(patient=elsewhere).exists(), "doctor not added to the care team"
    assert not PatientIdentifier.objects.filter(system=hospital.oid).exists()
    assert not UsedLaunchToken.objects.exists() and not AuditEvent.objects.filter(action=Action.LAUNCH).exists()
    elsewhere.refresh_from_db()
    assert (elsewhere.birth_name, elsewhere.birth_date, elsewhere.identity_status) == ("Rousseau", BIRTH, "QUAL")
    refusal = AuditEvent.objects.get(action=Action.LAUNCH_REFUSED)
    assert refusal.details["reason"] == "identity_mismatch" and refusal.patient_id is None
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=elsewhere.pk)
    assert denied.reason == "identity_mismatch" and denied.details["channel"] == "launch"
    (aside,) = Patient.objects.exclude(pk__in=before)
    assert aside.pk == denied.details["set_aside"]
    assert {"DPOT", "DOUT"} <= set(aside.identity_flags) and not aside.identifiers.exists()
    assert not CareTeamMember.objects.filter(patient=aside).exists()
    # The doctor cannot reach the record afterwards either.
    client.force_login(doctor)
    assert client.get(reverse("patients:detail", args=[elsewhere.pk])).status_code == 403


def test_same_ins_and_same_traits_opens_the_record(client, signer, hospital, doctor, elsewhere):
    response = client.get("/launch", {"token": signer.token(patient=claims(
        elsewhere, birth_name="ROUSSEAU", birth_given_names="ETIENNE MARC"))})
    assert response["Location"] == reverse("patients:detail", args=[elsewhere.pk])
    assert CareTeamMember.objects.filter(patient=elsewhere, practitioner=doctor.practitioner).exists()
    assert PatientIdentifier.objects.get(system=hospital.oid).patient == elsewhere


def test_qualified_traits_are_not_changed_by_a_less_trusted_launch(client, signer, hospital, doctor, elsewhere):
    PatientIdentifier.objects.create(patient=elsewhere, system=hospital.oid, value="778899", organisation=hospital)
    response = client.get("/launch", {"token": signer.token(patient=claims(
        elsewhere, birth_name="Rousseaux", identity_status="PROV"))})
    assert response.status_code == 409
    assert "<code>identity_protected</code>" in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.birth_name == "Rousseau"
    assert not CareTeamMember.objects.filter(patient=elsewhere).exists()
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=elsewhere.pk)
    assert denied.reason == "identity_update_refused" and denied.details["fields"] == ["birth_name"]
