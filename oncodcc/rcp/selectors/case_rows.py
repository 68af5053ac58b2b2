"""The meeting mode's case list: every case of the meeting in the order of passage with its state, always shown
beside the fiche. The active cases are numbered (their position in meeting mode); the postponed ones follow,
unnumbered. Listing them is audited for each patient shown."""

from dataclasses import dataclass

from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action

from ..models import Meeting, Registration

STATE_LABELS = {
    Registration.Status.REGISTERED: ("à discuter", "todo"),
    Registration.Status.IN_PROGRESS: ("brouillon", "draft"),
    Registration.Status.DISCUSSED: ("validé", "validated"),
    Registration.Status.MOVED: ("reporté", "postponed"),
}


@dataclass(frozen=True)
class CaseRow:
    position: int | None  # None: postponed, not navigable
    registration_id: int
    patient_name: str
    question: str
    state: str  # French label
    state_key: str  # css modifier: todo / draft / validated / postponed


def case_rows(*, user, meeting: Meeting, active_ids: list[int]) -> list[CaseRow]:
    """One query; one audit event per patient listed (in one insert)."""
    registrations = {
        r.pk: r for r in meeting.registrations.filter(status__in=[*Registration.ACTIVE_STATUSES,
                                                                 Registration.Status.MOVED])
        .select_related("patient").order_by("position", "id")
    }
    ordered = [registrations[pk] for pk in active_ids if pk in registrations]
    ordered += [r for r in registrations.values() if r.status == Registration.Status.MOVED]
    rows = []
    for registration in ordered:
        label, key = STATE_LABELS[registration.status]
        position = active_ids.index(registration.pk) + 1 if registration.pk in active_ids else None
        rows.append(CaseRow(position, registration.pk, registration.patient.display_name,
                            registration.question, label, key))
    record_shown(actor=user, action=Action.PATIENT_LIST, obj=meeting, details={"page": "meeting_mode"},
                 patient_ids=[r.patient_id for r in ordered])
    return rows
