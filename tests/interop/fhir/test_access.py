"""Who sees which patient through the API: a hospital's client sees the patients its hospital knows (its IPPs, the
documents it sent) and nothing else (404: existence is not revealed); a regional client sees everyone; a person
signed in to the site reads within the site's access rules (403 audited) and never writes."""

import pytest
from django.test import Client

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.interop.smart import access
from oncodcc.patients.models import Patient, PatientIdentifier

from .conftest import Api, cda_document, ids, outcome, patient_resource, report

READ_ALL = "system/*.read"


@pytest.fixture
def two_hospitals(api, hospital, make_api, other_hospital):
    """Hospital A created a patient (IPP) and sent a document for another; hospital B has its own patient."""
    a_patient = api.ok(api.post("Patient", patient_resource(hospital, ipp="A-1")), 201)
    a_document = api.ok(api.post("DocumentReference", cda_document(report(
        hospital, ipp="", birth_name="Sansipp", given="Louise", conclusion="Lymphome."))), 201)
    b = make_api(other_hospital)
    b_patient = b.ok(b.post("Patient", patient_resource(other_hospital, ipp="B-1", family="Bernard",
                                                        given="Jeanne")), 201)
    return {"a": api, "b": b, "a_patient": a_patient["id"], "a_doc": a_document,
            "b_patient": b_patient["id"]}


def test_hospital_client_sees_only_its_patients(two_hospitals):
    a, b = two_hospitals["a"], two_hospitals["b"]
    a_patient, b_patient = two_hospitals["a_patient"], two_hospitals["b_patient"]
    doc_patient = two_hospitals["a_doc"]["subject"]["reference"].split("/")[1]
    assert sorted(ids(a.search("Patient"))) == sorted([a_patient, doc_patient]), "IPP, and documents sent"
    assert ids(b.search("Patient")) == [b_patient]
    assert a.read(f"Patient/{a_patient}")["id"] == a_patient
    not_found = outcome(b.get(f"Patient/{a_patient}"), 404, "not-found")
    assert not_found == outcome(b.get("Patient/999999"), 404, "not-found").replace("999999", a_patient)
    outcome(b.get(f"DocumentReference/{two_hospitals['a_doc']['id']}"), 404, "not-found")
    outcome(b.get(f"DiagnosticReport/{two_hospitals['a_doc']['id']}"), 404, "not-found")
    outcome(b.get(f"Binary/cda-{two_hospitals['a_doc']['id']}"), 404, "not-found")
    assert ids(b.search("DocumentReference", {"patient": f"Patient/{doc_patient}"})) == []
    assert ids(b.search("Patient", {"identifier": "A-1"})) == []
    resource = {**patient_resource(b.client_obj.organisation, ipp="B-1"), "id": a_patient}
    outcome(b.put(f"Patient/{a_patient}", resource), 404, "not-found")
    assert not AuditEvent.objects.filter(action=Action.FHIR_READ, details__client=b.client_obj.client_id,
                                         patient_id=int(a_patient)).exists()


def test_regional_client_sees_every_patient(two_hospitals, make_api):
    regional = make_api(None, READ_ALL)
    everyone = ids(regional.search("Patient"))
    assert {two_hospitals["a_patient"], two_hospitals["b_patient"]} <= set(everyone)
    assert len(everyone) == Patient.objects.count()
    assert regional.read(f"DiagnosticReport/{two_hospitals['a_doc']['id']}")["conclusion"] == "Lymphome."


def test_scope_module(two_hospitals, hospital, other_hospital):
    a_client, b_client = two_hospitals["a"].client_obj, two_hospitals["b"].client_obj
    assert access.can_see_patient(a_client, int(two_hospitals["a_patient"]))
    assert not access.can_see_patient(b_client, int(two_hospitals["a_patient"]))
    # Hospital B receives an IPP for the patient: from then on it sees it.
    PatientIdentifier.objects.create(patient_id=two_hospitals["a_patient"], system=other_hospital.oid, value="B-9",
                                     organisation=other_hospital)
    assert access.can_see_patient(b_client, int(two_hospitals["a_patient"]))


def test_signed_in_users_read_within_their_rights(patient, member_doctor, outsider, make_api, hospital):
    member = Client()
    member.force_login(member_doctor)
    api = Api(client=member)
    assert api.read(f"Patient/{patient.pk}")["id"] == str(patient.pk)
    assert ids(api.search("Patient")) == [str(patient.pk)]
    event = AuditEvent.objects.get(action=Action.FHIR_READ, patient_id=patient.pk, details__resource="Patient",
                                   details__count=1, object_id=str(patient.pk))
    assert event.actor_id == member_doctor.pk
    stranger = Client()
    stranger.force_login(outsider)
    other = Api(client=stranger)
    outcome(other.get(f"Patient/{patient.pk}"), 403, "forbidden")
    assert ids(other.search("Patient")) == []
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, actor_id=outsider.pk)
    assert denied.details == {"purpose": Action.FHIR_READ, "resource": "Patient"}
    outcome(api.post("Patient", patient_resource(hospital)), 403, "forbidden")
