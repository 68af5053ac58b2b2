"""Each role's worklists on the home page: the secretary's meetings to prepare and incomplete files, the doctor's
drafts, the meetings to close, the secretary's fiches to send, the 3C administrator's meetings without quorum and documents in error."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.diffusion.models import Delivery
from oncodcc.documents.models import Document
from oncodcc.front import worklists
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Board, Fiche, Meeting, Registration
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_secretary_sees_the_coming_meetings_with_their_incomplete_files(client):
    board = f.BoardFactory()
    secretary = f.UserFactory(role=Role.SECRETARY)
    board.secretaries.add(secretary)
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(days=3))
    incomplete = f.RegistrationFactory(meeting=meeting, complete_file=False)
    f.RegistrationFactory(meeting=meeting, complete_file=True)
    f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(days=20))  # beyond the week
    client.force_login(secretary)
    html = client.get("/").content.decode()
    assert "Séances à préparer" in html and "2 cas inscrits" in html and "1 dossier incomplet" in html
    assert incomplete.patient.display_name in html
    assert AuditEvent.objects.filter(action="patient.list", patient_id=incomplete.patient_id).exists()


def test_doctor_sees_their_drafts_and_the_meetings_they_coordinate_to_close(client):
    coordinator = f.DoctorFactory()
    board = f.BoardFactory()
    f.add_member(board, coordinator.practitioner, coordinator=True)
    past = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=2), status=Meeting.Status.OPEN)
    registration = f.RegistrationFactory(meeting=past)
    draft = f.complete_fiche(registration, created_by=coordinator)
    client.force_login(coordinator)
    html = client.get("/").content.decode()
    assert "Mes fiches en brouillon" in html and f"/rcp/fiches/{draft.pk}/" in html
    assert "Séances à clôturer" in html and f"/rcp/seances/{past.pk}/" in html
    assert draft.status == Fiche.Status.DRAFT


def test_3c_administrator_sees_meetings_without_quorum_and_documents_in_error_but_no_patient(client):
    board = f.BoardFactory()
    admin = f.UserFactory(role=Role.ADMIN_3C, organisation=board.managing_3c)
    held = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=5), status=Meeting.Status.CLOSED)
    registration = f.RegistrationFactory(meeting=held)
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert "Suivi des RCP du 3C" in html and 'id="documents-in-error">0<' in html
    assert f"/rcp/seances/{held.pk}/" in html  # nobody present: no quorum
    assert registration.patient.display_name not in html and "Mes fiches en brouillon" not in html


def test_dpo_sees_the_week_s_accesses_outside_relations(client):
    dpo = f.UserFactory(role=Role.DPO)
    client.force_login(dpo)
    html = client.get("/").content.decode()
    assert 'id="recent-break-glass"' in html and "Séances à préparer" not in html


def _validated_with_document(board, secretary_board_doctor, *, days_ago: int = 1):
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=days_ago + 1))
    fiche = f.mark_validated(f.complete_fiche(f.RegistrationFactory(meeting=meeting),
                                              created_by=secretary_board_doctor), by=secretary_board_doctor)
    Fiche.objects.filter(pk=fiche.pk).update(validated_at=timezone.now() - timedelta(days=days_ago))
    document = Document.objects.create(kind="frcp", type_code="11488-4", title="Fiche RCP", patient=fiche.patient,
                                       fiche=fiche, set_id=uuid.uuid4(), version_number=1)
    return fiche, document


def _deliver(document, state, key):
    Delivery.objects.create(document=document, set_id=document.set_id, channel="mssante", recipient_key=key,
                            recipient_label="Dr Exemple", action="new", sequence=1, state=state)


def test_secretary_sees_the_fiches_whose_document_has_not_reached_every_recipient(client):
    board = f.BoardFactory()
    secretary = f.UserFactory(role=Role.SECRETARY)
    board.secretaries.add(secretary)
    doctor = f.DoctorFactory()
    failed, document = _validated_with_document(board, doctor)
    _deliver(document, "delivered", "mssante:a")
    _deliver(document, "dead", "mssante:b")
    waiting, document = _validated_with_document(board, doctor)
    _deliver(document, "pending", "mssante:a")
    unsent, _ = _validated_with_document(board, doctor)
    delivered, document = _validated_with_document(board, doctor)
    _deliver(document, "delivered", "mssante:a")
    old, _ = _validated_with_document(board, doctor, days_ago=40)
    other_board, _ = _validated_with_document(f.BoardFactory(), doctor)

    rows = worklists.fiches_to_send(worklists.to_send_query(board_qs(board), timezone.now()))
    assert [(row.fiche.pk, row.reason) for row in rows] == [
        (failed.pk, "failed"), (waiting.pk, "sending"), (unsent.pk, "not_sent")]

    client.force_login(secretary)
    html = client.get("/").content.decode()
    listed = html.split('id="fiches-to-send"')[1].split("</ul>")[0]
    assert "Envoi en erreur ou abandonné" in listed and "Envoi en attente" in listed and "Aucun envoi" in listed
    for fiche in (failed, waiting, unsent):
        assert f"/rcp/fiches/{fiche.pk}/" in listed
        assert AuditEvent.objects.filter(action="patient.list", patient_id=fiche.patient_id).exists()
    for fiche in (delivered, old, other_board):
        assert f"/rcp/fiches/{fiche.pk}/" not in listed
        assert not AuditEvent.objects.filter(action="patient.list", patient_id=fiche.patient_id).exists()


def test_fiches_to_send_are_the_secretary_s_list_only(client):
    board = f.BoardFactory()
    coordinator = f.DoctorFactory()
    f.add_member(board, coordinator.practitioner, coordinator=True)
    _validated_with_document(board, coordinator)
    secretary = f.UserFactory(role=Role.SECRETARY)
    board.secretaries.add(secretary)
    client.force_login(secretary)
    assert "Fiches à envoyer" in client.get("/").content.decode()
    client.force_login(coordinator)
    assert "Fiches à envoyer" not in client.get("/").content.decode()


def board_qs(board):
    return Board.objects.filter(pk=board.pk)


def test_home_lists_skip_whole_chunks_of_patients_outside_the_user_s_relations(client):
    """The home page reads each list's candidates by chunks, then checks the access rules of their patients
    (worklists.first_visible): cases the doctor registered for patients no longer in their relations fill more
    than a chunk before the one they may still see; it is shown, the others neither shown nor audited."""
    doctor = f.DoctorFactory()
    soon = f.MeetingFactory(starts_at=timezone.now() + timedelta(days=2))
    hidden = [f.RegistrationFactory(meeting=soon, created_by=doctor) for _ in range(worklists.LIMIT * 4 + 3)]
    later = f.MeetingFactory(starts_at=timezone.now() + timedelta(days=9))
    seen = f.RegistrationFactory(meeting=later, created_by=doctor)
    CareTeamMember.objects.create(patient=seen.patient, practitioner=doctor.practitioner)

    mine = Registration.objects.filter(created_by=doctor).order_by("meeting__starts_at", "position", "pk")
    assert worklists.first_visible(doctor, {"mine": mine}) == {"mine": [seen]}
    client.force_login(doctor)
    html = client.get("/").content.decode()
    assert seen.patient.display_name in html
    assert not any(r.patient.display_name in html for r in hidden[:5])
    listed = set(AuditEvent.objects.filter(action="patient.list").values_list("patient_id", flat=True))
    assert seen.patient_id in listed and not listed & {r.patient_id for r in hidden}
