"""Meeting mode and the fiche form show, beside the fiche, the patient's current pathology (CR-ACP) and molecular
(CR-GM) reports received from hospitals and labs: conclusion, date, sender, links, newest first; nothing of other
patients, no other report types, no replaced or deleted versions; queries do not grow with cases or reports."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncodcc.core.actors import SystemActor
from oncodcc.documents import received
from oncodcc.patients.models import PatientIdentifier
from oncodcc.rcp.services import fiches as services
from tests import samples
from tests.rcp.test_fiche_views import client_for
from tests.rcp.test_meeting_mode import add_cases, case_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    return samples.hospital(name="CHU Exemple-sur-Mer")


@pytest.fixture
def actor(hospital):
    return SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital)


def send(actor, hospital, patient, action=received.NEW, when="20261120101500+0100", **kw):
    """A report for this patient, found by the hospital's IPP; `when` is the CDA effectiveTime."""
    ipp = f"IPP-{patient.pk}"
    PatientIdentifier.objects.get_or_create(system=hospital.oid, value=ipp,
                                            defaults={"patient": patient, "organisation": hospital})
    content = samples.cda_report(birth_name=patient.birth_name, given=patient.birth_given_names,
                                 birth_date=patient.birth_date, sex=patient.sex, ipp=ipp,
                                 hospital_oid=hospital.oid, **kw)
    content = content.replace(b"20261120101500+0100", when.encode())
    filed = received.file_cda(actor=actor, organisation=hospital, content=content, action=action, channel="hl7")
    assert filed.document.patient_id == patient.pk
    return filed.document


@pytest.fixture
def cases(meeting, member_doctor):
    return add_cases(meeting, member_doctor, 2)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def beside(page_html: str) -> str:
    return page_html.split('id="received-reports"')[1].split("</aside>")[0]


def test_meeting_mode_shows_the_reports_beside_the_fiche(meeting, member_doctor, cases, actor, hospital):
    patient = cases[0].patient
    old = send(actor, hospital, patient, when="20260105090000+0100", conclusion="Biopsie : carcinome canalaire.")
    new = send(actor, hospital, patient, when="20260312090000+0100", type_code="51969-4",
               conclusion="Absence de mutation PIK3CA.")
    send(actor, hospital, patient, type_code="34874-8", conclusion="Tumorectomie sans incident.")
    replaced = send(actor, hospital, patient, doc_id="5.1", set_id="5.0", when="20260201090000+0100",
                    conclusion="Version remplacée.")
    send(actor, hospital, patient, received.REPLACE, doc_id="5.2", set_id="5.0", version=2, replaces="5.1",
         when="20260202090000+0100", conclusion="Relecture : pT1c N0.")
    send(actor, hospital, patient, doc_id="6.1", set_id="6.0", conclusion="Compte rendu supprimé.")
    send(actor, hospital, patient, received.DELETE, doc_id="6.1", set_id="6.0")
    send(actor, hospital, cases[1].patient, conclusion="Conclusion du patient suivant.")

    text = page(client_for(member_doctor), case_url(meeting, 1))
    side = beside(text)
    # Newest first: molecular (12/03), pathology corrected (02/02), pathology (05/01).
    order = [side.index(s) for s in ("Absence de mutation PIK3CA.", "Relecture : pT1c N0.",
                                     "Biopsie : carcinome canalaire.")]
    assert order == sorted(order)
    assert "CR de génétique moléculaire" in side and "CR d'anatomie et de cytologie pathologiques" in side
    assert "Du 12/03/2026 · CHU Exemple-sur-Mer · Anne TEST" in side
    assert f'href="/documents/{new.pk}/cda/"' in side and f'href="/documents/{old.pk}/cda/"' in side
    for absent in ("Tumorectomie sans incident.", "Version remplacée.", "Compte rendu supprimé.",
                   "Conclusion du patient suivant."):
        assert absent not in text
    assert f"/documents/{replaced.pk}/" not in text

    # The next case shows its own patient's report only.
    side = beside(page(client_for(member_doctor), case_url(meeting, 2)))
    assert "Conclusion du patient suivant." in side and "Biopsie" not in side


def test_case_without_reports(meeting, member_doctor, cases):
    assert "Aucun compte rendu reçu pour ce patient." in beside(page(client_for(member_doctor), case_url(meeting, 1)))


def test_fiche_form_shows_the_reports(meeting, member_doctor, cases, actor, hospital):
    send(actor, hospital, cases[0].patient, conclusion="Carcinome papillaire de la thyroïde.")
    fiche = services.start(actor=member_doctor, registration=cases[0])
    text = page(client_for(member_doctor), reverse("rcp:fiche_edit", args=[fiche.pk]))
    assert "Carcinome papillaire de la thyroïde." in beside(text)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_reports_or_cases(meeting, member_doctor, cases, actor, hospital,
                                                         django_assert_max_num_queries):
    client = client_for(member_doctor)
    patient = cases[0].patient
    send(actor, hospital, patient)
    url = case_url(meeting, 1)
    small = _queries(client, url)
    for n in range(6):
        send(actor, hospital, patient, type_code="51969-4" if n % 2 else "60568-3",
             pdf=samples.TINY_PDF if n % 3 == 0 else None)
    for reg in add_cases(meeting, member_doctor, 4):
        send(actor, hospital, reg.patient)
    with django_assert_max_num_queries(32):
        assert client.get(url).status_code == 200
    assert _queries(client, url) == small
    assert beside(page(client, url)).count('class="received-report received-report-key"') == 7
