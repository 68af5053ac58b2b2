"""The fiche lifecycle: draft, save with optimistic locking, validation rules, signature, correction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from oncodcc.audit.models import AuditEvent
from oncodcc.core.locking import ConcurrentEditError
from oncodcc.rcp.models import Fiche, Meeting, Registration
from oncodcc.rcp.services import fiches, meetings, registrations
from oncodcc.rcp.services.fiches import FicheInput, FicheValidationError
from oncodcc.terminology import valuesets as vs
from tests import factories as f


@pytest.fixture
def held_meeting(meeting):
    meeting.starts_at = f.past(0, hour=0)
    meeting.status = Meeting.Status.OPEN
    meeting.save()
    return meeting


def test_start_prefills_from_board_and_registration(registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    assert fiche.status == Fiche.Status.DRAFT
    assert fiche.organs == registration.meeting.board.organs
    assert fiche.question == registration.question
    assert fiches.start(actor=member_doctor, registration=registration) == fiche  # one draft per registration
    assert AuditEvent.objects.filter(action="fiche.create", patient_id=registration.patient_id).count() == 1


def test_start_refused_to_outsider(registration, outsider):
    with pytest.raises(PermissionDenied):
        fiches.start(actor=outsider, registration=registration)


def test_concurrent_save_reports_changes_instead_of_overwriting(registration, member_doctor, secretary):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    v = fiche.lock_version
    fiches.save(actor=secretary, fiche=fiche, expected_version=v,
                data=FicheInput(fields={"case_summary": "Version de la secrétaire"}))
    with pytest.raises(ConcurrentEditError) as exc:
        fiches.save(actor=member_doctor, fiche=fiche, expected_version=v,
                    data=FicheInput(fields={"case_summary": "Version du médecin"}))
    assert exc.value.changes["case_summary"] == ("Version du médecin", "Version de la secrétaire")
    fiche.refresh_from_db()
    assert fiche.case_summary == "Version de la secrétaire"


def test_bad_codes_are_rejected_and_nothing_written(registration, member_doctor):
    fiche = fiches.start(actor=member_doctor, registration=registration)
    with pytest.raises(FicheValidationError) as exc:
        fiches.save(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version,
                    data=FicheInput(fields={"phase": "XXX", "case_summary": "modifié"},
                                    tumours=[{"topography": "Z99", "morphology": "8500/3"}]))
    assert "phase" in exc.value.message_dict and "tumours" in exc.value.message_dict
    fiche.refresh_from_db()
    assert fiche.case_summary != "modifié"


def test_validation_lists_missing_items(held_meeting, registration, coordinator):
    fiche = fiches.start(actor=coordinator, registration=registration)
    with pytest.raises(FicheValidationError) as exc:
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    errors = exc.value.message_dict
    for name in ("screening", "tumours", "phase", "trial_proposed", "treatments"):
        assert name in errors, name


def test_discussed_case_without_quorum_is_refused_with_reregistration(held_meeting, registration, coordinator):
    next_meeting = f.MeetingFactory(board=held_meeting.board)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    with pytest.raises(FicheValidationError) as exc:
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    assert "case_status" in exc.value.message_dict
    assert exc.value.can_reregister
    new = registrations.reregister_to_next_meeting(actor=coordinator, registration=registration)
    assert new.meeting == next_meeting
    registration.refresh_from_db()
    assert registration.status == Registration.Status.MOVED
    assert Fiche.objects.get(pk=fiche.pk).registration == new


def test_registered_case_requires_guideline(held_meeting, registration, coordinator):
    fiche = f.complete_fiche(registration, created_by=coordinator, case_status=vs.CASE_REGISTERED)
    with pytest.raises(FicheValidationError) as exc:
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    assert list(exc.value.message_dict) == ["guideline_name"]
    fiche.guideline_name = "Référentiel régional sein 2026"
    fiche.save()
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)


def test_validation_freezes_quorum_and_signer_then_correction_versions(held_meeting, registration, coordinator):
    f.give_quorum(held_meeting)
    fiche = f.complete_fiche(registration, created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.VALIDATED
    assert fiche.quorum_status == vs.QUORUM_REACHED
    assert fiche.validated_by == coordinator and fiche.validated_at
    assert len(fiche.participants) == 3
    # The attendance changes afterwards: the frozen quorum does not.
    held_meeting.attendances.all().delete()
    fiche.refresh_from_db()
    assert fiche.quorum_status == vs.QUORUM_REACHED

    with pytest.raises(ValidationError):
        fiches.save(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version,
                    data=FicheInput(fields={"comments": "x"}))
    v2 = fiches.correct(actor=coordinator, fiche=fiche, reason="Erreur de latéralité")
    assert (v2.set_id, v2.version_number, v2.status) == (fiche.set_id, 2, Fiche.Status.DRAFT)
    assert v2.tumours.count() == 1 and v2.treatments.count() == 2
    f.give_quorum(held_meeting)
    fiches.validate(actor=coordinator, fiche=v2, expected_version=v2.lock_version)
    fiche.refresh_from_db()
    assert fiche.status == Fiche.Status.SUPERSEDED  # still readable, replaced
    assert Fiche.objects.filter(set_id=fiche.set_id).count() == 2


def test_only_coordinator_or_present_doctor_signs(held_meeting, registration, member_doctor, secretary):
    f.give_quorum(held_meeting)
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    for user in (member_doctor, secretary):  # member but absent; secretary
        with pytest.raises(PermissionDenied):
            fiches.validate(actor=user, fiche=fiche, expected_version=fiche.lock_version)
    meetings.set_present(actor=secretary, meeting=held_meeting, practitioner=member_doctor.practitioner, present=True)
    fiches.validate(actor=member_doctor, fiche=fiche, expected_version=fiche.lock_version)
