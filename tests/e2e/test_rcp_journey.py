"""The main journey in a real browser: a secretary creates and registers a patient, the coordinator runs the
meeting in meeting mode (attendance, quorum, proposal) and signs the fiche; the worker renders its PDF/A and CDA,
downloaded from the fiche page; the record shows the validated fiche and the DPO sees who opened the record."""

import re
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.rcp.models import Fiche, Meeting
from tests import factories as f
from tests.e2e.pickers import pick


def test_secretary_registers_doctor_validates_dpo_audits(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Sein Démo")
    coordinator = f.DoctorFactory(username="dr.coord", role="coordinator", last_name="Lambert",
                                  practitioner__last_name="Lambert", practitioner__specialty=f.ONCOLOGY)
    f.add_member(board, coordinator.practitioner, coordinator=True)
    radiotherapist = f.add_member(board, specialty=f.RADIOTHERAPY)
    pathologist = f.add_member(board, specialty=f.PATHOLOGY)
    secretary = f.UserFactory(username="secr", role="secretary", organisation=board.managing_3c)
    board.secretaries.add(secretary)
    f.UserFactory(username="dpo", role="dpo")
    # The meeting starts in an hour: past the doctors' deadline, the secretary may still register.
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(hours=1))

    # --- the secretary creates the patient, then registers the case ---
    login(page, "secr")
    page.goto(f"{live_server.url}/patients/nouveau/")
    page.locator("#id_birth_name").fill("Dubois-Lefèvre")
    page.locator("#id_birth_given_names").fill("Éloïse Marie")
    page.locator("#id_birth_date").fill("1968-04-21")
    page.locator("#id_sex").select_option("F")
    page.get_by_role("button", name="Créer le patient").click()
    expect(page.get_by_text("DUBOIS-LEFÈVRE").first).to_be_visible()
    page.get_by_role("link", name="Inscrire en RCP").click()
    # The board's meeting comes first among "Séances de mes RCP"; practitioners are searched by name.
    pick(page, "Séance", board.name)
    pick(page, "Médecin demandeur", coordinator.practitioner.last_name)
    pick(page, "Médecin présentateur", coordinator.practitioner.last_name)
    page.get_by_label("Question posée à la RCP").fill("Quelle prise en charge après tumorectomie ?")
    page.get_by_label("Synthèse du cas").fill("Carcinome canalaire infiltrant du sein gauche, pT1c N0.")
    page.get_by_role("button", name="Inscrire le patient").click()
    expect(page.get_by_text("Dubois-Lefèvre", exact=False).first).to_be_visible()

    # --- an hour later, the coordinator runs the meeting (a fiche is never validated before its start) ---
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    login(page, "dr.coord")
    page.get_by_role("link", name="RCP Sein Démo").first.click()
    page.get_by_role("link", name="Mode RCP").click()
    page.get_by_role("button", name="Ouvrir la séance").click()
    expect(page.get_by_text("Quelle prise en charge après tumorectomie ?").first).to_be_visible()
    page.locator(".attendance-bar > summary").click()  # the attendance bar opens on demand
    panel = page.locator("#attendance-panel")
    for practitioner in (coordinator.practitioner, radiotherapist, pathologist):
        panel.locator(f"#present-{meeting.pk}-{practitioner.pk}").check()
        expect(page.locator(f"#present-{meeting.pk}-{practitioner.pk}")).to_be_checked()
    expect(page.locator("#attendance-panel").get_by_text("Quorum atteint")).to_be_visible()

    page.get_by_role("button", name="Commencer la fiche").click()
    page.get_by_role("group", name="Découvert par dépistage").get_by_label("Non").check()
    page.get_by_role("group", name="Phase").get_by_label("Phase initiale", exact=True).check()
    page.get_by_label("Topographie (CIM-10)").fill("C50.4")
    page.get_by_label("Morphologie (CIM-O-3)").fill("8500/3")
    page.get_by_label("Date du diagnostic").fill("2026-10-02")
    page.get_by_label("Type de traitement").select_option("C15313")
    page.get_by_role("group", name="Proposition d'inclusion dans un essai clinique").get_by_label("Non").check()
    page.get_by_role("button", name="Valider et signer").click()
    expect(page.get_by_text(re.compile("validée", re.I)).first).to_be_visible()

    fiche = Fiche.objects.get(patient__birth_name="Dubois-Lefèvre")
    assert fiche.status == Fiche.Status.VALIDATED
    assert fiche.validated_by == coordinator
    assert fiche.quorum_status == "ORG-126"
    assert [t.code for t in fiche.treatments.all()] == ["C15313"]

    # --- the worker renders the documents; the fiche page offers them ---
    page.goto(f"{live_server.url}/rcp/fiches/{fiche.pk}/")
    expect(page.get_by_text("génération en cours").first).to_be_visible()
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
    expect(page.get_by_role("link", name="PDF")).to_be_visible(timeout=10_000)  # htmx polling picks it up
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as cda:
        page.get_by_role("link", name="CDA").click()
    assert cda.value.suggested_filename.endswith(".xml")

    # --- the record shows the validated fiche ---
    page.goto(f"{live_server.url}/patients/{fiche.patient_id}/")
    expect(page.get_by_role("link", name=re.compile("Fiche RCP", re.I)).first).to_be_visible()
    expect(page.get_by_text(re.compile("validée", re.I)).first).to_be_visible()

    # --- the DPO sees who opened the record ---
    login(page, "dpo")
    page.goto(f"{live_server.url}/patients/{fiche.patient_id}/acces/")
    history = page.locator("table")
    expect(history.get_by_text("Consultation du dossier").first).to_be_visible()
    expect(history.get_by_text(re.compile("LAMBERT", re.I)).first).to_be_visible()
    expect(history.get_by_text("Validation (signature) d'une fiche RCP").first).to_be_visible()
    expect(history.get_by_text("Téléchargement d'un document").first).to_be_visible()
