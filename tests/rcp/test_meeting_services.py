"""Meeting services: recurrence (DST-safe, Europe/Paris), status transitions, quorum, registration deadline,
move, withdraw and the order of the list."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp import quorum
from oncodcc.rcp.models import PARIS, Board, Fiche, Meeting, Registration
from oncodcc.rcp.services import meetings, registrations
from tests import factories as f

# --- recurrence ---


@pytest.fixture
def fortnightly(db):
    """Every other Tuesday at 17:00, Paris time, from Tuesday 2 March 2027."""
    return f.BoardFactory(frequency=Board.Frequency.WEEKLY, interval=2, weekday=Board.Weekday.TUESDAY,
                          start_time=time(17, 0), recurrence_start=date(2027, 3, 2))


def test_every_other_tuesday_keeps_17h_local_across_spring_dst(fortnightly):
    created = meetings.generate_meetings(board=fortnightly, start=date(2027, 3, 1), until=date(2027, 4, 30))
    local = [m.local_start for m in sorted(created, key=lambda m: m.starts_at)]
    assert [d.date() for d in local] == [date(2027, 3, 2), date(2027, 3, 16), date(2027, 3, 30),
                                         date(2027, 4, 13), date(2027, 4, 27)]
    assert all(d.time() == time(17, 0) and d.weekday() == 1 for d in local)
    # Summer time starts on Sunday 28 March 2027: 16:00 UTC before, 15:00 UTC after.
    stored = list(Meeting.objects.filter(board=fortnightly).order_by("starts_at").values_list("starts_at", flat=True))
    assert [s.astimezone(UTC).hour for s in stored] == [16, 16, 15, 15, 15]
    assert stored[2] - stored[1] == timedelta(days=14, hours=-1)
    assert all(m.from_recurrence and m.place == fortnightly.place for m in created)


def test_every_other_tuesday_keeps_17h_local_across_autumn_dst(fortnightly):
    meetings.generate_meetings(board=fortnightly, start=date(2027, 10, 1), until=date(2027, 11, 30))
    stored = list(Meeting.objects.filter(board=fortnightly).order_by("starts_at"))
    # Same fortnightly rhythm as from the anchor of 2 March (32 weeks later is 12 October).
    assert [m.local_start.date() for m in stored] == [date(2027, 10, 12), date(2027, 10, 26), date(2027, 11, 9),
                                                      date(2027, 11, 23)]
    assert all(m.local_start.time() == time(17, 0) for m in stored)
    # Winter time from Sunday 31 October 2027: 15:00 UTC before, 16:00 UTC after.
    assert [m.starts_at.astimezone(UTC).hour for m in stored] == [15, 15, 16, 16]


def test_monthly_third_thursday(db):
    board = f.BoardFactory(frequency=Board.Frequency.MONTHLY, weekday=Board.Weekday.THURSDAY, week_of_month=3,
                           start_time=time(8, 30), recurrence_start=None)
    meetings.generate_meetings(board=board, start=date(2027, 1, 1), until=date(2027, 5, 31))
    local = [m.local_start for m in Meeting.objects.filter(board=board).order_by("starts_at")]
    assert [d.date() for d in local] == [date(2027, 1, 21), date(2027, 2, 18), date(2027, 3, 18),
                                         date(2027, 4, 15), date(2027, 5, 20)]
    assert all(d.time() == time(8, 30) for d in local)


def test_monthly_last_weekday(db):
    board = f.BoardFactory(frequency=Board.Frequency.MONTHLY, weekday=Board.Weekday.FRIDAY, week_of_month=5)
    meetings.generate_meetings(board=board, start=date(2027, 1, 1), until=date(2027, 3, 31))
    assert [m.local_start.date() for m in Meeting.objects.filter(board=board)] == [
        date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]


def test_generate_meetings_is_idempotent(fortnightly):
    first = meetings.generate_meetings(board=fortnightly, start=date(2027, 3, 1), until=date(2027, 6, 30))
    assert len(first) == 9
    assert meetings.generate_meetings(board=fortnightly, start=date(2027, 3, 1), until=date(2027, 6, 30)) == []
    # Extending the horizon only adds the new ones.
    more = meetings.generate_meetings(board=fortnightly, start=date(2027, 3, 1), until=date(2027, 7, 31))
    assert len(more) == 2
    assert Meeting.objects.filter(board=fortnightly).count() == 11


def test_recurrence_end_and_no_recurrence(db):
    board = f.BoardFactory(interval=1, recurrence_start=date(2027, 3, 2), recurrence_end=date(2027, 3, 20))
    assert len(meetings.generate_meetings(board=board, start=date(2027, 3, 1), until=date(2027, 6, 30))) == 3
    adhoc = f.BoardFactory(frequency=Board.Frequency.NONE)
    assert meetings.generate_meetings(board=adhoc, start=date(2027, 3, 1), until=date(2027, 6, 30)) == []


# --- ad hoc meetings ---

def test_create_meeting_rules(board, secretary, member_doctor):
    when = datetime(2027, 7, 1, 17, 0, tzinfo=PARIS)
    meeting = meetings.create_meeting(actor=secretary, board=board, starts_at=when)
    assert meeting.place == board.place and not meeting.from_recurrence
    with pytest.raises(ValidationError) as exc:
        meetings.create_meeting(actor=secretary, board=board, starts_at=when)
    assert "existe déjà" in exc.value.message_dict["starts_at"][0]
    with pytest.raises(ValidationError):
        meetings.create_meeting(actor=secretary, board=board, starts_at=datetime(2027, 7, 2, 17, 0))
    with pytest.raises(PermissionDenied):
        meetings.create_meeting(actor=member_doctor, board=board, starts_at=when + timedelta(days=1))


# --- status ---

def test_status_transitions(meeting, secretary):
    with pytest.raises(ValidationError) as exc:
        meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.CLOSED)
    assert "Passage impossible" in exc.value.message_dict["status"][0]
    meeting = meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.OPEN)
    assert meeting.status == Meeting.Status.OPEN and meeting.opened_at is not None
    with pytest.raises(ValidationError):
        meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.CANCELLED)
    meeting = meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.CLOSED)
    assert meeting.closed_at is not None
    meeting = meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.OPEN)  # re-open
    assert meeting.status == Meeting.Status.OPEN
    assert AuditEvent.objects.filter(action="meeting.update", object_id=str(meeting.pk)).count() == 3


def test_cancel_and_restore(meeting, secretary, outsider):
    with pytest.raises(PermissionDenied):
        meetings.set_status(actor=outsider, meeting=meeting, status=Meeting.Status.CANCELLED)
    meeting = meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.CANCELLED)
    assert meeting.status == Meeting.Status.CANCELLED
    with pytest.raises(ValidationError):
        meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.OPEN)
    meeting = meetings.set_status(actor=secretary, meeting=meeting, status=Meeting.Status.PLANNED)
    assert meeting.status == Meeting.Status.PLANNED


def test_cancel_refused_with_registered_cases(registration, secretary):
    with pytest.raises(ValidationError) as exc:
        meetings.set_status(actor=secretary, meeting=registration.meeting, status=Meeting.Status.CANCELLED)
    assert "Reportez d'abord" in exc.value.message_dict["status"][0]


# --- quorum ---

def test_three_doctors_of_two_specialties_do_not_make_a_quorum(meeting, secretary):
    for specialty in (f.ONCOLOGY, f.ONCOLOGY, f.RADIOTHERAPY):
        meetings.set_present(actor=secretary, meeting=meeting, practitioner=f.add_member(meeting.board,
                             specialty=specialty), present=True)
    result = quorum.for_meeting(meeting)
    assert not result.reached and result.doctors == 3 and result.missing == 1
    assert result.specialties == tuple(sorted((f.ONCOLOGY, f.RADIOTHERAPY)))


def test_guest_doctors_with_specialty_count_non_doctors_do_not(meeting, secretary):
    for specialty in (f.ONCOLOGY, f.RADIOTHERAPY):
        meetings.set_present(actor=secretary, meeting=meeting, practitioner=f.add_member(meeting.board,
                             specialty=specialty), present=True)
    nurse = meetings.add_guest(actor=secretary, meeting=meeting, name="Mme IDE de coordination",
                               specialty=f.PATHOLOGY, is_doctor=False)
    assert not quorum.for_meeting(meeting).reached
    with pytest.raises(ValidationError) as exc:
        meetings.add_guest(actor=secretary, meeting=meeting, name="Dr Sans Spécialité", is_doctor=True)
    assert "specialty" in exc.value.message_dict
    with pytest.raises(ValidationError):
        meetings.add_guest(actor=secretary, meeting=meeting, name="  ", specialty=f.SURGERY)
    meetings.add_guest(actor=secretary, meeting=meeting, name="Dr Chirurgien Invité", specialty=f.SURGERY)
    result = quorum.for_meeting(meeting)
    assert result.reached and result.doctors == 3
    meetings.remove_attendance(actor=secretary, attendance=nurse)
    assert quorum.for_meeting(meeting).reached


def test_directory_guest_uses_practitioner_specialty_and_absent_removes(meeting, secretary):
    members = [f.add_member(meeting.board, specialty=s) for s in (f.ONCOLOGY, f.RADIOTHERAPY)]
    for practitioner in members:
        meetings.set_present(actor=secretary, meeting=meeting, practitioner=practitioner, present=True)
    meetings.add_guest(actor=secretary, meeting=meeting, name="", practitioner=f.PractitionerFactory(
        specialty=f.RADIOLOGY))
    assert quorum.for_meeting(meeting).reached
    meetings.set_present(actor=secretary, meeting=meeting, practitioner=members[0], present=False)
    assert not quorum.for_meeting(meeting).reached


def test_attendance_rights(meeting, outsider, secretary):
    practitioner = f.add_member(meeting.board)
    with pytest.raises(PermissionDenied):
        meetings.set_present(actor=outsider, meeting=meeting, practitioner=practitioner, present=True)
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    with pytest.raises(ValidationError):
        meetings.set_present(actor=secretary, meeting=meeting, practitioner=practitioner, present=True)


# --- registration deadline ---

@pytest.fixture
def tomorrow_meeting(board):
    """Starts in 24 hours: the default 48-hour deadline has passed."""
    return f.MeetingFactory(board=board, starts_at=timezone.now() + timedelta(hours=24))


def _register(actor, meeting, doctor):
    # The record the secretary (or doctor) has just created: a relation, so no break-the-glass reason is asked.
    return registrations.register(actor=actor, meeting=meeting, patient=f.PatientFactory(created_by=actor),
                                  requesting_doctor=doctor, presenting_doctor=doctor, question="Conduite à tenir ?")


def test_registration_closed_for_a_doctor_after_the_deadline(tomorrow_meeting, member_doctor):
    assert not tomorrow_meeting.registrations_open()
    with pytest.raises(ValidationError) as exc:
        _register(member_doctor, tomorrow_meeting, member_doctor.practitioner)
    message = exc.value.message_dict["meeting"][0]
    assert message.startswith("Les inscriptions à cette séance sont closes depuis le ")
    deadline = timezone.localtime(tomorrow_meeting.registration_deadline, PARIS)
    assert f"{deadline:%d/%m/%Y à %H:%M}" in message


def test_registration_after_the_deadline_allowed_for_the_board_staff(tomorrow_meeting, secretary, coordinator,
                                                                     member_doctor):
    assert _register(secretary, tomorrow_meeting, member_doctor.practitioner).position == 1
    assert _register(coordinator, tomorrow_meeting, member_doctor.practitioner).position == 2


def test_registration_open_before_the_deadline_and_refused_on_closed_meetings(meeting, member_doctor, secretary):
    assert meeting.registrations_open()
    assert _register(member_doctor, meeting, member_doctor.practitioner).is_active
    meeting.status = Meeting.Status.CLOSED
    meeting.save()
    with pytest.raises(ValidationError) as exc:
        _register(secretary, meeting, member_doctor.practitioner)
    assert "clôturée ou annulée" in exc.value.message_dict["meeting"][0]


def test_registration_refused_to_non_registering_roles(meeting, member_doctor):
    with pytest.raises(PermissionDenied):
        _register(f.UserFactory(role="dpo"), meeting, member_doctor.practitioner)


# --- move, withdraw, order ---

@pytest.fixture
def next_meeting(meeting):
    return f.MeetingFactory(board=meeting.board, starts_at=meeting.starts_at + timedelta(days=14))


def test_move_creates_a_new_registration_and_the_draft_fiche_follows(registration, next_meeting, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    new = registrations.move(actor=member_doctor, registration=registration, target=next_meeting)
    registration.refresh_from_db()
    fiche.refresh_from_db()
    assert registration.status == Registration.Status.MOVED and registration.moved_to == new
    assert new.meeting == next_meeting and new.is_active and new.question == registration.question
    assert fiche.registration == new
    assert AuditEvent.objects.filter(action="registration.move", patient_id=registration.patient_id).exists()
    with pytest.raises(ValidationError):  # no longer active
        registrations.move(actor=member_doctor, registration=registration, target=next_meeting)


def test_move_refusals(registration, next_meeting, member_doctor, outsider):
    with pytest.raises(ValidationError):
        registrations.move(actor=member_doctor, registration=registration, target=registration.meeting)
    with pytest.raises(PermissionDenied):
        registrations.move(actor=outsider, registration=registration, target=next_meeting)
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    Fiche.objects.filter(pk=fiche.pk).update(status=Fiche.Status.VALIDATED)
    with pytest.raises(ValidationError) as exc:
        registrations.move(actor=member_doctor, registration=registration, target=next_meeting)
    assert "fiche validée" in exc.value.message_dict["meeting"][0]


def test_reregister_to_the_next_planned_meeting(registration, member_doctor, board):
    cancelled = f.MeetingFactory(board=board, starts_at=registration.meeting.starts_at + timedelta(days=7),
                                 status=Meeting.Status.CANCELLED)
    planned = f.MeetingFactory(board=board, starts_at=registration.meeting.starts_at + timedelta(days=14))
    new = registrations.reregister_to_next_meeting(actor=member_doctor, registration=registration)
    assert new.meeting == planned != cancelled
    with pytest.raises(ValidationError) as exc:
        registrations.reregister_to_next_meeting(actor=member_doctor, registration=new)
    assert "Aucune séance suivante" in exc.value.message_dict["meeting"][0]


def test_withdraw(registration, member_doctor):
    f.complete_fiche(registration, created_by=member_doctor)
    registrations.withdraw(actor=member_doctor, registration=registration, reason="  Patient   décédé ")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WITHDRAWN
    assert registration.withdrawal_reason == "Patient décédé"
    assert not registration.fiches.exists()
    event = AuditEvent.objects.get(action="registration.withdraw")
    assert event.patient_id == registration.patient_id and event.reason == "Patient décédé"
    # The registration was the doctor's only relation with the patient: withdrawn, it opens nothing more.
    with pytest.raises(PermissionDenied):
        registrations.withdraw(actor=member_doctor, registration=registration)


def test_move_in_list_and_reorder(meeting, secretary, member_doctor):
    a, b, c = (f.RegistrationFactory(meeting=meeting, position=i) for i in (1, 2, 3))
    registrations.move_in_list(actor=secretary, registration=c, offset=-1)
    assert list(meeting.registrations.order_by("position").values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    registrations.move_in_list(actor=secretary, registration=a, offset=-1)  # already first: nothing
    assert list(meeting.registrations.order_by("position").values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    with pytest.raises(PermissionDenied):
        registrations.move_in_list(actor=member_doctor, registration=a, offset=1)
    with pytest.raises(ValidationError):
        registrations.reorder(actor=secretary, meeting=meeting, ordered_ids=[a.pk, b.pk])


def test_a_merged_record_cannot_be_registered(meeting, secretary, member_doctor):
    absorbed, survivor = f.PatientFactory(), f.PatientFactory()
    absorbed.merged_into = survivor
    absorbed.save()
    with pytest.raises(ValidationError, match="fusionné"):
        registrations.register(actor=secretary, meeting=meeting, patient=absorbed,
                               requesting_doctor=member_doctor.practitioner,
                               presenting_doctor=member_doctor.practitioner, question="Conduite à tenir ?")
