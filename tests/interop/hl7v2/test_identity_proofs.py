"""Identity proofs over HL7 (issue #9, hole 4): through INS matching, a sender could overwrite the strict traits of
another hospital's patient, even a qualified one, and get its IPP attached. Now: an INS known with other traits is
refused (AE, ERR 205 at PID-3, French reason without identities), nothing of the message is kept except the
identity set aside for vigilance and the audit event; a qualified identity's traits change only from a QUAL source
(AE, ERR 206)."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor
from oncodcc.documents.models import Document
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients import inbound
from oncodcc.patients.models import OID_INS_NIR, Patient, PatientIdentifier
from tests import samples

from . import messages as m
from .test_mllp import Client, ack_fields, listener  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
BIRTH = date(1958, 12, 1)


@pytest.fixture
def qualified(db):
    """Another hospital's qualified patient (INS + QUAL), with the pathology report it sent."""
    other = samples.hospital(name="CHU Voisin")
    actor = SystemActor(label="HL7 CHU Voisin", role="hl7", organisation=other)
    ins = samples.nir(sex="F", birth_date=BIRTH)
    patient = inbound.resolve(actor=actor, organisation=other, channel="hl7", incoming=inbound.IncomingIdentity(
        ipp="V-1", ins_matricule=ins, ins_oid=OID_INS_NIR, birth_name="GARÇON", birth_given_names="Élodie Anne",
        birth_date=BIRTH, sex="F", identity_status="QUAL")).patient
    return {"patient": patient, "ins": ins, "hospital": other}


def err(answer: bytes) -> tuple[str, str]:
    segment = m.parse_ack(answer).segment("ERR")
    return str(segment[2]), str(segment[3]).split("^")[0]


def snapshot(patient: Patient) -> tuple:
    patient.refresh_from_db()
    return (patient.birth_name, patient.birth_given_names, patient.first_birth_given_name, patient.birth_date,
            patient.sex, patient.identity_status, patient.used_name, tuple(patient.identity_flags))


def _assert_refused_as_mismatch(answer: bytes, qualified: dict, before: tuple, sender_hospital) -> None:
    assert m.ack_code(answer) == "AE"
    location, code = err(answer)
    assert location.startswith("PID^1^3") and code == "205"
    text = m.ack_text(answer)
    assert "INS" in text and "identitovigilance" in text
    assert "GARÇON" not in text and "Élodie" not in text and "1958" not in text
    patient = qualified["patient"]
    assert snapshot(patient) == before, "no trait overwritten"
    assert not PatientIdentifier.objects.filter(system=sender_hospital.oid).exists()
    row = Hl7Message.objects.latest("id")
    assert (row.state, row.ack_code, row.patient_id) == ("error", "AE", None)
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=patient.pk)
    assert denied.reason == "identity_mismatch" and denied.details["channel"] == "hl7"
    aside = Patient.objects.get(pk=denied.details["set_aside"])
    assert {"DPOT", "DOUT"} <= set(aside.identity_flags) and aside.ins_matricule == ""
    assert not aside.identifiers.exists()
    assert not AuditEvent.objects.filter(action=Action.HL7_MESSAGE).exists()


@pytest.mark.parametrize("event", ["A28", "A31"])
def test_another_hospitals_qualified_ins_with_other_traits_is_refused(sender, hospital, qualified, event):
    before = snapshot(qualified["patient"])
    answer = handle_message(m.adt(event, m.pid(
        ipp="B-1", oid=hospital.oid, ins=qualified["ins"], birth_name="MARTIN", given="Élodie", birth_date=BIRTH,
        sex="F", status="QUAL", used_name="DUPONT")))
    _assert_refused_as_mismatch(answer, qualified, before, hospital)
    assert Patient.objects.count() == 2  # the qualified record and the identity set aside


def test_a_resent_refused_message_does_not_pile_up_on_the_worklist(sender, hospital, qualified):
    segment = m.pid(ipp="B-1", oid=hospital.oid, ins=qualified["ins"], birth_name="MARTIN", given="Paule",
                    birth_date=BIRTH, sex="F")
    for _ in range(3):
        assert m.ack_code(handle_message(m.adt("A28", segment))) == "AE"
    assert Patient.objects.count() == 2
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, reason="identity_mismatch").count() == 3


def test_same_ins_and_same_traits_attaches_the_ipp(sender, hospital, qualified):
    answer = handle_message(m.adt("A28", m.pid(
        ipp="B-1", oid=hospital.oid, ins=qualified["ins"], birth_name="GARCON", given="ELODIE ANNE",
        birth_date=BIRTH, sex="F", status="VALI", used_name="DUPONT")))
    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    patient = qualified["patient"]
    assert PatientIdentifier.objects.get(system=hospital.oid).patient_id == patient.pk
    patient.refresh_from_db()
    # A VALI source does not rewrite the qualified traits (they agree anyway); the used name follows.
    assert (patient.birth_name, patient.identity_status, patient.used_name) == ("GARÇON", "QUAL", "DUPONT")


def test_owner_cannot_change_qualified_traits_from_a_less_trusted_identity(sender, hospital, qualified):
    patient = qualified["patient"]
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="B-5", organisation=hospital)
    before = snapshot(patient)
    answer = handle_message(m.adt("A31", m.pid(
        ipp="B-5", oid=hospital.oid, ins=qualified["ins"], birth_name="GARSON", given="Élodie Anne",
        birth_date=BIRTH, sex="F", status="VALI", used_name="DUPONT")))
    assert m.ack_code(answer) == "AE"
    location, code = err(answer)
    assert location.startswith("PID^1^5") and code == "206"
    assert "qualifiée" in m.ack_text(answer)
    assert snapshot(patient) == before
    event = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=patient.pk)
    assert event.reason == "identity_update_refused" and event.details["fields"] == ["birth_name"]
    # From a QUAL source, the correction goes through.
    answer = handle_message(m.adt("A31", m.pid(
        ipp="B-5", oid=hospital.oid, ins=qualified["ins"], birth_name="GARSON", given="Élodie Anne",
        birth_date=BIRTH, sex="F", status="QUAL")))
    assert m.ack_code(answer) == "AA"
    patient.refresh_from_db()
    assert patient.birth_name == "GARSON"


def test_oru_with_a_known_ins_and_other_traits_files_nothing(sender, hospital, qualified):
    cda = samples.cda_report(birth_name="MARTIN", given="Paule", birth_date=BIRTH, ipp="B-9",
                             hospital_oid=hospital.oid, ins=qualified["ins"])
    documents = Document.objects.count()
    answer = handle_message(m.oru(m.pid(ipp="B-9", oid=hospital.oid, ins=qualified["ins"], birth_name="MARTIN",
                                        given="Paule", birth_date=BIRTH, sex="F"), m.cda_obx(1, cda)))
    assert m.ack_code(answer) == "AE"
    assert "GARÇON" not in m.ack_text(answer)
    assert Document.objects.count() == documents
    assert not PatientIdentifier.objects.filter(system=hospital.oid).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=qualified["patient"].pk,
                                     reason="identity_mismatch").exists()


@pytest.mark.django_db(transaction=True)
def test_over_a_real_socket(listener, hospital, qualified):  # noqa: F811 (fixture)
    before = snapshot(qualified["patient"])
    payload = m.adt("A28", m.pid(ipp="B-1", oid=hospital.oid, ins=qualified["ins"], birth_name="MARTIN",
                                 given="Élodie", birth_date=BIRTH, sex="F", status="QUAL"), control="PROOF-1")
    with Client(listener.port) as client:
        answer = client.send(payload)
    assert ack_fields(answer) == ("AE", "PROOF-1")
    _assert_refused_as_mismatch(answer, qualified, before, hospital)
