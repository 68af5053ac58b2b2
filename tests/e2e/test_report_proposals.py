"""Accepting values read from a received report, in Chromium: in meeting mode the doctor clicks "Reporter dans la
fiche" beside HER2 and the pTNM, the organ form's items and the tumour's T/N/M are filled in the page, and saving
the fiche stores them (nothing is stored before the save)."""

from playwright.sync_api import expect

from oncodcc.core.actors import SystemActor
from oncodcc.documents import received
from oncodcc.patients.models import PatientIdentifier
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import parse
from oncodcc.rcp.models import Tumour
from oncodcc.rcp.services import fiches
from tests import factories as f
from tests import samples
from tests.questionnaires.helpers import breast

CONCLUSION = ("Carcinome infiltrant de type non spécifique, grade SBR II. RE 90 %, RP 60 %, HER2 score 3+. "
              "Ki-67 à 30 %. pT2 N1a M0.")


def test_doctor_accepts_her2_and_the_ptnm_from_the_report(page, live_server, login, transactional_db):
    organ_forms.publish(parse(breast()), source="sein.json")
    board = f.BoardFactory(name="RCP Sein Report")
    chair = f.DoctorFactory(username="dr.report", role="coordinator")
    f.add_member(board, chair.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    registration = f.RegistrationFactory(meeting=meeting, created_by=chair, requesting_doctor=chair.practitioner,
                                         presenting_doctor=chair.practitioner)
    patient = registration.patient
    draft = fiches.start(actor=chair, registration=registration)
    hospital = samples.hospital(name="CHU Report-sur-Mer")
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-PROP", organisation=hospital)
    content = samples.cda_report(birth_name=patient.birth_name, given=patient.birth_given_names,
                                 birth_date=patient.birth_date, ipp="IPP-PROP", hospital_oid=hospital.oid,
                                 conclusion=CONCLUSION)
    received.file_cda(actor=SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital),
                      organisation=hospital, content=content, action=received.NEW, channel="hl7")

    login(page, "dr.report")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/1/")
    proposals = page.locator(".report-proposals")
    expect(proposals).to_contain_text("Valeurs relevées dans la conclusion (à vérifier)")
    expect(proposals.locator('[data-finding="tnm"]')).to_contain_text("pT2 pN1a cM0")

    her2 = proposals.locator('[data-finding="her2"]').get_by_role("button", name="Reporter dans la fiche")
    her2.click()
    expect(her2).to_have_text("Reporté")
    expect(page.locator('select[name="q__her2_ihc"]')).to_have_value("urn:oncodcc:codesystem:sein|3+")
    expect(page.locator('select[name="q__her2_statut"]')).to_have_value("urn:oncodcc:codesystem:sein|positif")
    proposals.locator('[data-finding="tnm"]').get_by_role("button", name="Reporter dans la fiche").click()
    expect(page.locator('[name="tumours-0-tnm_t"]')).to_have_value("pT2")
    expect(page.locator('[name="tumours-0-tnm_m"]')).to_have_value("cM0")
    assert not Tumour.objects.filter(fiche=draft, tnm_t="pT2").exists()  # filled in the page only

    page.locator('[name="tumours-0-tnm_t"]').press("Control+s")
    expect(page.locator(".alert-success, .messages").first).to_be_visible()
    _, answers = organ_forms.answers_of(draft)
    assert answers["her2_ihc"].key.endswith("|3+")
    assert Tumour.objects.filter(fiche=draft, tnm_t="pT2", tnm_n="pN1a", tnm_m="cM0").exists()
