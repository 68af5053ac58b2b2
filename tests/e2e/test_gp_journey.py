"""A GP in the browser (issue 10): signs in (password, then the TOTP code), finds "Mes patients en RCP" on the home
page, opens the validated fiche of their patient, and is refused (403) on another patient's fiche."""

from playwright.sync_api import expect

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from tests import factories as f


def test_gp_reads_their_patients_fiche_and_is_refused_another(page, live_server, login, transactional_db):
    gp = f.DoctorFactory(username="dr.generaliste", role=Role.DOCTOR)
    board = f.BoardFactory(name="RCP Sein Démo")
    author = f.DoctorFactory()
    mine = f.RegistrationFactory(meeting=f.MeetingFactory(board=board),
                                 patient=f.PatientFactory(birth_name="Garnier", gp=gp.practitioner))
    fiche = f.mark_validated(f.complete_fiche(mine, created_by=author), by=author)
    other = f.RegistrationFactory(meeting=f.MeetingFactory(board=board), patient=f.PatientFactory(birth_name="Roux"))
    other_fiche = f.mark_validated(f.complete_fiche(other, created_by=author), by=author)

    login(page, "dr.generaliste")
    section = page.locator("section", has=page.get_by_role("heading", name="Mes patients en RCP"))
    expect(section).to_be_visible()
    expect(section.get_by_role("link", name="GARNIER", exact=False)).to_be_visible()
    expect(section.get_by_text("RCP Sein Démo")).to_be_visible()
    expect(section.get_by_text("ROUX")).to_have_count(0)

    section.locator(f"a[href='/rcp/fiches/{fiche.pk}/']").click()
    page.wait_for_url(f"**/rcp/fiches/{fiche.pk}/")
    expect(page.get_by_text("Radiothérapie adjuvante").first).to_be_visible()
    expect(page.get_by_role("link", name="Modifier")).to_have_count(0)
    assert AuditEvent.objects.filter(action="fiche.view", actor_id=gp.pk, object_id=str(fiche.pk)).exists()

    response = page.goto(f"{live_server.url}/rcp/fiches/{other_fiche.pk}/")
    assert response.status == 403
    assert not AuditEvent.objects.filter(action="fiche.view", actor_id=gp.pk, object_id=str(other_fiche.pk)).exists()
    assert AuditEvent.objects.filter(action="patient.access_denied", actor_id=gp.pk,
                                     patient_id=other.patient_id).exists()
