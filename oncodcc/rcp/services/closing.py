"""Closing a meeting: every case not discussed (no validated fiche) is postponed to a later meeting of the board,
withdrawn with a reason, or kept on this meeting (its fiche finished afterwards), then the meeting is closed —
all in one transaction: a refusal on one case leaves every case and the meeting as they were.

Each postponement and withdrawal goes through the registration services (so each is audited for its patient and
a postponement is counted in the statistics); the closing itself is one `meeting.close` event with the counts."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission

from ..models import Meeting, Registration
from ..policy import RUN_MEETING
from . import meetings as meeting_services
from . import registrations as registration_services

POSTPONE, WITHDRAW, KEEP = "postpone", "withdraw", "keep"
UNDISCUSSED_STATUSES = (Registration.Status.REGISTERED, Registration.Status.IN_PROGRESS)
UPCOMING_CHOICES = 6


@dataclass(frozen=True)
class Decision:
    """What becomes of one undiscussed case at closing."""

    choice: str  # POSTPONE, WITHDRAW or KEEP
    reason: str = ""  # required for WITHDRAW


@dataclass(frozen=True)
class Closing:
    meeting: Meeting
    postponed: list[Registration]  # the new registrations, on the target meeting
    withdrawn: list[Registration]
    kept: list[Registration]
    target: Meeting | None


def undiscussed(meeting: Meeting):
    """The cases of the list still without a validated fiche, in the order of passage."""
    return meeting.registrations.filter(status__in=UNDISCUSSED_STATUSES).order_by("position", "id")


def later_meetings(meeting: Meeting):
    """Where a case can be postponed: the board's planned meetings after this one, the next first."""
    return Meeting.objects.filter(
        board_id=meeting.board_id, status=Meeting.Status.PLANNED, starts_at__gt=max(meeting.starts_at, timezone.now())
    ).order_by("starts_at")[:UPCOMING_CHOICES]


def _target(actor, meeting: Meeting, target: Meeting | None, new_target_at: datetime | None) -> Meeting:
    if new_target_at is not None:
        if new_target_at <= max(meeting.starts_at, timezone.now()):
            raise ValidationError({"new_target_at": "La nouvelle séance doit être postérieure à celle-ci."})
        # The board's staff create meetings (create_meeting checks it and audits the creation).
        return meeting_services.create_meeting(actor=actor, board=meeting.board, starts_at=new_target_at)
    if target is None:
        raise ValidationError({"target": "Aucune séance suivante n'est planifiée pour cette RCP : "
                                         "créez-en une pour y reporter les dossiers."})
    if target.board_id != meeting.board_id or target.status != Meeting.Status.PLANNED \
            or target.starts_at <= meeting.starts_at:
        raise ValidationError({"target": "Choisissez une séance planifiée plus tardive de la même RCP."})
    return target


def _check_decisions(cases: list[Registration], decisions: dict[int, Decision]) -> None:
    errors: dict[str, list[str]] = {}
    if set(decisions) != {r.pk for r in cases}:
        raise ValidationError({"cases": "La liste des dossiers non discutés a changé entre-temps : rechargez la "
                                        "page et vérifiez chaque dossier."})
    for registration in cases:
        decision = decisions[registration.pk]
        if decision.choice not in {POSTPONE, WITHDRAW, KEEP}:
            errors.setdefault(f"case_{registration.pk}", []).append("Choix inconnu.")
        elif decision.choice == WITHDRAW and len(" ".join(decision.reason.split())) < 3:
            errors.setdefault(f"reason_{registration.pk}", []).append("Indiquez le motif du retrait.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def close(*, actor, meeting: Meeting, decisions: dict[int, Decision], target: Meeting | None = None,
          new_target_at: datetime | None = None) -> Closing:
    """Apply a decision to each undiscussed case (keyed by registration id), then close the meeting.
    `target` is the later meeting for the postponed cases, or `new_target_at` the start of one to create."""
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    if not has_permission(actor, RUN_MEETING, meeting.board):
        raise PermissionDenied("Seuls les membres et le secrétariat de la RCP clôturent ses séances.")
    if meeting.status != Meeting.Status.OPEN:
        raise ValidationError({"status": "Seule une séance en cours se clôture."})
    cases = list(undiscussed(meeting).select_for_update())
    _check_decisions(cases, decisions)
    to_postpone = [r for r in cases if decisions[r.pk].choice == POSTPONE]
    chosen = _target(actor, meeting, target, new_target_at) if to_postpone else None
    postponed, withdrawn, kept = [], [], []
    for registration in cases:
        decision = decisions[registration.pk]
        if decision.choice == POSTPONE:
            postponed.append(registration_services.move(actor=actor, registration=registration, target=chosen))
        elif decision.choice == WITHDRAW:
            withdrawn.append(registration_services.withdraw(actor=actor, registration=registration,
                                                            reason=decision.reason))
        else:
            kept.append(registration)
    meeting = meeting_services.set_status(actor=actor, meeting=meeting, status=Meeting.Status.CLOSED)
    audit.record(actor=actor, action=Action.MEETING_CLOSE, obj=meeting, details={
        "postponed": len(postponed), "withdrawn": len(withdrawn), "kept": len(kept),
        "target": chosen.pk if chosen else None,
    })
    return Closing(meeting=meeting, postponed=postponed, withdrawn=withdrawn, kept=kept, target=chosen)


def postpone_all(cases: list[Registration]) -> dict[int, Decision]:
    """The one-click closing: every undiscussed case postponed."""
    return {r.pk: Decision(POSTPONE) for r in cases}
