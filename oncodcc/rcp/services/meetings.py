"""Meetings: generation from the recurrence, ad hoc meetings, status, attendance."""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission
from oncodcc.core.text import has_control_chars
from oncodcc.terminology import valuesets

from .. import recurrence
from ..models import Attendance, Board, Meeting, Registration
from ..policy import ORGANISE_BOARD, RUN_MEETING


def generate_meetings(*, board: Board, until: date, start: date | None = None) -> list[Meeting]:
    """Create the board's meetings from its recurrence up to `until` (idempotent)."""
    start = start or timezone.localdate()
    created = []
    existing = set(board.meetings.filter(starts_at__date__gte=start - timedelta(days=1)).values_list("starts_at", flat=True))
    for when in recurrence.occurrences(board, start=start, end=until):
        if when in existing:
            continue
        with transaction.atomic():
            meeting, was_created = Meeting.objects.get_or_create(
                board=board, starts_at=when,
                defaults={"duration_minutes": board.duration_minutes, "place": board.place,
                          "from_recurrence": True,
                          "location": board.hospitals.first()},
            )
        if was_created:
            created.append(meeting)
    return created


@transaction.atomic
def create_meeting(*, actor, board: Board, starts_at: datetime, place: str = "", video_url: str = "",
                   duration_minutes: int | None = None) -> Meeting:
    """An ad hoc meeting (e.g. an extra session before the holidays)."""
    if not has_permission(actor, ORGANISE_BOARD, board):
        raise PermissionDenied("Seuls le coordonnateur, le secrétariat et le 3C organisent les séances.")
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": "Date et heure sans fuseau horaire."})
    if Meeting.objects.filter(board=board, starts_at=starts_at).exists():
        raise ValidationError({"starts_at": "Une séance de cette RCP existe déjà à cette date et heure."})
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                board=board, starts_at=starts_at, place=place or board.place, video_url=video_url,
                duration_minutes=duration_minutes or board.duration_minutes, location=board.hospitals.first(),
            )
    except IntegrityError as exc:
        raise ValidationError({"starts_at": "Une séance de cette RCP existe déjà à cette date et heure."}) from exc
    audit.record(actor=actor, action=Action.MEETING_UPDATE, obj=meeting, details={"created": True})
    return meeting


_TRANSITIONS = {
    Meeting.Status.PLANNED: {Meeting.Status.OPEN, Meeting.Status.CANCELLED},
    Meeting.Status.OPEN: {Meeting.Status.CLOSED},
    Meeting.Status.CLOSED: {Meeting.Status.OPEN},  # re-open to finish a fiche, by the staff
    Meeting.Status.CANCELLED: {Meeting.Status.PLANNED},
}


@transaction.atomic
def set_status(*, actor, meeting: Meeting, status: str) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    if not has_permission(actor, RUN_MEETING, meeting.board):
        raise PermissionDenied
    if status not in _TRANSITIONS.get(meeting.status, set()):
        raise ValidationError(
            {"status": f"Passage impossible de « {meeting.get_status_display()} » à « {Meeting.Status(status).label} »."}
        )
    if status == Meeting.Status.CANCELLED and meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES).exists():
        raise ValidationError({"status": "Reportez d'abord les dossiers inscrits avant d'annuler la séance."})
    meeting.status = status
    now = timezone.now()
    if status == Meeting.Status.OPEN:
        meeting.opened_at = meeting.opened_at or now
    if status == Meeting.Status.CLOSED:
        meeting.closed_at = now
    meeting.save(update_fields=["status", "opened_at", "closed_at"])
    audit.record(actor=actor, action=Action.MEETING_UPDATE, obj=meeting, details={"status": status})
    return meeting


def _check_attendance_rights(actor, meeting: Meeting) -> None:
    if not has_permission(actor, RUN_MEETING, meeting.board):
        raise PermissionDenied("Seuls les membres et le secrétariat de la RCP tiennent la feuille de présence.")
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"attendance": "Séance annulée."})


@transaction.atomic
def set_present(*, actor, meeting: Meeting, practitioner, present: bool) -> None:
    _check_attendance_rights(actor, meeting)
    if present:
        Attendance.objects.get_or_create(
            meeting=meeting, practitioner=practitioner, defaults={"specialty": practitioner.specialty}
        )
    else:
        Attendance.objects.filter(meeting=meeting, practitioner=practitioner).delete()
    audit.record(actor=actor, action=Action.ATTENDANCE_UPDATE, obj=meeting,
                 details={"practitioner": practitioner.pk, "present": present})


@transaction.atomic
def add_guest(*, actor, meeting: Meeting, name: str, specialty: str = "", is_doctor: bool = True,
              practitioner=None) -> Attendance:
    """A guest: a practitioner of the directory who is not a permanent member, or a person typed by name."""
    _check_attendance_rights(actor, meeting)
    if practitioner is not None:
        attendance, _ = Attendance.objects.get_or_create(
            meeting=meeting, practitioner=practitioner, defaults={"specialty": practitioner.specialty}
        )
    else:
        name = " ".join((name or "").split())
        errors = {}
        if not name or has_control_chars(name) or len(name) > 200:
            errors["guest_name"] = "Indiquez le nom de l'invité."
        if specialty and specialty not in valuesets.get(valuesets.SPECIALTY):
            errors["specialty"] = "Spécialité inconnue de la nomenclature nationale."
        if is_doctor and not specialty:
            errors["specialty"] = "Indiquez la spécialité du médecin invité (elle compte pour le quorum)."
        if errors:
            raise ValidationError(errors)
        attendance = Attendance.objects.create(meeting=meeting, guest_name=name, specialty=specialty, is_doctor=is_doctor)
    audit.record(actor=actor, action=Action.ATTENDANCE_UPDATE, obj=meeting, details={"guest_added": attendance.pk})
    return attendance


@transaction.atomic
def remove_attendance(*, actor, attendance: Attendance) -> None:
    _check_attendance_rights(actor, attendance.meeting)
    meeting = attendance.meeting
    attendance.delete()
    audit.record(actor=actor, action=Action.ATTENDANCE_UPDATE, obj=meeting, details={"removed": True})
