"""Values read from the patient's received reports, proposed beside the fiche being edited: each with the fiche
fields it fills (the organ form's items, the first tumour's pTNM, shown and accepted once) and valid answers for
those fields; shown without a button where nothing can be filled (no draft to edit, no such item)."""

import html
import json

import pytest
from django.urls import reverse

from oncodcc.documents.models import Document
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import parse
from oncodcc.rcp import report_proposals
from oncodcc.rcp.forms.fiche import FicheEditor
from oncodcc.rcp.services import fiches
from tests import samples
from tests.questionnaires.helpers import breast
from tests.rcp.test_fiche_views import client_for
from tests.rcp.test_meeting_mode import case_url
from tests.rcp.test_meeting_mode_reports import send

pytestmark = pytest.mark.django_db
S = "urn:oncodcc:codesystem:sein|"

CONCLUSION = ("Carcinome infiltrant de type non spécifique, grade SBR II. RE 90 %, RP négatifs, HER2 score 3+. "
              "Ki-67 à 30 %. pT2 N1a M0.")


@pytest.fixture
def hospital():
    return samples.hospital(name="CHU Exemple-sur-Mer")


@pytest.fixture
def actor(hospital):
    from oncodcc.core.actors import SystemActor

    return SystemActor(label=f"HL7 {hospital}", role="hl7", organisation=hospital)


@pytest.fixture
def draft(db, registration, member_doctor):
    organ_forms.publish(parse(breast()), source="sein.json")
    return fiches.start(actor=member_doctor, registration=registration)


def fills(page_html: str) -> dict[str, dict[str, str]]:
    """The proposals' buttons: finding key → the fields they fill."""
    found = {}
    for chunk in page_html.split('data-finding="')[1:]:
        key = chunk.split('"')[0]
        item = chunk.split("</li>")[0]
        found[key] = json.loads(html.unescape(item.split('data-fill="')[1].split('"')[0])) if "data-fill" in item else {}
    return found


def test_proposals_fill_the_organ_items_and_the_tnm_with_valid_answers(draft, registration, member_doctor, actor,
                                                                      hospital):
    send(actor, hospital, registration.patient, conclusion=CONCLUSION)
    editor = FicheEditor(fiche=draft)
    rows = report_proposals.build(list(Document.objects.filter(patient=registration.patient)), editor)
    proposals = {p.finding.key: p for p in rows[0].proposals}
    assert proposals["re"].fill == {"q__re_statut": S + "pos", "q__re_pourcentage": "90"}
    assert proposals["rp"].fill == {"q__rp_statut": S + "neg"}
    assert proposals["her2"].fill == {"q__her2_ihc": S + "3+", "q__her2_statut": S + "positif"}
    assert proposals["ki67"].fill == {"q__ki67": "30"}
    assert proposals["tnm"].finding.value == "pT2 pN1a cM0"
    assert proposals["tnm"].fill == {"tumours-0-tnm_t": "pT2", "tumours-0-tnm_n": "pN1a", "tumours-0-tnm_m": "cM0"}
    # Every coded value is one of the item's answers (what the organ form would accept on save).
    for proposal in proposals.values():
        for name, value in proposal.fill.items():
            choices = getattr(editor.organ.fields.get(name), "choices", None)
            if choices:
                assert value in {key for key, _ in choices}, (name, value)


def test_meeting_mode_shows_the_proposals_with_their_report_and_date(draft, registration, meeting, member_doctor,
                                                                    actor, hospital):
    send(actor, hospital, registration.patient, conclusion=CONCLUSION, when="20261120101500+0100")
    text = client_for(member_doctor).get(case_url(meeting, 1)).content.decode()
    assert "Valeurs relevées dans la conclusion (à vérifier)" in html.unescape(text)
    assert "du 20/11/2026" in html.unescape(text.split('class="report-proposals')[1])
    buttons = fills(text)
    assert buttons["her2"] == {"q__her2_ihc": S + "3+", "q__her2_statut": S + "positif"}
    assert buttons["tnm"]["tumours-0-tnm_n"] == "pN1a"
    # The same on the fiche's own form.
    edit = client_for(member_doctor).get(reverse("rcp:fiche_edit", args=[draft.pk])).content.decode()
    assert fills(edit)["re"] == {"q__re_statut": S + "pos", "q__re_pourcentage": "90"}


def test_items_the_form_lacks_are_shown_without_a_button(draft, registration, meeting, member_doctor, actor,
                                                         hospital):
    send(actor, hospital, registration.patient, type_code="51969-4",
         conclusion="Délétion de l'exon 19 d'EGFR détectée. KRAS non muté.")
    buttons = fills(client_for(member_doctor).get(case_url(meeting, 1)).content.decode())
    assert buttons == {"egfr": {}, "kras": {}}  # the breast form has no EGFR or KRAS item


def test_no_button_without_a_draft_to_edit(registration, meeting, member_doctor, actor, hospital):
    send(actor, hospital, registration.patient, conclusion=CONCLUSION)
    buttons = fills(client_for(member_doctor).get(case_url(meeting, 1)).content.decode())
    assert set(buttons) == {"re", "rp", "her2", "ki67", "tnm"} and not any(buttons.values())
