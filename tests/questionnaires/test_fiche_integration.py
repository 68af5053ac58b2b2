"""The organ form inside the fiche: pinned version, saving with the fiche, enableWhen through htmx, validation,
carry-over from the last fiche, display, promoted statistics columns, versions."""


import pytest
from django.core.exceptions import ValidationError

from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.models import FicheAnswers, Questionnaire
from oncodcc.rcp.services import fiches
from oncodcc.rcp.services.fiches import FicheInput, FicheValidationError
from tests import factories as f
from tests.questionnaires.helpers import breast, with_version

S = "urn:oncodcc:codesystem:sein"


@pytest.fixture
def breast_form(db):
    from oncodcc.questionnaires.definition import parse

    organ_forms.publish(parse(breast()), source="sein.json")
    return Questionnaire.objects.get(url="urn:oncodcc:questionnaire:sein")


def test_new_fiche_pins_the_board_form(breast_form, registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    assert fiche.organ_answers.questionnaire == breast_form


def test_registration_may_choose_another_form(breast_form, registration, member_doctor):
    from oncodcc.questionnaires.definition import parse

    other = breast()
    other.update(url="urn:oncodcc:questionnaire:autre", title="Fiche RCP — Autre", name="Autre")
    organ_forms.publish(parse(other), source="autre.json")
    registration.form_url = "urn:oncodcc:questionnaire:autre"
    registration.save()
    fiche = fiches.start(actor=member_doctor, registration=registration)
    assert fiche.organ_answers.questionnaire.url == "urn:oncodcc:questionnaire:autre"


def test_answers_saved_with_the_fiche_and_promoted(breast_form, registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    fiches.save(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version,
                data=FicheInput(fields={}, organ_answers={"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif",
                                                          "ki67": "30", "stade_ajcc": f"{S}|IIA"}))
    record = FicheAnswers.objects.get(fiche=fiche)
    assert (record.stat_biomarker_1, record.stat_stage, record.stat_biomarker_3) == ("positif", "IIA", "30")
    assert record.response["questionnaire"] == "urn:oncodcc:questionnaire:sein|1.0.0"


def test_bad_answers_are_field_errors_and_nothing_is_written(breast_form, registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    with pytest.raises(FicheValidationError) as exc:
        fiches.save(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version,
                    data=FicheInput(fields={"comments": "changé"}, organ_answers={"ki67": "beaucoup"}))
    assert "q__ki67" in exc.value.message_dict
    fiche.refresh_from_db()
    assert fiche.comments == ""


def test_required_enabled_item_blocks_validation(breast_form, held_meeting, registration, coordinator):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    organ_forms.start_for(fiche)
    fiches.save(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version,
                data=FicheInput(fields={}, tumours=fiches.snapshot(fiche)["tumours"],
                                treatments=fiches.snapshot(fiche)["treatments"],
                                organ_answers={"her2_ihc": f"{S}|2+"}))
    fiche.refresh_from_db()
    with pytest.raises(FicheValidationError) as exc:
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    assert list(exc.value.message_dict) == ["q__her2_ish"]


def test_htmx_refresh_enables_her2_ish_only_for_ihc_2_plus(client, breast_form, registration, member_doctor):
    import json

    fiche = fiches.start(actor=member_doctor, registration=registration)
    client.force_login(member_doctor)
    page = client.get(f"/rcp/fiches/{fiche.pk}/modifier/").content.decode()
    # Rendered hidden and disabled (not submitted) until an answer enables it.
    assert 'data-organ-item="her2_ish" hidden' in page
    url = f"/rcp/fiches/{fiche.pk}/organe/"

    def enabled(data):
        response = client.post(url, data)
        assert response.status_code == 200
        return set(json.loads(response["HX-Trigger"])["organ-enabled"]["items"])

    assert "her2_ish" not in enabled({"q__her2_ihc": f"{S}|1+"})
    assert {"her2_ish", "her2_statut"} <= enabled({"q__her2_ihc": f"{S}|2+"})
    assert "pdl1_cps" in enabled({"q__re_statut": f"{S}|neg"})
    client.force_login(f.DoctorFactory())
    assert client.post(url, {"q__her2_ihc": f"{S}|2+"}).status_code == 403


def test_edit_page_saves_organ_answers(client, breast_form, registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    client.force_login(member_doctor)
    page = client.get(f"/rcp/fiches/{fiche.pk}/modifier/").content.decode()
    assert 'id="organ-part"' in page and "Fiche RCP — Sein" in page
    from tests.rcp.test_fiche_views import rendered_form  # what the browser sends for the rendered form

    data = rendered_form(client, fiche, q__re_statut=f"{S}|pos", q__re_pourcentage="90")
    response = client.post(f"/rcp/fiches/{fiche.pk}/modifier/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    _, answers = organ_forms.answers_of(fiche)
    assert answers["re_pourcentage"] == 90


def test_carry_over_from_the_last_fiche_and_display(breast_form, held_meeting, registration, coordinator, client):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    organ_forms.start_for(fiche)
    organ_forms.store(fiche, breast_form, {"stade_ajcc": breast_form.form.by_link_id["stade_ajcc"].options[3]})
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    later = f.RegistrationFactory(patient=registration.patient, meeting=f.MeetingFactory(board=held_meeting.board))
    new = fiches.start(actor=coordinator, registration=later)
    record = FicheAnswers.objects.get(fiche=new)
    assert record.carried_over_from == fiche
    assert organ_forms.answers_of(new)[1]["stade_ajcc"].code == "IIA"
    client.force_login(coordinator)
    page = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert "Stade anatomique (AJCC 8ᵉ édition)" in page and "Stade IIA" in page and "formulaire v1.0.0" in page
    assert "Réponses reprises" in client.get(f"/rcp/fiches/{new.pk}/modifier/").content.decode()


def test_old_fiche_keeps_its_version_after_a_new_one_is_published(breast_form, held_meeting, registration,
                                                                  coordinator, client):
    from oncodcc.questionnaires.definition import parse

    fiche = f.complete_fiche(registration, created_by=coordinator)
    organ_forms.start_for(fiche)
    organ_forms.store(fiche, breast_form, {"statut_menopausique": breast_form.form.by_link_id["statut_menopausique"].options[1]})
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)

    v2 = with_version(breast(), "1.1.0")
    v2["item"][0]["item"][0]["text"] = "Statut hormonal (v2)"
    organ_forms.publish(parse(v2), source="sein.json")
    assert organ_forms.latest("urn:oncodcc:questionnaire:sein").version == "1.1.0"

    client.force_login(coordinator)
    page = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert "formulaire v1.0.0" in page and "Statut ménopausique" in page and "(v2)" not in page
    correction = fiches.correct(actor=coordinator, fiche=fiche, reason="Correction du stade")
    assert correction.organ_answers.questionnaire.version == "1.0.0"  # same document, same form version
    later = f.RegistrationFactory(patient=registration.patient, meeting=f.MeetingFactory(board=held_meeting.board))
    assert fiches.start(actor=coordinator, registration=later).organ_answers.questionnaire.version == "1.1.0"


def test_published_version_is_immutable(breast_form):
    from oncodcc.questionnaires.definition import parse

    changed = breast()
    changed["title"] = "Autre titre"
    with pytest.raises(ValidationError.__mro__[1]):  # DefinitionError is a ValueError
        organ_forms.publish(parse(changed), source="sein.json")
    breast_form.definition = changed
    with pytest.raises(ValueError):
        breast_form.save()


def test_changing_the_registration_form_repins_the_draft(breast_form, registration, member_doctor):
    from oncodcc.questionnaires.definition import parse
    from oncodcc.rcp.services import registrations

    other = breast()
    other.update(url="urn:oncodcc:questionnaire:autre", title="Fiche RCP — Autre", name="Autre")
    organ_forms.publish(parse(other), source="autre.json")
    fiche = fiches.start(actor=member_doctor, registration=registration)
    organ_forms.store(fiche, breast_form, {"multifocalite": True})
    registrations.update(actor=member_doctor, registration=registration, expected_version=registration.lock_version,
                         question=registration.question, case_summary=registration.case_summary,
                         requesting_doctor=registration.requesting_doctor,
                         presenting_doctor=registration.presenting_doctor, complete_file=False,
                         form_url="urn:oncodcc:questionnaire:autre")
    questionnaire, answers = organ_forms.answers_of(fiche)
    assert questionnaire.url == "urn:oncodcc:questionnaire:autre" and answers == {"multifocalite": True}
    with pytest.raises(ValidationError):
        registrations.update(actor=member_doctor, registration=registration,
                             expected_version=registration.lock_version, question="q", case_summary="",
                             requesting_doctor=registration.requesting_doctor,
                             presenting_doctor=registration.presenting_doctor, complete_file=False,
                             form_url="urn:oncodcc:questionnaire:inconnu")
