"""Received CDA documents: filed under the right patient, stored as received, replaced and deleted with their
version chain, refused with a French reason."""

from datetime import date
from pathlib import Path

import pytest

from oncodcc.core.actors import SystemActor
from oncodcc.documents import received, store
from oncodcc.documents.models import Document, Rendering
from oncodcc.patients.models import OID_INS_NIR, Patient, PatientIdentifier
from tests import samples

pytestmark = pytest.mark.django_db
BIRTH = date(1958, 9, 3)
KIT = next((p for p in (Path(__file__).resolve().parents[2].parent / "shared" / "ans",) if p.exists()), None)


@pytest.fixture
def hospital():
    return samples.hospital()


@pytest.fixture
def actor(hospital):
    return SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital)


def report(hospital, **kw):
    data = {"birth_name": "Lefèvre", "given": "Hélène Marie", "birth_date": BIRTH, "ipp": "P-42",
            "hospital_oid": hospital.oid}
    return samples.cda_report(**{**data, **kw})


def file(actor, hospital, content, action=received.NEW):
    return received.file_cda(actor=actor, organisation=hospital, content=content, action=action, channel="hl7")


def test_new_report_creates_patient_and_document(actor, hospital):
    content = report(hospital, conclusion="Adénocarcinome lieberkühnien pT3N1.")
    filed = file(actor, hospital, content)
    doc = filed.document
    assert filed.outcome == "created" and filed.patient_created
    assert doc.kind == "received" and doc.type_code == "60568-3" and doc.cda_level == 3
    assert doc.conclusion == "Adénocarcinome lieberkühnien pT3N1."
    assert doc.type_label == "CR d'anatomie et de cytologie pathologiques"
    assert PatientIdentifier.objects.get(patient=doc.patient).value == "P-42"
    cda = doc.renderings.get(format=Rendering.Format.CDA)
    assert cda.state == "ready" and store.get(cda.sha256, "xml") == content


def test_level_one_pdf_is_stored_beside_the_cda(actor, hospital):
    doc = file(actor, hospital, report(hospital, pdf=samples.TINY_PDF)).document
    assert doc.cda_level == 1
    pdf = doc.renderings.get(format=Rendering.Format.PDF)
    assert store.get(pdf.sha256, "pdf") == samples.TINY_PDF


def test_same_document_twice_is_filed_once(actor, hospital):
    content = report(hospital, doc_id="1.2.3.4.5.1")
    file(actor, hospital, content)
    assert file(actor, hospital, content).outcome == "duplicate"
    assert Document.objects.count() == 1


def test_replace_and_delete_keep_the_version_chain(actor, hospital):
    first = file(actor, hospital, report(hospital, doc_id="9.1", set_id="9.0")).document
    second = file(actor, hospital, report(hospital, doc_id="9.2", set_id="9.0", version=2, replaces="9.1",
                                          conclusion="Conclusion corrigée."), action=received.REPLACE)
    first.refresh_from_db()
    assert second.outcome == "replaced" and first.status == "superseded"
    assert second.document.set_id == first.set_id and second.document.version_number == 2
    deleted = file(actor, hospital, report(hospital, doc_id="9.2", set_id="9.0", version=2), action=received.DELETE)
    assert deleted.outcome == "deleted"
    assert set(Document.objects.values_list("status", flat=True)) == {"deleted"}
    assert Document.objects.count() == 2


@pytest.mark.parametrize("action", [received.REPLACE, received.DELETE])
def test_replace_or_delete_for_an_unknown_patient_is_refused(actor, hospital, action):
    with pytest.raises(received.DocumentRefused, match="Patient inconnu") as exc:
        file(actor, hospital, report(hospital), action=action)
    assert exc.value.code == "not-found"
    assert not Patient.objects.exists()


def test_replace_of_an_unknown_document_is_refused(actor, hospital):
    file(actor, hospital, report(hospital))
    with pytest.raises(received.DocumentRefused, match="remplacer inconnu"):
        file(actor, hospital, report(hospital), action=received.REPLACE)


@pytest.mark.parametrize("content, message", [
    (b"not xml at all", "illisible"),
    (b"<root/>", "ClinicalDocument"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3">&e;'
     b"</ClinicalDocument>", "CDA"),
])
def test_unreadable_content_is_refused(actor, hospital, content, message):
    with pytest.raises(received.DocumentRefused, match=message):
        file(actor, hospital, content)


def test_oversized_and_unknown_type_are_refused(actor, hospital, settings):
    settings.INBOUND_DOCUMENT_MAX_BYTES = 10_000
    with pytest.raises(received.DocumentRefused, match="volumineux"):
        file(actor, hospital, report(hospital, padding=20_000))
    settings.INBOUND_DOCUMENT_MAX_BYTES = 10_000_000
    with pytest.raises(received.DocumentRefused, match="inconnu"):
        file(actor, hospital, report(hospital, type_code="99999-9"))


def test_ins_in_the_cda_finds_the_patient_known_elsewhere(actor, hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    other = samples.hospital()
    first = file(SystemActor(label="x", role="hl7"), other, report(other, ins=ins, ipp="Z1")).document.patient
    doc = file(actor, hospital, report(hospital, ins=ins, ins_oid=OID_INS_NIR)).document
    assert doc.patient_id == first.pk


@pytest.mark.skipif(KIT is None, reason="ANS kit not found beside the repository")
def test_reads_the_official_cr_gm_example(actor, hospital, settings):
    settings.DEMO_MODE = True  # the example uses the test INS OID
    content = (KIT / "ExemplesCDA" / "CANCER-CR-GM_2022.01_AnalyseRealisee.xml").read_bytes()
    doc = file(actor, hospital, content).document
    assert doc.type_code == "51969-4" and doc.conclusion
    assert doc.patient.birth_name == "PAT-TROIS" and doc.patient.ins_matricule == "279035121518989"


def test_a_deleted_document_is_no_longer_handed_out(actor, hospital, client, settings):
    from oncodcc.patients.models import CareTeamMember
    from tests import factories as f

    doc = file(actor, hospital, report(hospital, doc_id="7.1", set_id="7.0")).document
    doctor = f.DoctorFactory()
    CareTeamMember.objects.create(patient=doc.patient, practitioner=doctor.practitioner)
    client.force_login(doctor)
    assert client.get(f"/documents/{doc.pk}/cda/").status_code == 200
    file(actor, hospital, report(hospital, doc_id="7.1", set_id="7.0"), action=received.DELETE)
    assert client.get(f"/documents/{doc.pk}/cda/").status_code == 404
