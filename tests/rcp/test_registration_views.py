"""Registration screens: create (deadline, access), read and edit (optimistic locking), move, withdraw,
re-register to the next meeting."""

import html as htmllib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Fiche, Meeting, Registration
from tests import factories as f


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def create_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('rcp:registration_create')}?{query}" if query else reverse("rcp:registration_create")


def registration_data(doctor, target, **overrides):
    data = {"meeting": target.pk, "requesting_doctor": doctor.pk, "presenting_doctor": doctor.pk,
            "question": "Chirurgie première ou traitement néoadjuvant ?", "case_summary": "Synthèse.",
            "complete_file": "on"}
    data.update(overrides)
    return data


@pytest.fixture
def soon_meeting(board):
    """A meeting tomorrow: its 48-hour registration deadline has passed."""
    return f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(hours=24))


# --- create ---

def test_create_without_patient_asks_to_search_first(client, member_doctor, meeting):
    client.force_login(member_doctor)
    response = client.get(create_url(meeting=meeting.pk))
    assert response.status_code == 200
    content = text(response)
    assert "Recherchez d'abord le patient" in content and reverse("patients:search") in content
    assert "<select" not in content


def test_create_form_preselects_meeting_and_doctor(client, member_doctor, patient, meeting, soon_meeting):
    other_board_meeting = f.MeetingFactory(starts_at=timezone.now() + timedelta(days=3))
    client.force_login(member_doctor)
    response = client.get(create_url(patient=patient.pk, meeting=meeting.pk))
    content = text(response)
    assert response.status_code == 200
    assert patient.display_name in content
    assert f'<option value="{meeting.pk}" selected>' in content
    assert f'<option value="{member_doctor.practitioner_id}" selected>' in content
    assert f"{other_board_meeting.board.name} — " in content  # every active board's meetings
    assert f"{soon_meeting.board.name} — " in content and "(inscriptions closes)" in content
    for name in ("meeting", "requesting_doctor", "presenting_doctor", "question", "case_summary", "complete_file"):
        assert f'for="id_{name}"' in content
    # Ordered by date: tomorrow's meeting before the one in a week.
    assert content.index(f'value="{soon_meeting.pk}"') < content.index(f'value="{meeting.pk}"')


def test_member_registers_and_lands_on_the_meeting_page(client, member_doctor, patient, meeting, board):
    later = f.MeetingFactory(board=board, starts_at=meeting.starts_at + timedelta(days=14))
    client.force_login(member_doctor)
    response = client.post(create_url(patient=patient.pk, meeting=later.pk),
                           registration_data(member_doctor.practitioner, later))
    assert response.status_code == 302 and response["Location"] == reverse("rcp:meeting_detail", args=[later.pk])
    new = Registration.objects.get(meeting=later, patient=patient)
    assert new.complete_file and new.created_by == member_doctor and new.question.startswith("Chirurgie")
    assert patient.display_name in text(client.get(response["Location"]))  # the success message and the list
    # Twice on the same meeting: refused with the service's message.
    response = client.post(create_url(patient=patient.pk), registration_data(member_doctor.practitioner, later))
    assert "Ce patient est déjà inscrit à cette séance." in text(response)


def test_registration_outside_my_boards_goes_back_to_the_patient(client, outsider, meeting):
    patient = f.PatientFactory()
    CareTeamMember.objects.create(patient=patient, practitioner=outsider.practitioner)
    client.force_login(outsider)
    response = client.post(create_url(patient=patient.pk), registration_data(outsider.practitioner, meeting))
    assert response.status_code == 302 and response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert Registration.objects.filter(patient=patient, meeting=meeting).exists()


def test_registration_after_the_deadline_shows_the_french_error(client, member_doctor, secretary, patient,
                                                              soon_meeting):
    client.force_login(member_doctor)
    response = client.post(create_url(patient=patient.pk), registration_data(member_doctor.practitioner, soon_meeting))
    assert response.status_code == 200
    content = text(response)
    assert "Les inscriptions à cette séance sont closes depuis le" in content
    assert "contactez le secrétariat de la RCP" in content
    assert not Registration.objects.filter(meeting=soon_meeting).exists()
    # The board's secretariat may still add the case.
    client.force_login(secretary)
    response = client.post(create_url(patient=patient.pk), registration_data(member_doctor.practitioner, soon_meeting))
    assert response.status_code == 302
    assert Registration.objects.filter(meeting=soon_meeting, patient=patient).exists()


def test_form_errors_without_500(client, member_doctor, patient, meeting):
    client.force_login(member_doctor)
    url = create_url(patient=patient.pk)
    content = text(client.post(url, registration_data(member_doctor.practitioner, meeting, question="  ")))
    assert "La question posée à la RCP est obligatoire." in content
    content = text(client.post(url, registration_data(member_doctor.practitioner, meeting, meeting="999999")))
    assert "Sélectionnez un choix valide" in content
    response = client.post(url, registration_data(member_doctor.practitioner, meeting, question="a\x07b"))
    assert response.status_code == 200 and "caractères de contrôle" in text(response)
    closed = f.MeetingFactory(board=meeting.board, status=Meeting.Status.CLOSED,
                              starts_at=timezone.now() - timedelta(days=1))
    content = text(client.post(create_url(patient=patient.pk, meeting=closed.pk),
                               registration_data(member_doctor.practitioner, closed)))
    assert "Cette séance est clôturée ou annulée" in content
    for bad in ("abc", "-1", "99999999"):
        assert client.get(create_url(patient=bad)).status_code == 404
        assert client.get(create_url(meeting=bad)).status_code == 404


def test_registering_an_unrelated_patient_needs_a_search_first(client, outsider, meeting):
    stranger = f.PatientFactory()
    client.force_login(outsider)
    response = client.get(create_url(patient=stranger.pk))
    assert response.status_code == 403 and stranger.display_name not in text(response)
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=stranger.pk).exists()
    # Shown as an exact match by a search (patients.selectors.search_patients records it): allowed.
    audit.record(actor=outsider, action=Action.PATIENT_SEARCH, patient=stranger, details={"restricted": True})
    response = client.get(create_url(patient=stranger.pk))
    assert response.status_code == 200 and stranger.display_name in text(response)


def test_only_doctors_and_secretaries_register(client, patient):
    dpo = f.UserFactory(role="dpo")
    client.force_login(dpo)
    assert client.get(create_url(patient=patient.pk)).status_code == 403


# --- detail and edit ---

def test_detail_shows_the_registration_and_audits_the_view(client, member_doctor, registration):
    client.force_login(member_doctor)
    response = client.get(reverse("rcp:registration_detail", args=[registration.pk]))
    content = text(response)
    assert response.status_code == 200
    assert registration.patient.display_name in content and registration.question in content
    assert registration.meeting.board.name in content and "inscrit" in content
    assert 'name="lock_version"' in content
    assert AuditEvent.objects.filter(action=Action.REGISTRATION_VIEW, patient_id=registration.patient_id).count() == 1


def test_detail_refused_to_outsider(client, outsider, registration):
    client.force_login(outsider)
    response = client.get(reverse("rcp:registration_detail", args=[registration.pk]))
    assert response.status_code == 403 and registration.patient.display_name not in text(response)
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=registration.patient_id).exists()
    assert client.get(reverse("rcp:registration_detail", args=[123456])).status_code == 404


def test_edit_saves_and_concurrent_edit_keeps_the_typed_values(client, member_doctor, secretary, registration):
    url = reverse("rcp:registration_detail", args=[registration.pk])
    doctor = member_doctor.practitioner
    start_version = registration.lock_version
    client.force_login(secretary)
    response = client.post(url, {"requesting_doctor": doctor.pk, "presenting_doctor": doctor.pk,
                                 "question": "Question de la secrétaire", "lock_version": start_version})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.question == "Question de la secrétaire"
    # The doctor started from the old version: nothing is overwritten, the typed text is kept.
    client.force_login(member_doctor)
    response = client.post(url, {"requesting_doctor": doctor.pk, "presenting_doctor": doctor.pk,
                                 "question": "Question du médecin", "case_summary": "Ma synthèse",
                                 "lock_version": start_version})
    content = text(response)
    assert response.status_code == 200
    assert "Cette inscription a été modifiée par quelqu'un d'autre pendant votre saisie" in content
    assert "Question du médecin" in content and "Ma synthèse" in content
    assert f'name="lock_version" value="{registration.lock_version}"' in content
    registration.refresh_from_db()
    assert registration.question == "Question de la secrétaire"
    # Submitting again with the new version saves.
    response = client.post(url, {"requesting_doctor": doctor.pk, "presenting_doctor": doctor.pk,
                                 "question": "Question du médecin", "lock_version": registration.lock_version})
    registration.refresh_from_db()
    assert response.status_code == 302 and registration.question == "Question du médecin"


def test_edit_validation_errors(client, member_doctor, registration):
    client.force_login(member_doctor)
    url = reverse("rcp:registration_detail", args=[registration.pk])
    response = client.post(url, {"requesting_doctor": "999999", "presenting_doctor": "",
                                 "question": "", "lock_version": "x"})
    assert response.status_code == 200
    assert "La question posée à la RCP est obligatoire." in text(response)
    doctor = member_doctor.practitioner_id
    response = client.post(url, {"requesting_doctor": doctor, "presenting_doctor": doctor, "question": "Q",
                                 "lock_version": "9" * 30})
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.question != "Q"


# --- move ---

def test_move_lists_same_board_first_and_moves(client, member_doctor, registration, board):
    later = f.MeetingFactory(board=board, starts_at=registration.meeting.starts_at + timedelta(days=14))
    elsewhere = f.MeetingFactory(starts_at=timezone.now() + timedelta(days=3))
    client.force_login(member_doctor)
    url = reverse("rcp:registration_move", args=[registration.pk])
    content = text(client.get(url))
    assert content.index(f'value="{later.pk}"') < content.index(f'value="{elsewhere.pk}"')
    assert f'value="{registration.meeting_id}"' not in content
    assert "Même RCP" in content and "Autres RCP de la région" in content
    response = client.post(url, {"target": later.pk})
    assert response.status_code == 302 and response["Location"] == reverse("rcp:meeting_detail", args=[later.pk])
    registration.refresh_from_db()
    assert registration.status == Registration.Status.MOVED
    assert registration.moved_to.meeting == later
    # Already moved: the form is not offered again.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("rcp:registration_detail",
                                                                          args=[registration.pk])


def test_move_errors(client, member_doctor, outsider, registration):
    client.force_login(member_doctor)
    url = reverse("rcp:registration_move", args=[registration.pk])
    assert "Sélectionnez un choix valide" in text(client.post(url, {"target": "123456"}))
    assert client.post(url, {}).status_code == 200
    client.force_login(outsider)
    assert client.get(url).status_code == 403


# --- withdraw ---

def test_withdraw_needs_a_reason_and_removes_the_draft_fiche(client, member_doctor, registration):
    f.complete_fiche(registration, created_by=member_doctor)
    client.force_login(member_doctor)
    url = reverse("rcp:registration_withdraw", args=[registration.pk])
    assert "Retirer le dossier" in text(client.get(url))
    assert "Indiquez le motif du retrait." in text(client.post(url, {"reason": ""}))
    response = client.post(url, {"reason": "Patient pris en charge ailleurs"})
    assert response.status_code == 302
    assert response["Location"] == reverse("rcp:meeting_detail", args=[registration.meeting_id])
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WITHDRAWN
    assert registration.withdrawal_reason == "Patient pris en charge ailleurs"
    assert not Fiche.objects.filter(registration=registration).exists()


def test_withdraw_refused_when_a_fiche_is_validated(client, member_doctor, registration):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    Fiche.objects.filter(pk=fiche.pk).update(status=Fiche.Status.VALIDATED)
    client.force_login(member_doctor)
    response = client.post(reverse("rcp:registration_withdraw", args=[registration.pk]), {"reason": "Erreur"})
    assert response.status_code == 200 and "Une fiche validée existe" in text(response)


# --- re-register to the next meeting ---

def test_reregister_to_the_next_meeting(client, member_doctor, registration, board):
    following = f.MeetingFactory(board=board, starts_at=registration.meeting.starts_at + timedelta(days=14))
    f.MeetingFactory(board=board, starts_at=registration.meeting.starts_at + timedelta(days=28))
    client.force_login(member_doctor)
    response = client.post(reverse("rcp:registration_reregister", args=[registration.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("rcp:meeting_detail", args=[following.pk])
    registration.refresh_from_db()
    assert registration.moved_to.meeting == following
    assert "réinscrit" in text(client.get(response["Location"]))


def test_reregister_without_next_meeting_goes_back_safely(client, member_doctor, registration):
    client.force_login(member_doctor)
    url = reverse("rcp:registration_reregister", args=[registration.pk])
    back = reverse("rcp:meeting_detail", args=[registration.meeting_id])
    response = client.post(url, {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "Aucune séance suivante n'est planifiée pour cette RCP." in text(client.get(back))
    for unsafe in ("https://evil.example/", "//evil.example/x", "rcp:board_list", "javascript:alert(1)"):
        response = client.post(url, {"next": unsafe})
        assert response["Location"] == reverse("rcp:registration_detail", args=[registration.pk])
    assert client.get(url).status_code == 405


def test_reregister_refused_to_outsider(client, outsider, registration):
    client.force_login(outsider)
    assert client.post(reverse("rcp:registration_reregister", args=[registration.pk])).status_code == 403
    assert client.post(reverse("rcp:registration_reregister", args=[424242])).status_code == 404
