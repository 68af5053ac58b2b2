"""Concurrent edits of a fiche whose organ-form answers changed on both sides: a 409 listing the organ answers'
differences (item text, the value saved meanwhile, yours), never a 500; the same through the JSON API."""

import json
from html import unescape

import pytest
from django.test import Client

from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.models import Questionnaire
from oncodcc.rcp.services import fiches
from tests.questionnaires.helpers import breast
from tests.rcp.test_fiche_views import edit_url, rendered_form

S = "urn:oncodcc:codesystem:sein"


@pytest.fixture
def breast_form(db):
    from oncodcc.questionnaires.definition import parse

    organ_forms.publish(parse(breast()), source="sein.json")
    return Questionnaire.objects.get(url="urn:oncodcc:questionnaire:sein")


@pytest.fixture
def fiche(breast_form, registration, member_doctor):
    return fiches.start(actor=member_doctor, registration=registration)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_both_sides_changed_organ_answers_gives_a_409_with_the_answers(fiche, member_doctor, secretary):
    doctor, other = client_for(member_doctor), client_for(secretary)
    doctor_data = rendered_form(doctor, fiche, q__re_statut=f"{S}|neg", q__ki67="12")
    other_data = rendered_form(other, fiche, q__re_statut=f"{S}|pos", q__ki67="40")
    assert other.post(edit_url(fiche), other_data).status_code == 302

    response = doctor.post(edit_url(fiche), doctor_data)

    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie" in html
    rows = {row["label"]: row for row in response.context["conflict"]["rows"]}
    assert rows["Récepteurs aux œstrogènes (RE)"]["current"] == ["Positif"]
    assert rows["Récepteurs aux œstrogènes (RE)"]["yours"] == ["Négatif"]
    assert rows["Ki-67"]["current"] == ["40 %"] and rows["Ki-67"]["yours"] == ["12 %"]
    assert "Récepteurs aux œstrogènes (RE)" in html and "Négatif" in html
    # Nothing of the doctor's was written: the secretary's answers stay.
    _, answers = organ_forms.answers_of(fiche)
    assert answers["re_statut"].code == "pos" and answers["ki67"]["value"] == 40


def test_only_the_other_side_changed_organ_answers(fiche, member_doctor, secretary):
    doctor, other = client_for(member_doctor), client_for(secretary)
    doctor_data = rendered_form(doctor, fiche, case_summary="Synthèse du médecin")
    other_data = rendered_form(other, fiche, q__re_statut=f"{S}|pos")
    assert other.post(edit_url(fiche), other_data).status_code == 302

    response = doctor.post(edit_url(fiche), doctor_data)

    assert response.status_code == 409
    rows = {row["label"]: row for row in response.context["conflict"]["rows"]}
    assert rows["Récepteurs aux œstrogènes (RE)"]["current"] == ["Positif"]
    assert rows["Récepteurs aux œstrogènes (RE)"]["yours"] == ["—"]


def test_api_put_after_organ_answers_changed_is_a_409(fiche, member_doctor, secretary):
    other = client_for(secretary)
    assert other.post(edit_url(fiche), rendered_form(other, fiche, q__re_statut=f"{S}|pos",
                                                      case_summary="Version secrétaire")).status_code == 302
    response = client_for(member_doctor).put(
        f"/api/v1/fiches/{fiche.pk}", data=json.dumps({"lock_version": 0, "case_summary": "Version médecin"}),
        content_type="application/json")

    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == 1
    assert body["changes"]["case_summary"] == {"yours": "Version médecin", "current": "Version secrétaire"}
    fiche.refresh_from_db()
    assert fiche.case_summary == "Version secrétaire"
