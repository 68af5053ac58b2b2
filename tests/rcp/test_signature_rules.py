"""Signature rules per board (who signs, double signature, not before the meeting starts) and the registration's
state following its fiche (inscrit → en cours → discuté)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.core.policy import has_permission
from oncodcc.rcp.models import Board, Fiche, Meeting, Registration
from oncodcc.rcp.policy import SIGN_FICHE
from oncodcc.rcp.services import fiches, meetings, registrations
from oncodcc.rcp.services.fiches import FicheInput, FicheValidationError
from tests import factories as f


def _present(meeting, user, secretary):
    meetings.set_present(actor=secretary, meeting=meeting, practitioner=user.practitioner, present=True)


# --- who signs ---


def test_coordinator_only_board_refuses_a_present_member(held_meeting, registration, coordinator, member_doctor,
                                                         secretary):
    board = held_meeting.board
    board.signers = Board.Signers.COORDINATORS
    board.save()
    _present(held_meeting, member_doctor, secretary)
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    assert not has_permission(member_doctor, SIGN_FICHE, fiche)
    with pytest.raises(PermissionDenied, match="seul le coordonnateur"):
        fiches.validate(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.DRAFT and fiche.validated_by is None
    assert not AuditEvent.objects.filter(action="fiche.validate").exists()
    # The coordinator signs (present or not).
    assert has_permission(coordinator, SIGN_FICHE, fiche)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.VALIDATED and fiche.validated_by == coordinator


def test_default_rule_lets_a_present_doctor_sign(held_meeting, registration, member_doctor, secretary):
    assert held_meeting.board.signers == Board.Signers.PRESENT_DOCTORS
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    assert not has_permission(member_doctor, SIGN_FICHE, fiche)  # absent
    _present(held_meeting, member_doctor, secretary)
    assert has_permission(member_doctor, SIGN_FICHE, fiche)
    fiches.validate(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version)
    assert Fiche.objects.get(pk=fiche.pk).status == Fiche.Status.VALIDATED


# --- not before the meeting ---


def test_validation_before_the_meeting_starts_is_refused_even_when_opened_early(meeting, registration,
                                                                                coordinator):
    meeting.starts_at = timezone.now() + timedelta(hours=14)  # 03:14 for a 17:00 meeting
    meeting.status = Meeting.Status.OPEN
    meeting.save()
    f.give_quorum(meeting)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    with pytest.raises(FicheValidationError) as exc:
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    message = exc.value.message_dict["status"][0]
    assert "ne peut pas être validée avant le début de la séance" in message
    assert meeting.local_start.strftime("%d/%m/%Y à %H:%M") in message
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.DRAFT
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REGISTERED


def test_early_validation_through_the_page_shows_the_french_refusal(client, meeting, registration, coordinator):
    meeting.starts_at = timezone.now() + timedelta(hours=3)
    meeting.status = Meeting.Status.OPEN
    meeting.save()
    fiche = f.complete_fiche(registration, created_by=coordinator)
    client.force_login(coordinator)
    response = client.post(reverse("rcp:fiche_validate", args=[fiche.pk]), {"lock_version": fiche.lock_version})
    assert response.status_code == 400
    assert "avant le début de la séance" in response.content.decode()
    assert Fiche.objects.get(pk=fiche.pk).status == Fiche.Status.DRAFT


# --- double signature ---


@pytest.fixture
def double_board(held_meeting):
    board = held_meeting.board
    board.double_signature = True
    board.save()
    return board


def test_double_signature_needs_two_different_signers(double_board, held_meeting, registration, coordinator,
                                                      member_doctor, secretary):
    _present(held_meeting, member_doctor, secretary)
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    first = fiches.validate(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version)
    assert first.status == Fiche.Status.DRAFT
    assert first.first_signed_by == member_doctor and first.first_signed_at is not None
    assert AuditEvent.objects.filter(action="fiche.first_sign", patient_id=registration.patient_id).count() == 1
    assert not AuditEvent.objects.filter(action="fiche.validate").exists()
    # The same doctor cannot give the second signature.
    with pytest.raises(FicheValidationError, match="second médecin"):
        fiches.validate(actor=member_doctor, fiche=first, expected_version=first.lock_version)
    final = fiches.validate(actor=coordinator, fiche=first, expected_version=first.lock_version)
    final.refresh_from_db()
    assert final.status == Fiche.Status.VALIDATED
    assert (final.first_signed_by, final.validated_by) == (member_doctor, coordinator)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.DISCUSSED


def test_a_save_after_the_first_signature_withdraws_it(double_board, held_meeting, registration, coordinator,
                                                       member_doctor, secretary):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    fiche = fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    assert fiche.first_signed_by == coordinator
    content = fiches.snapshot(fiche)
    fiches.save(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version,
                data=FicheInput(fields={"proposal_comment": "Ajout après la première signature"},
                                tumours=content["tumours"], treatments=content["treatments"]))
    fiche.refresh_from_db()
    assert fiche.first_signed_by is None and fiche.first_signer_name == ""
    event = AuditEvent.objects.filter(action="fiche.update").latest("id")
    assert event.details.get("first_signature_withdrawn") is True
    # The coordinator's signature now counts as the first one again, not as a second.
    fiche = fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    assert fiche.status == Fiche.Status.DRAFT and fiche.first_signed_by == coordinator


def test_the_fiche_page_shows_the_first_signature(client, double_board, held_meeting, registration, coordinator):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    client.force_login(coordinator)
    page = client.get(reverse("rcp:fiche_detail", args=[fiche.pk])).content.decode()
    assert "Première signature" in page and "contresign" in page


# --- the registration follows its fiche ---


def test_registration_state_follows_its_fiche(held_meeting, registration, coordinator):
    assert registration.status == Registration.Status.REGISTERED
    fiches.start(actor=coordinator, registration=registration)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.IN_PROGRESS
    assert registration.get_status_display() == "en cours"
    other = f.RegistrationFactory(meeting=held_meeting, requesting_doctor=registration.requesting_doctor)
    fiche = f.complete_fiche(other, created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    other.refresh_from_db()
    assert other.status == Registration.Status.DISCUSSED
    assert other.is_active  # a discussed case keeps its place on the list (and the relations it opens)
    # A correction is a new version of the document: the case stays discussed.
    fiches.correct(actor=coordinator, fiche=Fiche.objects.get(pk=fiche.pk), reason="Erreur de latéralité")
    other.refresh_from_db()
    assert other.status == Registration.Status.DISCUSSED
    # A discussed case is no longer withdrawn.
    with pytest.raises(ValidationError, match="validée"):
        registrations.withdraw(actor=coordinator, registration=other, reason="erreur")


def test_a_postponed_draft_makes_the_new_registration_in_progress(meeting, registration, member_doctor):
    later = f.MeetingFactory(board=meeting.board, starts_at=meeting.starts_at + timedelta(days=14))
    registration.form_url = ""
    fiches.start(actor=member_doctor, registration=registration)
    new = registrations.move(actor=member_doctor, registration=registration, target=later)
    assert new.status == Registration.Status.IN_PROGRESS
    assert new.fiches.filter(status=Fiche.Status.DRAFT).count() == 1
    registration.refresh_from_db()
    assert registration.status == Registration.Status.MOVED and registration.moved_to == new


def test_migration_puts_existing_registrations_in_the_state_of_their_fiche(meeting, member_doctor):
    from importlib import import_module

    from django.apps import apps

    step = import_module("oncodcc.rcp.migrations.0005_postponement_signature")
    validated, drafted, bare = (f.RegistrationFactory(meeting=meeting) for _ in range(3))
    f.mark_validated(f.complete_fiche(validated, created_by=member_doctor), by=member_doctor)
    f.complete_fiche(drafted, created_by=member_doctor)
    withdrawn = f.RegistrationFactory(meeting=meeting, status=Registration.Status.WITHDRAWN)
    step.follow_fiches(apps, None)
    states = {r.pk: r.status for r in Registration.objects.all()}
    assert states == {validated.pk: "discussed", drafted.pk: "in_progress", bare.pk: "registered",
                      withdrawn.pk: "withdrawn"}
    step.back_to_registered(apps, None)
    assert set(Registration.objects.exclude(pk=withdrawn.pk).values_list("status", flat=True)) == {"registered"}
