"""The closing page: the cases not discussed, where they can go, and who may decide. Listing them is audited for
each patient shown (like the meeting page)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch

from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission

from ..models import Fiche, Meeting, Registration
from ..policy import RUN_MEETING, VIEW_CASES
from ..services.closing import later_meetings, undiscussed
from .meetings import load_meeting


@dataclass
class ClosingPage:
    meeting: Meeting
    cases: list[Registration]  # each with `draft` (its draft fiche or None)
    later: list[Meeting]
    sees_cases: bool
    hidden_case_count: int


def closing_page(*, user, meeting_id: int) -> ClosingPage:
    meeting = load_meeting(user=user, meeting_id=meeting_id)
    if not has_permission(user, RUN_MEETING, meeting.board):
        raise PermissionDenied("Seuls les membres et le secrétariat de la RCP clôturent ses séances.")
    sees_cases = has_permission(user, VIEW_CASES, meeting.board_id)
    cases: list[Registration] = []
    hidden = 0
    if sees_cases:
        cases = list(undiscussed(meeting).select_related("patient", "requesting_doctor").prefetch_related(
            Prefetch("fiches", queryset=Fiche.objects.filter(status=Fiche.Status.DRAFT).only(
                "pk", "registration_id", "first_signed_by_id"), to_attr="drafts")))
        for registration in cases:
            registration.draft = registration.drafts[0] if registration.drafts else None
        record_shown(actor=user, action=Action.PATIENT_LIST, obj=meeting, details={"page": "meeting_close"},
                     patient_ids=[r.patient_id for r in cases])
    else:  # an administrator organising the board: how many cases remain, never who
        hidden = undiscussed(meeting).count()
    return ClosingPage(meeting=meeting, cases=cases, later=list(later_meetings(meeting)), sees_cases=sees_cases,
                       hidden_case_count=hidden)
