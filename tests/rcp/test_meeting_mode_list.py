"""Meeting mode's case list (order, patient, question, state) and the code suggestions served on demand."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.services import fiches, registrations
from tests import factories as f
from tests.rcp.test_meeting_mode import add_cases, case_url


@pytest.fixture
def doctor_client(member_doctor):
    client = Client()
    client.force_login(member_doctor)
    return client


def _rows(html: str) -> list[str]:
    items = html.split('id="case-list-items"')[1].split("</ol>")[0]
    return items.split('<li class="case-row')[1:]


def test_case_list_shows_each_state_and_the_current_case(doctor_client, held_meeting, member_doctor, coordinator):
    cases = add_cases(held_meeting, member_doctor, 4)
    fiches.start(actor=member_doctor, registration=cases[1])
    fiche = f.complete_fiche(cases[2], created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    later = f.MeetingFactory(board=held_meeting.board, starts_at=held_meeting.starts_at + timedelta(days=14))
    registrations.move(actor=member_doctor, registration=cases[3], target=later)

    html = doctor_client.get(case_url(held_meeting, 2)).content.decode()
    rows = _rows(html)
    assert len(rows) == 4
    expected = [("1.", "à discuter", "case-todo"), ("2.", "brouillon", "case-draft"),
                ("3.", "validé", "case-validated"), ("—", "reporté", "case-postponed")]
    for row, case, (number, state, css) in zip(rows, cases, expected, strict=True):
        assert case.patient.display_name in row and state in row and css in row and number in row
        assert case.question[:40] in row
    assert "case-current" in rows[1] and all("case-current" not in r for r in (rows[0], rows[2], rows[3]))
    # The postponed case is not a link (it is no longer discussed here); the others are.
    assert "<a " not in rows[3] and f'href="{case_url(held_meeting, 3)}"' in rows[2]
    # Each patient listed is in their access history.
    listed = AuditEvent.objects.filter(action="patient.list", details__page="meeting_mode")
    assert set(listed.values_list("patient_id", flat=True)) == {c.patient_id for c in cases}


# --- code suggestions ---


def test_code_suggestions_by_code_then_by_label(doctor_client):
    url = reverse("rcp:code_suggestions", args=["jdv-topographie"])
    results = doctor_client.get(url, {"q": "c50"}).json()["results"]
    assert results and all(r["code"].startswith("C50") for r in results)
    assert len(results) <= 30
    by_label = doctor_client.get(url, {"q": "sein"}).json()["results"]
    assert by_label and all("sein" in r["display"].casefold() or r["code"].casefold().startswith("sein")
                            for r in by_label)
    morphology = doctor_client.get(reverse("rcp:code_suggestions", args=["jdv-morphologie"]), {"q": "8500"})
    assert any(r["code"] == "8500/3" for r in morphology.json()["results"])
    assert doctor_client.get(url, {"q": "  "}).json() == {"results": []}


def test_code_suggestions_unknown_list_and_anonymous(doctor_client, db):
    assert doctor_client.get(reverse("rcp:code_suggestions", args=["jdv-inconnu"]), {"q": "C50"}).status_code == 404
    anonymous = Client().get(reverse("rcp:code_suggestions", args=["jdv-topographie"]), {"q": "C50"})
    assert anonymous.status_code == 302 and "/comptes/connexion/" in anonymous["Location"]


def test_meeting_mode_page_no_longer_embeds_the_value_sets(doctor_client, held_meeting, member_doctor):
    cases = add_cases(held_meeting, member_doctor, 1)
    fiches.start(actor=member_doctor, registration=cases[0])
    html = doctor_client.get(case_url(held_meeting, 1)).content.decode()
    assert 'data-suggest-url="/rcp/codes/jdv-morphologie/"' in html
    assert html.count("<option") < 200  # the selects of the fiche only; the ~1,750 code options are gone


def test_meeting_mode_puts_the_proposal_first_the_edit_page_keeps_the_form_order(doctor_client, held_meeting,
                                                                                member_doctor):
    cases = add_cases(held_meeting, member_doctor, 1)
    draft = fiches.start(actor=member_doctor, registration=cases[0])
    mode = doctor_client.get(case_url(held_meeting, 1)).content.decode()
    assert mode.index('id="h-proposition"') < mode.index('id="h-motif"') < mode.index('id="h-commentaires"')
    assert mode.count('id="h-proposition"') == 1
    edit = doctor_client.get(reverse("rcp:fiche_edit", args=[draft.pk])).content.decode()
    assert edit.index('id="h-motif"') < edit.index('id="h-proposition"') < edit.index('id="h-commentaires"')
