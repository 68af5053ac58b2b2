"""Received reports in the browser: a hospital's pathology report (CR-ACP, filed as the HL7 channel does) is read
by the patient's doctor on the record, downloaded, then seen beside the fiche in meeting mode."""

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import expect

from oncodcc.core.actors import SystemActor
from oncodcc.documents import received
from oncodcc.patients.models import PatientIdentifier
from tests import factories as f
from tests import samples

CONCLUSION = "Carcinome canalaire infiltrant du sein gauche, grade II, pT1c N0 (0/3), RH+ HER2-."


def test_doctor_reads_the_pathology_report_on_the_record_and_in_meeting_mode(page, live_server, login,
                                                                              transactional_db):
    board = f.BoardFactory(name="RCP Sein Démo")
    doctor = f.DoctorFactory(username="dr.sein", role="coordinator")
    f.add_member(board, doctor.practitioner, coordinator=True)
    meeting = f.MeetingFactory(board=board)
    registration = f.RegistrationFactory(meeting=meeting, requesting_doctor=doctor.practitioner,
                                         presenting_doctor=doctor.practitioner,
                                         question="Traitement adjuvant après tumorectomie ?")
    patient = registration.patient
    hospital = samples.hospital(name="CHU Démo-sur-Loire")
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-E2E", organisation=hospital)
    content = samples.cda_report(birth_name=patient.birth_name, given=patient.birth_given_names,
                                 birth_date=patient.birth_date, ipp="IPP-E2E", hospital_oid=hospital.oid,
                                 conclusion=CONCLUSION)
    document = received.file_cda(actor=SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital),
                                 organisation=hospital, content=content, action=received.NEW,
                                 channel="hl7").document
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    login(page, "dr.sein")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    reports = page.get_by_role("region", name="Documents reçus")
    expect(reports.get_by_role("heading", name="CR d'anatomie et de cytologie pathologiques")).to_be_visible()
    expect(reports.get_by_text(CONCLUSION)).to_be_visible()
    expect(reports.get_by_text("CHU Démo-sur-Loire")).to_be_visible()
    with page.expect_download() as cda:
        reports.get_by_role("link", name="CDA : CR d'anatomie et de cytologie pathologiques du 20/11/2026").click()
    assert cda.value.suggested_filename.endswith(".xml")
    assert Path(cda.value.path()).read_bytes() == content
    # The report marks the patient's course.
    expect(page.get_by_role("region", name="Parcours en RCP").get_by_role(
        "link", name="Voir le compte rendu")).to_have_attribute("href", f"#document-{document.pk}")

    page.goto(live_server.url + reverse("rcp:meeting_mode", args=[meeting.pk]))
    expect(page.get_by_role("complementary", name="Patient et inscription").get_by_text(
        "Traitement adjuvant après tumorectomie ?")).to_be_visible()
    beside = page.locator("#received-reports")
    expect(beside.get_by_text(CONCLUSION)).to_be_visible()
    expect(beside.get_by_text("Du 20/11/2026 · CHU Démo-sur-Loire")).to_be_visible()
    # Beside the fiche (its own column, right of it on a wide screen), not below it.
    fiche = page.get_by_role("region", name="Fiche RCP")
    report_box, fiche_box = beside.bounding_box(), fiche.bounding_box()
    assert report_box["x"] >= fiche_box["x"] + fiche_box["width"] and report_box["y"] < fiche_box["y"] + 400
    assert not violations, violations
