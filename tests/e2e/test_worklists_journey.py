"""Each role's home page in the browser (issue 13): the secretary's meetings to prepare and incomplete files, the
doctor's drafts and meetings to close, the 3C administrator's follow-up without any patient, the DPO's accesses
outside relations — and nobody sees another role's lists."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.accounts.models import Role
from oncodcc.rcp.models import Meeting
from tests import factories as f


def section(page, title: str):
    return page.locator("section", has=page.get_by_role("heading", name=title))


def test_every_role_finds_its_work_on_the_home_page(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Digestif Démo")
    secretary = f.UserFactory(username="secr", role=Role.SECRETARY, organisation=board.managing_3c)
    board.secretaries.add(secretary)
    coordinator = f.DoctorFactory(username="dr.coord", role=Role.COORDINATOR)
    f.add_member(board, coordinator.practitioner, coordinator=True)
    f.UserFactory(username="admin3c", role=Role.ADMIN_3C, organisation=board.managing_3c)
    f.UserFactory(username="dpo", role=Role.DPO)

    coming = f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(days=2))
    incomplete = f.RegistrationFactory(meeting=coming, complete_file=False,
                                       patient=f.PatientFactory(birth_name="Mercier"))
    held = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=3), status=Meeting.Status.OPEN)
    draft = f.complete_fiche(f.RegistrationFactory(meeting=held, patient=f.PatientFactory(birth_name="Perrin")),
                             created_by=coordinator)
    f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=10), status=Meeting.Status.CLOSED)

    login(page, "secr")
    prepare = section(page, "Séances à préparer (7 prochains jours)")
    expect(prepare.get_by_text("1 dossier incomplet")).to_be_visible()
    prepare.get_by_role("link", name="MERCIER", exact=False).click()
    page.wait_for_url(f"**/rcp/inscriptions/{incomplete.pk}/")
    page.goto(f"{live_server.url}/")
    expect(section(page, "Séances à clôturer").get_by_role("link", name="RCP Digestif Démo")).to_be_visible()
    expect(page.get_by_role("heading", name="Suivi des RCP du 3C")).to_have_count(0)

    login(page, "dr.coord")
    drafts = section(page, "Mes fiches en brouillon")
    expect(drafts.get_by_role("link", name="PERRIN", exact=False)).to_be_visible()
    expect(section(page, "Séances à clôturer")).to_be_visible()
    drafts.get_by_role("link", name="PERRIN", exact=False).click()
    page.wait_for_url(f"**/rcp/fiches/{draft.pk}/modifier/")

    login(page, "admin3c")
    follow_up = section(page, "Suivi des RCP du 3C")
    expect(follow_up.locator("#documents-in-error")).to_have_text("0")
    expect(follow_up.locator("#meetings-without-quorum").get_by_role("link", name="RCP Digestif Démo")).to_be_visible()
    expect(page.get_by_text("MERCIER")).to_have_count(0)
    expect(page.get_by_text("PERRIN")).to_have_count(0)

    login(page, "dpo")
    expect(page.locator("#recent-break-glass")).to_have_text("0")
    expect(page.get_by_role("heading", name="Séances à préparer (7 prochains jours)")).to_have_count(0)
    expect(page.get_by_role("heading", name="Mes fiches en brouillon")).to_have_count(0)
