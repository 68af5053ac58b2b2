"""Identity proofs before cross-hospital access, through the real FHIR API (issue #9, hole 3): an INS known to
the DCC attaches another hospital's IPP — and so opens that patient's documents to its client — only when the
strict traits agree (birth name, first given name, birth date, sex). Otherwise: 409, nothing attached, the other
hospital's documents stay invisible, the incident goes to the identity vigilance worklist."""

import base64
from datetime import date

import pytest

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.documents.models import Document
from oncodcc.patients import vigilance
from oncodcc.patients.models import Patient, PatientIdentifier
from tests import factories as f
from tests import samples

from .conftest import BIRTH, cda_document, ids, outcome, patient_resource, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_dsrc_user():
    return f.UserFactory(role=Role.ADMIN_DSRC, is_staff=True)


@pytest.fixture
def ins():
    return samples.nir(sex="F", birth_date=BIRTH)


@pytest.fixture
def a_patient(api, hospital, ins):
    """Hospital A's qualified patient, with a pathology report (conclusion) it sent."""
    created = api.ok(api.post("Patient", patient_resource(hospital, ipp="A-1", ins=ins, reliability="QUAL")), 201)
    document = api.ok(api.post("DocumentReference", cda_document(report(
        hospital, ipp="A-1", ins=ins, conclusion="Carcinome lobulaire."))), 201)
    return {"id": created["id"], "document": document["id"]}


def _cannot_read_documents(client, a_patient):
    doc = a_patient["document"]
    outcome(client.get(f"DocumentReference/{doc}"), 404, "not-found")
    outcome(client.get(f"DiagnosticReport/{doc}"), 404, "not-found")
    outcome(client.get(f"Binary/cda-{doc}"), 404, "not-found")
    outcome(client.get(f"Patient/{a_patient['id']}"), 404, "not-found")
    assert ids(client.search("DocumentReference", {"patient": f"Patient/{a_patient['id']}"})) == []


@pytest.mark.parametrize("traits", [
    {"family": "Martin", "given": "Paul"},                 # another person altogether
    {"family": "Lefèvre", "given": "Hélène", "birth": date(1961, 4, 18)},  # one day off
    {"family": "Lefèvre", "given": "Marie Hélène"},         # first given name differs
])
def test_another_hospitals_ins_with_other_traits_is_refused(a_patient, make_api, other_hospital, ins, traits):
    b = make_api(other_hospital)
    patients_before = set(Patient.objects.values_list("pk", flat=True))
    identifiers_before = PatientIdentifier.objects.count()

    response = b.post("Patient", patient_resource(other_hospital, ipp="B-1", ins=ins, **traits))

    text = outcome(response, 409, "conflict")
    assert "INS" in text and "identitovigilance" in text
    for trait in ("Lefèvre", "LEFEVRE", "Hélène", "1961", a_patient["id"]):
        assert trait not in text, "never answer with the matched record's identity"
    assert "Lefèvre" not in response.content.decode()
    assert PatientIdentifier.objects.count() == identifiers_before
    assert not PatientIdentifier.objects.filter(system=other_hospital.oid).exists()
    _cannot_read_documents(b, a_patient)
    # The incoming identity is set aside for identity vigilance: one new record, flagged, without INS nor IPP.
    (aside,) = Patient.objects.exclude(pk__in=patients_before)
    assert {"DPOT", "DOUT"} <= set(aside.identity_flags)
    assert aside.ins_matricule == "" and not aside.identifiers.exists() and aside.identity_status == "PROV"
    assert not Document.objects.filter(patient=aside).exists()
    assert aside in vigilance.flagged()
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=int(a_patient["id"]))
    assert denied.details["channel"] == "fhir" and denied.details["set_aside"] == aside.pk
    assert "birth_name" in denied.details["fields"] or "first_birth_given_name" in denied.details["fields"] \
        or "birth_date" in denied.details["fields"]
    assert denied.reason == "identity_mismatch"
    creation = AuditEvent.objects.get(action=Action.PATIENT_CREATE, patient_id=aside.pk)
    assert creation.details["ins_holder"] == int(a_patient["id"])
    assert creation.details["note"] == "INS connu avec des traits discordants"
    # Nothing else: no write event for the API client, the record of hospital A unchanged.
    assert not AuditEvent.objects.filter(action=Action.FHIR_WRITE, details__client=b.client_obj.client_id).exists()
    holder = Patient.objects.get(pk=a_patient["id"])
    assert (holder.birth_name, holder.first_birth_given_name, holder.birth_date) == ("Lefèvre", "Hélène", BIRTH)


def test_the_set_aside_record_lists_the_ins_holder_on_the_worklist(a_patient, make_api, other_hospital, ins,
                                                                    admin_dsrc_user):
    b = make_api(other_hospital)
    outcome(b.post("Patient", patient_resource(other_hospital, ipp="B-1", ins=ins, family="Martin",
                                               given="Paul")), 409)
    entry = vigilance.worklist(user=admin_dsrc_user).entries[0]
    assert [c.patient.pk for c in entry.candidates] == [int(a_patient["id"])]
    assert "traits discordants" in entry.created_channel


def test_a_second_attempt_is_refused_again(a_patient, make_api, other_hospital, ins):
    b = make_api(other_hospital)
    resource = patient_resource(other_hospital, ipp="B-1", ins=ins, family="Martin", given="Paul")
    outcome(b.post("Patient", resource), 409)
    outcome(b.post("Patient", resource), 409)
    _cannot_read_documents(b, a_patient)


def test_same_ins_with_the_same_traits_attaches_the_ipp(a_patient, make_api, other_hospital, ins):
    b = make_api(other_hospital)
    # Same traits, written the way another system writes them (case, accents, hyphen in the given names).
    resource = patient_resource(other_hospital, ipp="B-1", ins=ins, family="LEFEVRE", given="HELENE MARIE")
    data = b.ok(b.post("Patient", resource), 200)
    assert data["id"] == a_patient["id"]
    assert PatientIdentifier.objects.filter(patient_id=a_patient["id"], system=other_hospital.oid,
                                            value="B-1").exists()
    assert b.read(f"DiagnosticReport/{a_patient['document']}")["conclusion"] == "Carcinome lobulaire."
    assert not vigilance.flagged().exists()


def test_document_by_ins_with_other_traits_is_refused_and_stays_invisible(a_patient, make_api, other_hospital, ins):
    b = make_api(other_hospital)
    documents_before = Document.objects.count()
    cda = report(other_hospital, ipp="B-7", ins=ins, birth_name="Martin", given="Paul")
    text = outcome(b.post("DocumentReference", cda_document(cda)), 409, "conflict")
    assert "Lefèvre" not in text
    assert Document.objects.count() == documents_before
    assert not PatientIdentifier.objects.filter(system=other_hospital.oid).exists()
    _cannot_read_documents(b, a_patient)
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=int(a_patient["id"]),
                                     reason="identity_mismatch").exists()


def test_document_by_ins_without_traits_from_a_stranger_is_refused(a_patient, make_api, other_hospital, ins):
    b = make_api(other_hospital)
    resource = {"resourceType": "DocumentReference", "status": "current",
                "type": {"coding": [{"system": "http://loinc.org", "code": "60568-3"}]},
                "subject": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": ins}},
                "content": [{"attachment": {"contentType": "application/pdf",
                                            "data": base64.b64encode(samples.TINY_PDF).decode()}}]}
    text = outcome(b.post("DocumentReference", resource), 422)
    assert "preuve d'identité" in text
    _cannot_read_documents(b, a_patient)


def test_update_of_a_qualified_identity_needs_a_qualified_source(api, hospital, a_patient, ins):
    resource = {**patient_resource(hospital, ipp="A-1", family="Lefebvre", reliability="VALI", ins=ins),
                "id": a_patient["id"]}
    text = outcome(api.put(f"Patient/{a_patient['id']}", resource), 422)
    assert "qualifiée" in text
    patient = Patient.objects.get(pk=a_patient["id"])
    assert patient.birth_name == "Lefèvre" and patient.identity_status == "QUAL"
    event = AuditEvent.objects.get(action=Action.ACCESS_DENIED, patient_id=patient.pk)
    assert event.reason == "identity_update_refused" and event.details["fields"] == ["birth_name"]
    # From a qualified source, the correction goes through.
    resource = {**patient_resource(hospital, ipp="A-1", family="Lefebvre", reliability="QUAL", ins=ins),
                "id": a_patient["id"]}
    api.ok(api.put(f"Patient/{a_patient['id']}", resource))
    assert Patient.objects.get(pk=a_patient["id"]).birth_name == "Lefebvre"
