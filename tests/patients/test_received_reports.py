"""The patient record shows the documents received from hospitals and labs: pathology and molecular reports with
their conclusion in full, other reports folded, links to the audited CDA/PDF downloads, previous versions reachable,
deleted ones reduced to one line, other patients' never; in a constant number of queries."""

import html
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.documents import received
from oncodcc.front.record_documents import record_documents
from oncodcc.front.timeline import REPORT, patient_timeline
from oncodcc.patients.models import CareTeamMember
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
BIRTH = date(1961, 5, 17)


@pytest.fixture
def hospital():
    return samples.hospital(name="Hôpital Saint-Exemple")


@pytest.fixture
def actor(hospital):
    return SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital)


def send(actor, hospital, action=received.NEW, ipp="IPP-100", **kw):
    data = {"birth_name": "Marchand", "given": "Odile Jeanne", "birth_date": BIRTH, "ipp": ipp,
            "hospital_oid": hospital.oid}
    content = samples.cda_report(**{**data, **kw})
    return received.file_cda(actor=actor, organisation=hospital, content=content, action=action, channel="hl7")


@pytest.fixture
def doctor():
    return f.DoctorFactory()


def with_access(patient, doctor):
    CareTeamMember.objects.create(patient=patient, practitioner=doctor.practitioner)
    return patient


def record_html(client, doctor, patient) -> str:
    client.force_login(doctor)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def section(page: str) -> str:
    return page.split('id="h-received"')[1].split("</section>")[0]


def test_record_shows_reports_with_conclusion_sender_author_and_links(client, actor, hospital, doctor):
    acp = send(actor, hospital, conclusion="Carcinome lobulaire infiltrant, grade 2, pT2 N1a.").document
    gm = send(actor, hospital, type_code="51969-4", conclusion="", pdf=samples.TINY_PDF).document
    cro = send(actor, hospital, type_code="34874-8", conclusion="Mastectomie gauche sans incident.").document
    patient = with_access(acp.patient, doctor)
    assert gm.patient_id == cro.patient_id == patient.pk
    # Another patient's report at the same hospital is never shown here.
    send(actor, hospital, ipp="IPP-200", birth_name="Bertin", given="Lucie", conclusion="Conclusion d'un autre.")

    page = record_html(client, doctor, patient)
    received_part = section(page)
    assert "CR d'anatomie et de cytologie pathologiques" in received_part
    assert "CR de génétique moléculaire" in received_part and "CR opératoire" in received_part
    # Pathology: conclusion shown prominently; other reports: folded in <details>.
    assert re.search(r'class="report-conclusion">.*Carcinome lobulaire infiltrant, grade 2, pT2 N1a\.', received_part)
    assert re.search(r"<details class=\"small\"><summary>Conclusion</summary>"
                     r"<div class=\"pre-wrap\">Mastectomie gauche sans incident\.</div>", received_part)
    assert "Du 20/11/2026" in received_part and "Hôpital Saint-Exemple" in received_part
    assert "Anne TEST" in received_part
    assert f'href="/documents/{acp.pk}/cda/"' in received_part and f'href="/documents/{acp.pk}/pdf/"' not in received_part
    assert f'href="/documents/{gm.pk}/pdf/"' in received_part and f'href="/documents/{gm.pk}/cda/"' in received_part
    assert "Pas de conclusion structurée dans ce document" in received_part  # level 1: read the PDF
    assert "Conclusion d'un autre." not in page
    # Received documents are not repeated among the documents OncoDCC produced.
    generated = page.split('id="h-documents"')[1].split("</section>")[0]
    assert "Aucun document." in generated

    # The links are the audited downloads.
    download = client.get(f"/documents/{gm.pk}/pdf/")
    assert download.status_code == 200 and download.content == samples.TINY_PDF
    assert AuditEvent.objects.filter(action="document.download", patient_id=patient.pk, object_id=str(gm.pk)).exists()


def test_reports_are_in_the_timeline(client, actor, hospital, doctor):
    acp = send(actor, hospital).document
    send(actor, hospital, type_code="34874-8")
    patient = with_access(acp.patient, doctor)
    page = record_html(client, doctor, patient)
    timeline = page.split('id="h-timeline"')[1].split("</section>")[0]
    assert "20/11/2026</strong> — CR d'anatomie et de cytologie pathologiques reçu" in timeline
    assert f'href="#document-{acp.pk}"' in timeline and f'id="document-{acp.pk}"' in page
    assert "CR opératoire" not in timeline  # only pathology and molecular reports mark the course
    entries = patient_timeline(patient, reports=record_documents(patient).key_reports)
    assert [e.kind for e in entries] == [REPORT]


def test_replaced_report_keeps_previous_versions_reachable(client, actor, hospital, doctor):
    first = send(actor, hospital, doc_id="7.1", set_id="7.0", conclusion="Conclusion provisoire.").document
    second = send(actor, hospital, received.REPLACE, doc_id="7.2", set_id="7.0", version=2, replaces="7.1",
                  conclusion="Conclusion définitive après relecture.").document
    patient = with_access(first.patient, doctor)
    received_part = section(record_html(client, doctor, patient))
    current, previous = received_part.split("Versions précédentes (1)")
    assert "Conclusion définitive après relecture." in current and "version 2" in current
    assert "Conclusion provisoire." not in current
    assert "Version 1 du 20/11/2026, remplacée" in previous and "Conclusion provisoire." in previous
    assert f'href="/documents/{first.pk}/cda/"' in previous and f'href="/documents/{second.pk}/cda/"' in current


def test_deleted_report_is_one_line_without_content(client, actor, hospital, doctor):
    kept = send(actor, hospital, doc_id="8.1", set_id="8.0", conclusion="Conclusion conservée.").document
    gone = send(actor, hospital, doc_id="9.1", set_id="9.0", type_code="51969-4",
                conclusion="Mutation BRCA1 retirée.").document
    send(actor, hospital, received.DELETE, doc_id="9.1", set_id="9.0")
    patient = with_access(kept.patient, doctor)
    received_part = section(record_html(client, doctor, patient))
    assert "Conclusion conservée." in received_part
    assert "Mutation BRCA1 retirée." not in received_part
    assert f"/documents/{gone.pk}/" not in received_part
    assert re.search(r"CR de génétique moléculaire du 20/11/2026 \(Hôpital Saint-Exemple\) : document supprimé "
                     r"par l'émetteur le \d\d/\d\d/\d{4}\.", received_part)


def test_record_without_received_documents(client, doctor):
    patient = with_access(f.PatientFactory(), doctor)
    assert "Aucun document reçu" in section(record_html(client, doctor, patient))


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_documents(client, actor, hospital, doctor):
    patient = with_access(send(actor, hospital, doc_id="1.1", set_id="1.0").document.patient, doctor)
    send(actor, hospital, received.REPLACE, doc_id="1.2", set_id="1.0", version=2, replaces="1.1")
    send(actor, hospital, doc_id="2.1", set_id="2.0", type_code="51969-4")
    send(actor, hospital, received.DELETE, doc_id="2.1", set_id="2.0", type_code="51969-4")
    client.force_login(doctor)
    url = f"/patients/{patient.pk}/"
    small = _count(client, url)
    for n in range(3, 9):
        send(actor, hospital, doc_id=f"{n}.1", set_id=f"{n}.0", type_code="34874-8" if n % 2 else "60568-3",
             pdf=samples.TINY_PDF if n % 3 == 0 else None)
    send(actor, hospital, received.REPLACE, doc_id="3.2", set_id="3.0", version=2, replaces="3.1")
    send(actor, hospital, doc_id="20.1", set_id="20.0")
    send(actor, hospital, received.DELETE, doc_id="20.1", set_id="20.0")
    documents = record_documents(patient)
    assert len(documents.received) == 7 and len(documents.deleted) == 2
    assert _count(client, url) == small
