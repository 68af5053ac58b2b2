"""Issue 9 in the browser: the DPO reaches a patient's access history from a search of their own, and a doctor
registers a patient outside their relations (a break-the-glass with a reason, listed for the DPO)."""

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.pickers import pick


def test_registration_outside_relations_then_the_dpo_reads_the_history(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Thorax E2E")
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(days=10))
    f.DoctorFactory(username="dr.urgence")
    f.UserFactory(username="dpo.e2e", role="dpo")
    patient = f.PatientFactory(birth_name="Fontaine", first_birth_given_name="Odile", birth_given_names="Odile",
                               birth_date=date(1961, 4, 2), sex="F")

    # The doctor finds the patient only with the exact birth name, first given name and birth date.
    login(page, "dr.urgence")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("searchbox").fill("font")
    expect(page.get_by_text("Aucun patient de vos dossiers")).to_be_visible()
    expect(page.get_by_text("Patients connus hors de vos dossiers")).to_have_count(0)
    page.get_by_role("searchbox").fill("Odile Fontaine 02/04/1961")
    expect(page.get_by_text("Patients connus hors de vos dossiers")).to_be_visible()
    page.get_by_role("link", name="Inscrire en RCP").click()

    # Registering asks for the reason of this access outside the doctor's relations.
    expect(page.get_by_text("Ce patient ne fait pas partie de vos dossiers.", exact=True)).to_be_visible()
    pick(page, "Séance", meeting.board.name)
    page.get_by_label("Question posée à la RCP").fill("Place de la chirurgie ?")
    page.get_by_role("button", name="Inscrire le patient").click()
    expect(page.get_by_text("indiquez la raison de cette inscription")).to_be_visible()
    page.get_by_label("Motif de l'inscription (bris de glace)").fill(
        "Patiente adressée par le SAU cette nuit, avis thoracique urgent")
    page.get_by_role("button", name="Inscrire le patient").click()
    expect(page.get_by_text("est inscrite à la RCP")).to_be_visible()  # agreed with the patient's sex

    # The DPO searches the patient, opens the access history and the list of accesses outside relations.
    login(page, "dpo.e2e")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("searchbox").fill("fontaine")
    expect(page.get_by_text("Patients (identité seule)")).to_be_visible()
    expect(page.get_by_role("link", name="FONTAINE")).to_have_count(0)
    page.get_by_role("link", name="Historique des accès").click()
    expect(page).to_have_url(f"{live_server.url}/patients/{patient.pk}/acces/")
    expect(page.get_by_text("Accès en bris de glace").first).to_be_visible()
    expect(page.get_by_text("Inscription en RCP").first).to_be_visible()
    page.goto(f"{live_server.url}/patients/bris-de-glace/")
    expect(page.get_by_text("Patiente adressée par le SAU cette nuit")).to_be_visible()
    expect(page.get_by_role("cell", name="inscription en RCP")).to_be_visible()
    # The record itself stays closed to the DPO.
    response = page.goto(f"{live_server.url}/patients/{patient.pk}/")
    assert response.status == 403
