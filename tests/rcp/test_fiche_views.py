"""The fiche RCP screens: edit (save, validate, 409 on concurrent edits), read, print, correct, start."""

import re
from datetime import date
from html import unescape

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.services import fiches as services
from oncodcc.terminology import valuesets as vs
from tests import factories as f

# --- helpers (also used by the meeting-mode tests) ---


def _post_value(widget, value):
    if isinstance(widget, forms.CheckboxInput):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _add_form(data: dict, form: forms.Form) -> None:
    for name, field in form.fields.items():
        value = _post_value(field.widget, form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value


def form_data(editor, **overrides) -> dict:
    """What a browser sends for the form as rendered (initial values + management forms), with `overrides`
    applied (None removes a key)."""
    data: dict = {}
    _add_form(data, editor.form)
    for formset in editor.formsets.values():
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    if getattr(editor, "organ", None) is not None:
        _add_form(data, editor.organ)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


hold = f.hold


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(fiche) -> str:
    return reverse("rcp:fiche_edit", args=[fiche.pk])


def rendered_form(client, fiche, **overrides) -> dict:
    response = client.get(edit_url(fiche))
    assert response.status_code == 200
    return form_data(response.context["editor"], **overrides)


# --- fixtures ---

@pytest.fixture
def draft(registration, member_doctor):
    return services.start(actor=member_doctor, registration=registration)


@pytest.fixture
def doctor_client(member_doctor):
    return client_for(member_doctor)


# --- edit and save ---

def test_edit_happy_path_saves_and_comes_back(doctor_client, draft):
    data = rendered_form(doctor_client, draft, case_summary="Nodule du sein gauche, biopsie : CCI grade 2.",
                         screening="True", screening_date="2026-09-01")
    response = doctor_client.post(edit_url(draft), data)
    assert response.status_code == 302
    assert response["Location"] == edit_url(draft)
    draft.refresh_from_db()
    assert draft.case_summary == "Nodule du sein gauche, biopsie : CCI grade 2."
    assert draft.screening is True and draft.screening_date == date(2026, 9, 1)
    assert draft.lock_version == 1
    assert AuditEvent.objects.filter(action="fiche.update", patient_id=draft.patient_id).count() == 1
    page = doctor_client.get(edit_url(draft))
    assert "Fiche enregistrée." in page.content.decode()


def test_edit_adds_rows_to_the_formsets(doctor_client, draft):
    data = rendered_form(doctor_client, draft)
    # The blank rows offered to a new fiche (one tumour, one treatment) and one added further test.
    data.update({
        "tumours-0-topography": "C50.4 — Quadrant supéro-externe du sein", "tumours-0-morphology": "8500/3",
        "tumours-0-laterality": "7771000", "tumours-0-diagnosis_date": "2026-09-15", "tumours-0-tnm_t": "cT2",
        "treatments-0-code": "387713003", "treatments-0-detail": "Tumorectomie + ganglion sentinelle",
        "treatments-TOTAL_FORMS": "2", "treatments-1-code": "C15632", "treatments-1-is_alternative": "on",
        "treatments-1-ORDER": "2", "treatments-0-ORDER": "1",
        "further_tests-TOTAL_FORMS": "1", "further_tests-0-description": "IRM mammaire",
        "further_tests-0-latest": "2026-10-30",
    })
    response = doctor_client.post(edit_url(draft), data)
    assert response.status_code == 302, response.context and response.context["editor"].error_summary()
    tumour = draft.tumours.get()
    assert (tumour.topography, tumour.morphology, tumour.tnm_t) == ("C50.4", "8500/3", "cT2")
    assert [(t.code, t.is_alternative) for t in draft.treatments.all()] == [("387713003", False), ("C15632", True)]
    assert draft.further_tests.get().latest == date(2026, 10, 30)
    # Deleting a row on the next save.
    data = rendered_form(doctor_client, draft, **{"treatments-1-DELETE": "on"})
    assert doctor_client.post(edit_url(draft), data).status_code == 302
    assert [t.code for t in draft.treatments.all()] == ["387713003"]


def test_field_errors_are_shown_in_french(doctor_client, draft):
    data = rendered_form(doctor_client, draft, screening="True", screening_date="32/13/2026",
                         **{"tumours-0-topography": "Z99.9", "tumours-0-morphology": "8500/3"})
    response = doctor_client.post(edit_url(draft), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Saisissez une date valide." in html
    assert "Code CIM-10 inconnu du jeu de valeurs JDV_Tumeur_CISIS." in html
    assert 'aria-invalid="true"' in html
    # What was typed stays in the form.
    assert "Z99.9" in html
    draft.refresh_from_db()
    assert draft.lock_version == 0


@pytest.mark.parametrize("data", [
    {},
    {"lock_version": "abc"},
    {"lock_version": "0", "case_summary": "texte\x00nul", "tumours-TOTAL_FORMS": "x"},
    {"lock_version": "99999999999999999999999", "treatments-TOTAL_FORMS": "100000000", "treatments-INITIAL_FORMS": "0"},
])
def test_bad_input_is_a_400_never_a_500(doctor_client, draft, data):
    response = doctor_client.post(edit_url(draft), data)
    assert response.status_code == 400


def test_control_characters_are_refused(doctor_client, draft):
    data = rendered_form(doctor_client, draft, case_summary="Synthèse\x07 avec une cloche")
    response = doctor_client.post(edit_url(draft), data)
    assert response.status_code == 400
    assert "caractères de contrôle" in response.content.decode()


def test_edit_page_has_no_inline_script_style_or_handler(doctor_client, draft):
    html = doctor_client.get(edit_url(draft)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "data-guard-unsaved" in html and "data-default-submit" in html
    assert 'name="lock_version"' in html
    assert 'id="tumours-empty-form"' in html and 'data-formset-add="treatments"' in html
    assert 'data-show-when="nature=ORG-132"' in html and 'data-show-when="progression=True"' in html
    # The code suggestions are fetched on demand (rcp:code_suggestions), not embedded in the page.
    assert '<datalist id="jdv-topographie" data-suggest-url="/rcp/codes/jdv-topographie/"></datalist>' in html
    assert '<option value="C50.4">' not in html


# --- concurrent edits ---

def test_concurrent_edit_gives_409_with_the_diff_and_keeps_the_typed_text(draft, member_doctor, secretary):
    doctor, other = client_for(member_doctor), client_for(secretary)
    doctor_data = rendered_form(doctor, draft, case_summary="Version du médecin : T2 N0 à l'IRM")
    other_data = rendered_form(other, draft, case_summary="Version de la secrétaire", phase=vs.PHASE_RELAPSE)
    assert other.post(edit_url(draft), other_data).status_code == 302

    response = doctor.post(edit_url(draft), doctor_data)
    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie" in html
    assert "Valeur enregistrée" in html and "Votre saisie" in html
    conflict = response.context["conflict"]
    rows = {row["name"]: row for row in conflict["rows"]}
    assert rows["case_summary"]["current"] == ["Version de la secrétaire"]
    assert rows["case_summary"]["yours"] == ["Version du médecin : T2 N0 à l'IRM"]
    assert rows["phase"]["current"] == [vs.label(vs.PHASE, vs.PHASE_RELAPSE)]
    # The form is re-rendered with what the doctor typed and the new version.
    assert "Version du médecin : T2 N0 à l'IRM</textarea>" in html
    assert response.context["form"]["lock_version"].value() == "1"
    draft.refresh_from_db()
    assert draft.case_summary == "Version de la secrétaire"

    # Saving again from the 409 page overwrites knowingly.
    again = form_data(response.context["editor"])
    assert doctor.post(edit_url(draft), again).status_code == 302
    draft.refresh_from_db()
    assert draft.case_summary == "Version du médecin : T2 N0 à l'IRM"
    assert draft.lock_version == 2


# --- validation (signature) ---

def test_validation_errors_go_on_the_fields(registration, coordinator):
    hold(registration.meeting)
    fiche = services.start(actor=coordinator, registration=registration)
    client = client_for(coordinator)
    response = client.post(edit_url(fiche), rendered_form(client, fiche, action="validate"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Indiquez si le cancer a été découvert par dépistage." in html
    assert "Décrivez au moins une tumeur" in html
    assert response.context["form"].errors["screening"]
    assert response.context["editor"].list_errors["tumours"]
    assert "Réinscrire le dossier" not in html
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.DRAFT


def test_discussed_case_without_quorum_offers_reregistration(registration, coordinator):
    hold(registration.meeting, quorum=False)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    client = client_for(coordinator)
    response = client.post(edit_url(fiche), rendered_form(client, fiche, action="validate"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Quorum non atteint" in html
    assert "Réinscrire le dossier à la séance suivante" in html
    assert reverse("rcp:registration_reregister", args=[registration.pk]) in html
    assert f'name="next" value="{edit_url(fiche)}"' in html


def test_registered_case_without_guideline_is_refused_without_reregistration(registration, coordinator):
    hold(registration.meeting, quorum=False)
    fiche = f.complete_fiche(registration, created_by=coordinator, case_status=vs.CASE_REGISTERED)
    client = client_for(coordinator)
    response = client.post(edit_url(fiche), rendered_form(client, fiche, action="validate"))
    assert response.status_code == 400
    assert response.context["form"].errors["guideline_name"] == [
        "Un cas seulement enregistré (non discuté) exige le référentiel utilisé."]
    assert "Réinscrire le dossier" not in response.content.decode()
    # With the guideline, a registered case is validated without quorum.
    data = rendered_form(client, fiche, action="validate", guideline_name="Référentiel régional sein",
                         guideline_version="2025")
    assert client.post(edit_url(fiche), data).status_code == 302
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.VALIDATED
    assert fiche.quorum_status == vs.QUORUM_NOT_REACHED


def test_validate_as_coordinator_redirects_to_the_detail_with_the_signer(registration, coordinator):
    hold(registration.meeting)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    client = client_for(coordinator)
    response = client.post(edit_url(fiche), rendered_form(client, fiche, action="validate"))
    assert response.status_code == 302
    assert response["Location"] == reverse("rcp:fiche_detail", args=[fiche.pk])
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.VALIDATED and fiche.validated_by == coordinator
    html = client.get(response["Location"]).content.decode()
    assert str(coordinator) in html
    assert "Validée et signée par" in html
    assert vs.label(vs.QUORUM_STATUS, vs.QUORUM_REACHED) in html
    # Participants frozen with their specialty labels.
    assert vs.label(vs.SPECIALTY, f.RADIOTHERAPY) in html
    # A validated version is no longer edited.
    assert client.get(edit_url(fiche))["Location"] == reverse("rcp:fiche_detail", args=[fiche.pk])


def test_non_signer_gets_a_french_message(registration, secretary):
    hold(registration.meeting)
    fiche = f.complete_fiche(registration, created_by=secretary)
    client = client_for(secretary)
    response = client.post(edit_url(fiche), rendered_form(client, fiche, action="validate"), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "La fiche est signée par le coordonnateur de la RCP ou un médecin présent à la séance." in html
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.DRAFT


def test_fiche_validate_url_signs_the_saved_fiche(registration, coordinator):
    hold(registration.meeting)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    client = client_for(coordinator)
    url = reverse("rcp:fiche_validate", args=[fiche.pk])
    assert client.post(url, {"lock_version": "7"}).status_code == 302  # stale: back to the form, not signed
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.DRAFT
    assert client.post(url, {"lock_version": "0"})["Location"] == reverse("rcp:fiche_detail", args=[fiche.pk])
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.VALIDATED


# --- read, print, correct ---

@pytest.fixture
def validated(registration, coordinator):
    hold(registration.meeting)
    fiche = f.complete_fiche(registration, created_by=coordinator,
                             proposal_comment="À revoir après la chirurgie.")
    f.ProposedTreatment.objects.create(fiche=fiche, sequence=3, code="C15632", is_alternative=True,
                                       detail="Chimiothérapie néoadjuvante")
    return services.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)


def test_detail_shows_the_proposal_first_and_is_audited(validated, coordinator):
    client = client_for(coordinator)
    response = client.get(reverse("rcp:fiche_detail", args=[validated.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Proposition de la RCP") < html.index("Le cas présenté")
    assert html.index("Radiothérapie") < html.index("Alternative(s)") < html.index("Chimiothérapie")
    assert vs.label(vs.TOPOGRAPHY, "C50.4") in html
    assert vs.label(vs.CASE_STATUS, vs.CASE_DISCUSSED) in html
    assert "Version 1" in html and "Corriger (nouvelle version)" in html
    assert AuditEvent.objects.filter(action="fiche.view", patient_id=validated.patient_id).count() == 1


def test_print_view_is_audited_as_print(validated, coordinator):
    client = client_for(coordinator)
    response = client.get(reverse("rcp:fiche_print", args=[validated.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "fiche-print-header" in html and "fiche-print-footer" in html
    assert validated.registration.meeting.board.managing_3c.name in html
    assert "version 1" in html and validated.signer_name in html
    assert AuditEvent.objects.filter(action="fiche.print", patient_id=validated.patient_id).count() == 1
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_correct_creates_a_new_version_and_opens_it(validated, coordinator):
    client = client_for(coordinator)
    url = reverse("rcp:fiche_correct", args=[validated.pk])
    assert client.post(url, {"reason": "x"}, follow=True).status_code == 200  # too short: message, no version
    assert Fiche.objects.filter(set_id=validated.set_id).count() == 1
    response = client.post(url, {"reason": "Erreur de latéralité"})
    new = Fiche.objects.get(set_id=validated.set_id, version_number=2)
    assert response["Location"] == edit_url(new)
    assert new.correction_reason == "Erreur de latéralité"
    html = client.get(reverse("rcp:fiche_detail", args=[validated.pk])).content.decode()
    assert "Cette version n'est pas la dernière" in unescape(html)
    assert reverse("rcp:fiche_detail", args=[new.pk]) in html
    assert "Corriger (nouvelle version)" not in html  # a correction is under way


def test_outsider_gets_403_everywhere(validated, member_doctor, outsider):
    other_case = f.RegistrationFactory(meeting=validated.registration.meeting, created_by=member_doctor,
                                       requesting_doctor=member_doctor.practitioner)
    draft = services.start(actor=member_doctor, registration=other_case)
    client = client_for(outsider)
    for name, fiche in (("rcp:fiche_detail", validated), ("rcp:fiche_print", validated), ("rcp:fiche_edit", draft)):
        assert client.get(reverse(name, args=[fiche.pk])).status_code == 403, name
    assert client.post(edit_url(draft), {"lock_version": "0"}).status_code == 403
    assert client.post(reverse("rcp:fiche_correct", args=[validated.pk]), {"reason": "Je corrige"}).status_code == 403
    assert client.post(reverse("rcp:fiche_validate", args=[draft.pk]), {"lock_version": "0"}).status_code == 403
    assert client.post(reverse("rcp:fiche_start", args=[draft.registration_id])).status_code == 403
    assert AuditEvent.objects.filter(action="patient.access_denied", actor_id=outsider.pk).exists()


def test_unknown_fiche_is_a_404(doctor_client):
    assert doctor_client.get(reverse("rcp:fiche_detail", args=[999999])).status_code == 404
    assert doctor_client.get("/rcp/fiches/99999999999999999999999/").status_code == 404


# --- start ---

def test_start_creates_the_draft_and_follows_a_safe_next(doctor_client, registration):
    url = reverse("rcp:fiche_start", args=[registration.pk])
    response = doctor_client.post(url, {"next": "https://evil.example/"})
    fiche = Fiche.objects.get(registration=registration)
    assert response["Location"] == edit_url(fiche)
    back = reverse("rcp:meeting_mode_case", args=[registration.meeting_id, 1])
    assert doctor_client.post(url, {"next": back})["Location"] == back
    assert Fiche.objects.filter(registration=registration).count() == 1
    assert doctor_client.get(url).status_code == 405
