"""Each role's worklists on the home page: the secretary's meetings to prepare and incomplete files, the doctor's
drafts, the meetings to close, the 3C administrator's meetings without quorum and documents in error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.front import worklists
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Fiche, Meeting, Registration
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
