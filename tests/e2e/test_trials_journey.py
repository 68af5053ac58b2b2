"""Clinical trials in the browser: the registration page lists the possible trials with their criteria and nearest
hospital; in the fiche the doctor chooses the trial, which the fiche records."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.services import fiches as fiche_services
from oncodcc.trials.models import Trial, TrialSite
from tests import factories as f

BREAST = "76752008"


def test_possible_trials_then_proposal_in_the_fiche(page, live_server, login, transactional_db):
    call_command("forms", "load", verbosity=0)
    hospital, _board, coordinator, meeting = f.organ_board_case()
    coordinator.username = "dr.essais"
    coordinator.save()
    registration = f.RegistrationFactory(meeting=meeting, created_by=coordinator,
                                         presenting_doctor=coordinator.practitioner)
    fiche = fiche_services.start(actor=coordinator, registration=registration)
    questionnaire = Questionnaire.objects.get(pk=fiche.organ_answers.questionnaire_id)
    her2 = questionnaire.form.by_link_id["her2_statut"]
    organ_forms.store(fiche, questionnaire, {"her2_statut": next(o for o in her2.options if o.code == "low")})
    low = Trial.objects.create(eu_ct_number="2099-500001-10-00", acronym="DEMO-HER2LOW",
                               title="Anticorps conjugué anti-HER2, cancer du sein HER2-faible", organs=[BREAST],
                               biomarkers=["her2_statut=low"], min_age=18)
    TrialSite.objects.create(trial=low, organisation=hospital, investigator="Dr Anne MARTIN", contact="ARC : 01 02")
    Trial.objects.create(nct_id="NCT99000002", acronym="DEMO-HER2POS", title="HER2 positif", organs=[BREAST],
                         biomarkers=["her2_statut=positif"])

    login(page, "dr.essais")
    page.goto(f"{live_server.url}/rcp/inscriptions/{registration.pk}/")
    section = page.locator("section", has=page.get_by_role("heading", name="Essais possibles : 1"))
    expect(section).to_be_visible()
    expect(section.get_by_role("heading", name=re.compile("DEMO-HER2LOW"))).to_be_visible()
    expect(section.get_by_text("Statut HER2 retenu ∈ low")).to_be_visible()
    expect(section.get_by_text(re.compile("Centre ouvert le plus proche : CHU de Démo"))).to_be_visible()
    expect(page.get_by_text("DEMO-HER2POS")).to_have_count(0)

    page.goto(f"{live_server.url}/rcp/fiches/{fiche.pk}/modifier/")
    page.get_by_role("group", name="Proposition d'inclusion dans un essai clinique").get_by_label("Oui").check()
    choice = page.get_by_label("Essai du registre régional")
    expect(choice).to_be_visible()
    choice.select_option(label=str(low))
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Fiche enregistrée.")).to_be_visible()
    fiche = Fiche.objects.get(pk=fiche.pk)
    assert fiche.proposed_trial == low and "2099-500001-10-00" in fiche.trial_detail
