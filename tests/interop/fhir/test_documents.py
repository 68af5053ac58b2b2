"""Documents through FHIR: DocumentReference create (CDA level 3 and 1, PDF, staged Binary), replacement and
deletion with the version chain, search and read (received and generated documents), Binary (JSON, raw, 406, 409,
410), DiagnosticReport (conclusion, status, category), refusals, audit."""

import base64
import hashlib
import uuid

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.documents import store
from oncodcc.documents.models import Document, Rendering
from oncodcc.interop.smart.models import StagedBinary
from tests import factories as f
from tests import samples

from .conftest import BIRTH, cda_document, ids, outcome, report


def post_cda(api, hospital, status=201, **kwargs):
    response = api.post("DocumentReference", cda_document(report(hospital, **kwargs)))
    data = api.ok(response, status)
    return data


def test_a_cda_report_in_then_found_by_patient_and_type(api, hospital):
    data = post_cda(api, hospital, conclusion="Carcinome canalaire infiltrant grade II.")
    document = Document.objects.get(pk=data["id"])
    assert (document.kind, document.channel, document.sender, document.type_code) == \
        ("received", "fhir", hospital, "60568-3")
    assert data["status"] == "current" and data["subject"]["reference"] == f"Patient/{document.patient_id}"
    assert data["type"]["coding"][0] == {"system": "http://loinc.org", "code": "60568-3",
                                         "display": "CR d'anatomie et de cytologie pathologiques"}
    assert data["content"][0]["attachment"]["url"] == f"Binary/cda-{document.pk}"
    assert data["custodian"]["reference"] == f"Organization/{hospital.pk}"
    assert data["masterIdentifier"]["value"] == f"{document.set_id}-v1"
    patient = f"Patient/{document.patient_id}"
    for params in ({"patient": patient}, {"subject": patient}, {"patient": str(document.patient_id)},
                   {"patient": patient, "type": "http://loinc.org|60568-3"}, {"type": "60568-3"},
                   {"status": "current"}, {"category": "received"}, {"date": "ge2020-01-01"}, {"_id": data["id"]}):
        assert ids(api.search("DocumentReference", params)) == [data["id"]], params
    for params in ({"type": "http://loinc.org|51969-4"}, {"status": "superseded"}, {"date": "lt2020-01-01"},
                   {"patient": "Patient/999999"}, {"status:not": "current"}):
        assert ids(api.search("DocumentReference", params)) == [], params
    report_data = api.search("DiagnosticReport", {"patient": patient})["entry"][0]["resource"]
    assert report_data["conclusion"] == "Carcinome canalaire infiltrant grade II."
    assert report_data["status"] == "final" and report_data["code"]["coding"][0]["code"] == "60568-3"
    assert report_data["category"][0]["coding"][0]["code"] == "PAT"
    assert report_data["presentedForm"][0]["url"] == f"Binary/cda-{document.pk}"
    assert report_data["effectiveDateTime"].startswith("2026-11-20T09:15")
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_RECEIVE, patient_id=document.patient_id).exists()
    assert AuditEvent.objects.get(action=Action.FHIR_WRITE).details["outcome"] == "created"


def test_same_document_twice_is_200_with_the_first(api, hospital):
    content = report(hospital, doc_id="1.2.3.9.1")
    first = api.ok(api.post("DocumentReference", cda_document(content)), 201)
    wrapped = cda_document(content)
    data = wrapped["content"][0]["attachment"]["data"]
    wrapped["content"][0]["attachment"]["data"] = "\n".join(data[i:i + 76] for i in range(0, len(data), 76))
    again = api.ok(api.post("DocumentReference", wrapped), 200)  # base64 wrapped in lines, as MIME tools do
    assert again["id"] == first["id"] and Document.objects.count() == 1


def test_binary_json_and_raw(api, hospital):
    data = post_cda(api, hospital)
    document_id = data["id"]
    binary = api.read(f"Binary/cda-{document_id}")
    stored = Document.objects.get(pk=document_id).renderings.get(format="cda")
    assert binary["contentType"] == "application/hl7-v3+xml"
    assert hashlib.sha256(base64.b64decode(binary["data"])).hexdigest() == stored.sha256
    assert binary["securityContext"]["reference"] == f"DocumentReference/{document_id}"
    raw = api.client.get(f"/fhir/Binary/cda-{document_id}", headers={**api.headers(), "Accept": "application/xml"})
    assert raw.status_code == 200 and raw["Content-Type"] == "application/hl7-v3+xml"
    assert raw.content.startswith(b"<?xml") and len(raw.content) == stored.size
    outcome(api.client.get(f"/fhir/Binary/cda-{document_id}", headers={**api.headers(), "Accept": "image/png"}),
            406, "not-supported")
    views = AuditEvent.objects.filter(action=Action.DOCUMENT_VIEW, patient_id=Document.objects.get(
        pk=document_id).patient_id)
    assert views.count() == 2 and views.first().details["resource"] == "Binary"


def test_level_one_cda_serves_its_pdf(api, hospital):
    data = post_cda(api, hospital, pdf=samples.TINY_PDF)
    urls = {c["attachment"]["contentType"]: c["attachment"]["url"] for c in data["content"]}
    assert urls == {"application/hl7-v3+xml": f"Binary/cda-{data['id']}", "application/pdf": f"Binary/pdf-{data['id']}"}
    raw = api.client.get(f"/fhir/{urls['application/pdf']}", headers={**api.headers(), "Accept": "application/pdf"})
    assert raw.status_code == 200 and raw.content == samples.TINY_PDF


def test_replace_then_delete_keep_the_chain(api, hospital):
    first = post_cda(api, hospital, doc_id="5.1", set_id="5.0")
    second = api.ok(api.post("DocumentReference", cda_document(
        report(hospital, doc_id="5.2", set_id="5.0", version=2, replaces="5.1", conclusion="Corrigé."),
        relates_to=f"DocumentReference/{first['id']}")), 201)
    assert second["relatesTo"] == [{"code": "replaces", "target": {"reference": f"DocumentReference/{first['id']}"}}]
    assert api.read(f"DocumentReference/{first['id']}")["status"] == "superseded"
    amended = api.read(f"DiagnosticReport/{first['id']}")
    assert amended["status"] == "amended"
    assert api.read(f"DiagnosticReport/{second['id']}")["conclusion"] == "Corrigé."
    # Replacing a superseded version again is a conflict.
    outcome(api.post("DocumentReference", cda_document(report(hospital, doc_id="5.3", set_id="5.0", version=3),
                                                      relates_to=f"DocumentReference/{first['id']}")), 409, "conflict")
    response = api.delete(f"DocumentReference/{second['id']}")
    assert response.status_code == 204
    assert set(Document.objects.values_list("status", flat=True)) == {"deleted"}
    assert api.read(f"DocumentReference/{second['id']}")["status"] == "entered-in-error"
    assert api.read(f"DiagnosticReport/{second['id']}")["status"] == "entered-in-error"
    outcome(api.get(f"Binary/cda-{second['id']}"), 410, "deleted")
    assert api.delete(f"DocumentReference/{second['id']}").status_code == 204, "idempotent"
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_DELETE).count() == 1


def test_pdf_document_with_subject_and_staged_binary(api, hospital):
    patient = post_cda(api, hospital)["subject"]["reference"]
    staged = api.post("Binary", samples.TINY_PDF, content_type="application/pdf")
    binary = api.ok(staged, 201)
    assert binary["id"].startswith("staged-") and staged["Location"].endswith(f"Binary/{binary['id']}")
    assert api.read(f"Binary/{binary['id']}")["data"] == base64.b64encode(samples.TINY_PDF).decode()
    resource = {"resourceType": "DocumentReference", "status": "current",
                "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
                "type": {"coding": [{"system": "http://loinc.org", "code": "51969-4"}]},
                "subject": {"reference": patient}, "description": "Panel NGS",
                "author": [{"display": "Laboratoire de test"}],
                "content": [{"attachment": {"contentType": "application/pdf", "url": f"Binary/{binary['id']}"}}]}
    data = api.ok(api.post("DocumentReference", resource), 201)
    document = Document.objects.get(pk=data["id"])
    assert (document.type_code, document.cda_level, document.title, document.author_label) == \
        ("51969-4", None, "Panel NGS", "Laboratoire de test")
    assert StagedBinary.objects.get().document_id == document.pk
    pdf = document.renderings.get()
    assert pdf.format == "pdf" and store.get(pdf.sha256, "pdf") == samples.TINY_PDF
    genetics = api.search("DiagnosticReport", {"category": "GE"})
    assert ids(genetics) == [data["id"]]
    assert ids(api.search("DiagnosticReport", {"code": "http://loinc.org|51969-4"})) == [data["id"]]
    # A new version of the PDF.
    resource["masterIdentifier"]["value"] = f"urn:uuid:{uuid.uuid4()}"
    resource["relatesTo"] = [{"code": "replaces", "target": {"reference": f"DocumentReference/{data['id']}"}}]
    resource["content"] = [{"attachment": {"contentType": "application/pdf",
                                           "data": base64.b64encode(samples.TINY_PDF + b"%v2").decode()}}]
    second = api.ok(api.post("DocumentReference", resource), 201)
    second_doc = Document.objects.get(pk=second["id"])
    assert second_doc.set_id == document.set_id and second_doc.version_number == 2
    document.refresh_from_db()
    assert document.status == "superseded"


def test_refused_documents(api, hospital, make_api, other_hospital):
    outcome(api.post("DocumentReference", cda_document(b"<pas du CDA")), 422, "processing")
    outcome(api.post("DocumentReference", cda_document(report(hospital, type_code="99999-9"))), 422)
    outcome(api.post("DocumentReference", {**cda_document(report(hospital)), "status": "superseded"}), 422)
    outcome(api.post("DocumentReference", cda_document(report(hospital), content_type="image/png")), 415)
    outcome(api.post("DocumentReference", cda_document(report(hospital), relates_to="DocumentReference/999999")),
            422, "not-found")
    outcome(api.post("DocumentReference", {"resourceType": "DocumentReference", "status": "current",
                                           "content": [{"attachment": {"contentType": "application/pdf",
                                                                       "url": "Binary/staged-999"}}]}), 422,
            "not-found")
    pdf = {"resourceType": "DocumentReference", "status": "current",
           "content": [{"attachment": {"contentType": "application/pdf",
                                       "data": base64.b64encode(samples.TINY_PDF).decode()}}]}
    outcome(api.post("DocumentReference", pdf), 422, "required")  # no type
    pdf["type"] = {"coding": [{"system": "http://loinc.org", "code": "60568-3"}]}
    outcome(api.post("DocumentReference", pdf), 422, "required")  # no subject
    pdf["subject"] = {"identifier": {"system": f"urn:oid:{hospital.oid}", "value": "INCONNU"}}
    outcome(api.post("DocumentReference", pdf), 422)  # unknown patient, no traits to create one
    first = post_cda(api, hospital)
    other = make_api(other_hospital)
    outcome(other.delete(f"DocumentReference/{first['id']}"), 404, "not-found")  # outside its scope
    # The patient named by subject must be the CDA's.
    someone = post_cda(api, hospital, ipp="IPP-77", birth_name="Autre", given="Jean", sex="M")
    mismatch = cda_document(report(hospital, doc_id=str(uuid.uuid4())), subject=someone["subject"]["reference"])
    outcome(api.post("DocumentReference", mismatch), 409, "conflict")
    assert not StagedBinary.objects.exists()


def test_only_the_sender_deletes_and_writes_need_a_hospital(api, hospital, make_api, other_hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    data = post_cda(api, hospital, ins=ins)
    # Another hospital that knows the patient (its own IPP, matched by INS) sees the document but cannot delete it.
    other = make_api(other_hospital)
    theirs = post_cda(other, other_hospital, ipp="B-1", ins=ins)
    assert theirs["subject"] == data["subject"]
    assert other.read(f"DocumentReference/{data['id']}")["id"] == data["id"]
    outcome(other.delete(f"DocumentReference/{data['id']}"), 403, "forbidden")
    regional = make_api(None, "system/DocumentReference.read")
    assert regional.read(f"DocumentReference/{data['id']}")["id"] == data["id"]
    outcome(regional.delete(f"DocumentReference/{data['id']}"), 403, "forbidden")
    outcome(regional.post("DocumentReference", cda_document(report(hospital))), 403, "forbidden")


def test_generated_documents_are_served_read_only(make_api, db):
    coordinator = f.DoctorFactory(role="coordinator")
    patient = f.PatientFactory()
    document = Document.objects.create(kind=Document.Kind.FRCP, type_code="34794-8", title="Fiche RCP — Sein",
                                       patient=patient, set_id=uuid.uuid4(), version_number=1, author=coordinator)
    sha, _ = store.put(b"<ClinicalDocument/>", "xml")
    Rendering.objects.create(document=document, format="cda", state="ready", sha256=sha, size=19)
    Rendering.objects.create(document=document, format="pdf", state="pending")
    regional = make_api(None, "system/DocumentReference.read system/Binary.read system/DiagnosticReport.read")
    data = regional.read(f"DocumentReference/{document.pk}")
    assert data["category"][0]["coding"][0]["code"] == "frcp"
    assert data["author"][0]["reference"] == f"Practitioner/{coordinator.practitioner_id}"
    attachments = [c["attachment"] for c in data["content"]]
    assert attachments[0]["url"] == f"Binary/cda-{document.pk}" and "url" not in attachments[1]
    outcome(regional.get(f"Binary/pdf-{document.pk}"), 409, "conflict")
    assert ids(regional.search("DiagnosticReport", {"patient": f"Patient/{patient.pk}"})) == []
    outcome(regional.get(f"DiagnosticReport/{document.pk}"), 404, "not-found")


@pytest.mark.parametrize("path", ["DocumentReference", "DiagnosticReport"])
def test_search_paging(api, hospital, path):
    for n in range(3):
        post_cda(api, hospital, doc_id=f"3.{n}")
    first = api.search(path, {"_count": "2"})
    assert first["total"] == 3 and len(first["entry"]) == 2
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = api.ok(api.client.get(nxt.replace("http://testserver", ""), headers=api.headers()))
    assert len(second["entry"]) == 1 and not set(ids(first)) & set(ids(second))
