"""The room's screen during a meeting (projection): the case the chair has open in meeting mode, in large type,
without controls. The screen polls; a case is rendered — and audited — only when it changes."""

from dataclasses import dataclass

from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.patients.policy import AccessDenied, has_permission

from ..models import Fiche, Meeting, Registration
from ..policy import VIEW_CASES, is_board_staff
from .fiches import proposal_summary


@dataclass
class ProjectedCase:
    meeting: Meeting
    registration: Registration | None
    position: int
    total: int
    age: int | None = None
    draft_proposal: str = ""
    previous_proposal: str = ""


def load_meeting(*, user, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_related("board").get(pk=meeting_id)
    if not has_permission(user, VIEW_CASES, meeting.board_id):
        audit.record(actor=user, action=Action.ACCESS_DENIED, obj=meeting, details={"purpose": "projection"})
        raise AccessDenied("La projection de la séance est réservée aux membres et au secrétariat de la RCP.")
    return meeting


def follow(*, user, meeting: Meeting, registration: Registration) -> None:
    """Meeting mode: the board's coordinator or secretary opening a case puts it on the room's screen; a member
    reading ahead on their own screen does not move the room's."""
    if meeting.status == Meeting.Status.OPEN and meeting.projected_registration_id != registration.pk \
            and is_board_staff(user, meeting.board):
        Meeting.objects.filter(pk=meeting.pk).update(projected_registration=registration)
        meeting.projected_registration_id = registration.pk


def projected_case(*, user, meeting: Meeting) -> ProjectedCase:
    ids = list(meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES)
               .order_by("position", "id").values_list("pk", flat=True))
    current = meeting.projected_registration_id if meeting.projected_registration_id in ids else None
    if current is None:
        return ProjectedCase(meeting=meeting, registration=None, position=0, total=len(ids))
    registration = Registration.objects.select_related("patient", "presenting_doctor").get(pk=current)
    patient = registration.patient
    today = timezone.localdate()
    age = today.year - patient.birth_date.year - ((today.month, today.day) < (patient.birth_date.month,
                                                                             patient.birth_date.day))
    draft = (Fiche.objects.filter(registration=registration, status=Fiche.Status.DRAFT)
             .prefetch_related("treatments").first())
    previous = (Fiche.objects.filter(patient=patient, status=Fiche.Status.VALIDATED).exclude(registration=registration)
                .prefetch_related("treatments").order_by("-validated_at").first())
    audit.record(actor=user, action=Action.REGISTRATION_VIEW, patient=patient, obj=registration,
                 details={"projection": True, "meeting": meeting.pk})
    return ProjectedCase(meeting=meeting, registration=registration, position=ids.index(current) + 1,
                         total=len(ids), age=age, draft_proposal=proposal_summary(draft) if draft else "",
                         previous_proposal=proposal_summary(previous) if previous else "")
