"""The registration page shows "Essais possibles : N" from the registry, with each criterion and the nearest
opening hospital; who may see it (trial.prescreen); the fiche form records the trial chosen."""

from datetime import date

import pytest

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.core.policy import has_permission
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import load_file
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.questionnaires.services import FORMS_DIR
from oncodcc.trials.matching import State, facts_for, prescreen
from oncodcc.trials.models import Trial, TrialSite
from oncodcc.trials.policy import PRESCREEN
from tests import factories as f

BREAST = "76752008"


@pytest.fixture
def case(db):
    """A breast case, 57 years old at the meeting, WHO 1, relapse, HER2-low, stage IV, in the board's hospital."""
    hospital, _board, coordinator, meeting = f.organ_board_case()
    definition = load_file(FORMS_DIR / "sein.json")
    organ_forms.publish(definition, source="sein.json")
    questionnaire = Questionnaire.objects.get(url=definition.url, version=definition.version)
    patient = f.PatientFactory(birth_date=date(meeting.starts_at.year - 57, 1, 1))
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, created_by=coordinator)
    fiche = f.complete_fiche(registration, created_by=coordinator, phase="MED-244", who_performance="MED-264")
    items = questionnaire.form.by_link_id
    organ_forms.store(fiche, questionnaire, {
        "her2_statut": next(o for o in items["her2_statut"].options if o.code == "low"),
        "stade_ajcc": next(o for o in items["stade_ajcc"].options if o.code == "IV"),
    })
    return hospital, coordinator, registration


def trial(nct: str, title: str, *, sites=(), **criteria) -> Trial:
    t = Trial.objects.create(nct_id=nct, title=title, **{"status": Trial.Status.OPEN, **criteria})
    for organisation in sites:
        TrialSite.objects.create(trial=t, organisation=organisation, investigator="Dr Alice Bernard",
                                 contact="arc@demo.fr")
    return t


def test_only_trials_without_a_failed_criterion_are_shown(case, client):
    hospital, coordinator, registration = case
    elsewhere = f.OrganisationFactory(name="Centre Régional Nord")
    shown = trial("NCT06000001", "T-DXd HER2-faible", acronym="HER2-LOW", organs=[BREAST], topographies=["C50"],
                  morphologies=["8500"], stages=["IV"], lines=["2+"], biomarkers=["her2_statut=low"], min_age=18,
                  max_performance_status=1, other_criteria="Fraction d'éjection ≥ 50 %", sites=[elsewhere, hospital])
    trial("NCT06000002", "HER2 positif", organs=[BREAST], biomarkers=["her2_statut=positif"])
    trial("NCT06000003", "Poumon EGFR", organs=["MED-255"], biomarkers=["egfr=mute"])
    trial("NCT06000004", "HER2-faible clos", organs=[BREAST], biomarkers=["her2_statut=low"],
          status=Trial.Status.CLOSED)
    trial("NCT06000005", "Sujets âgés", organs=[BREAST], min_age=70)
    trial("NCT06000006", "Première ligne", organs=[BREAST], lines=["1"])
    trial("NCT06000007", "OMS 0", organs=[BREAST], max_performance_status=0)
    pending = trial("NCT06000008", "RE positif", organs=[BREAST], biomarkers=["re_statut=pos"])

    assert {m.trial for m in prescreen(registration)} == {shown, pending}
    client.force_login(coordinator)
    response = client.get(f"/rcp/inscriptions/{registration.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Essais possibles : 2" in body
    assert "HER2-LOW — T-DXd HER2-faible" in body
    assert "Centre ouvert le plus proche : <strong>CHU de Démo</strong> (établissement de la séance)" in body
    assert "HER2 positif" not in body and "Poumon EGFR" not in body and "clos" not in body.split("h-trials")[1]
    match = next(m for m in prescreen(registration) if m.trial == shown)
    assert [c.state for c in match.criteria].count(State.NOT_MET) == 0
    assert {c.label: c.state for c in match.criteria}["Statut HER2 retenu ∈ low"] == State.MET
    assert {c.label: c.state for c in match.criteria}["À vérifier : Fraction d'éjection ≥ 50 %"] == State.UNKNOWN
    # RE not answered: unknown, shown as "à vérifier", never as met.
    assert [c.state for c in next(m for m in prescreen(registration) if m.trial == pending).criteria] == [
        State.MET, State.UNKNOWN]
    event = AuditEvent.objects.filter(action="trial.prescreen.view").latest("id")
    assert event.patient_id == registration.patient_id and sorted(event.details["shown"]) == [
        "NCT06000001", "NCT06000008"]


def test_the_case_facts(case):
    _hospital, _coordinator, registration = case
    facts = facts_for(registration)
    assert (facts.age, facts.performance_status, facts.line, facts.stage) == (57, 1, "2+", "IV")
    assert facts.organs == {BREAST} and not facts.organs_from_board
    assert facts.topographies == ("C50.4",) and facts.morphologies == ("8500/3",)
    assert facts.biomarkers["her2_statut"] == "low" and facts.biomarkers["re_statut"] == ""


@pytest.mark.parametrize(("who", "sees"), [
    ("coordinator", True), ("outsider_doctor", False), (Role.ADMIN_3C, False), (Role.SYSADMIN, False),
])
def test_who_sees_the_possible_trials(case, who, sees):
    _hospital, coordinator, registration = case
    user = {"coordinator": coordinator, "outsider_doctor": f.DoctorFactory()}.get(who) or f.UserFactory(
        role=who, organisation=registration.meeting.board.managing_3c)
    assert has_permission(user, PRESCREEN, registration) is sees
    assert has_permission(user, PRESCREEN, None) is False


def test_the_nearest_opening_hospital_is_in_the_boards_territory_before_any_other(case):
    from oncodcc.directory.models import Territory

    hospital, _coordinator, registration = case
    dsrc = f.DsrcFactory()
    north = Territory.objects.create(name="Nord", code="T-NORD", dsrc=dsrc)
    south = Territory.objects.create(name="Sud", code="T-SUD", dsrc=dsrc)
    hospital.territory = north
    hospital.save()
    far = f.OrganisationFactory(name="A — Centre du Sud", territory=south)
    near = f.OrganisationFactory(name="Z — Clinique du Nord", territory=north)
    trial("NCT06000010", "Sein tout venant", organs=[BREAST], sites=[far, near])
    [match] = prescreen(registration)
    assert (match.site.organisation, match.site_reason) == (near, "même territoire")
    near.territory = None
    near.save()
    [match] = prescreen(registration)
    assert (match.site.organisation, match.site_reason) == (far, "autre territoire")
