"""Meeting mode with the breast form: the HER2 in situ hybridisation item appears only for an IHC score of 2+,
without reloading the page; the validated fiche shows the organ items."""

import re
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.questionnaires.models import FicheAnswers
from oncodcc.rcp.models import Meeting
from tests import factories as f


def test_breast_form_in_meeting_mode(page, live_server, login, transactional_db):
    call_command("forms", "load", verbosity=0)
    board = f.BoardFactory(name="RCP Sein Démo", organs=["76752008"])
    coordinator = f.DoctorFactory(username="dr.coord", role="coordinator")
    f.add_member(board, coordinator.practitioner, coordinator=True)
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(minutes=30),
                               status=Meeting.Status.OPEN)
    f.give_quorum(meeting)
    registration = f.RegistrationFactory(meeting=meeting, question="Traitement adjuvant ?")

    login(page, "dr.coord")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/1/")
    page.get_by_role("button", name="Commencer la fiche").click()
    organ = page.locator("#organ-part")
    expect(organ.get_by_role("heading", name=re.compile("Fiche RCP — Sein"))).to_be_visible()
    ish = organ.get_by_label(re.compile(r"^HER2 : hybridation in situ"))
    expect(ish).to_be_hidden()

    organ.get_by_label("HER2 : score immunohistochimique").select_option(label="1+")
    expect(organ.get_by_label("Statut HER2 retenu")).to_be_visible()  # appears once a score exists
    expect(ish).to_be_hidden()
    page.locator("#organ-part").get_by_label("HER2 : score immunohistochimique").select_option(label="2+")
    expect(page.locator("#organ-part").get_by_label(re.compile(r"^HER2 : hybridation in situ"))).to_be_visible()
    page.locator("#organ-part").get_by_label(re.compile(r"^HER2 : hybridation in situ")).select_option(label="Amplifié")
    page.locator("#organ-part").get_by_label("Statut HER2 retenu").select_option(label="HER2 positif")
    page.locator("#organ-part").get_by_label("Ki-67 (%)").fill("25")

    page.get_by_role("group", name="Découvert par dépistage").get_by_label("Oui").check()
    page.get_by_role("group", name="Phase").get_by_label("Phase initiale", exact=True).check()
    page.get_by_label("Topographie (CIM-10)").fill("C50.4")
    page.get_by_label("Morphologie (CIM-O-3)").fill("8500/3")
    page.get_by_label("Date du diagnostic").fill("2026-10-02")
    page.get_by_label("Type de traitement").select_option("C15632")
    page.get_by_role("group", name="Proposition d'inclusion dans un essai clinique").get_by_label("Non").check()
    page.get_by_role("button", name="Valider et signer").click()
    expect(page.get_by_text(re.compile("validée", re.I)).first).to_be_visible()

    record = FicheAnswers.objects.get(fiche__registration=registration)
    assert (record.stat_biomarker_1, record.stat_biomarker_3) == ("positif", "25")
    assert record.fiche.status == "validated"
    page.goto(f"{live_server.url}/rcp/fiches/{record.fiche_id}/")
    answers = page.locator(".organ-answers")
    expect(answers.get_by_text("HER2 : hybridation in situ (ISH)")).to_be_visible()
    expect(answers.get_by_text("Amplifié")).to_be_visible()
