"""The work each role finds on its home page, beyond the next meetings and the cases they registered.

Each function answers one question for one user, over the boards the policy gives them (`boards_of`), and returns
rows ready for the template. Rows naming patients are limited to the patients the user may see and the home page
audits them; the administrators' lists hold meetings and counts only, never a patient."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.diffusion import selectors as diffusion
from oncodcc.diffusion.models import Delivery
from oncodcc.rcp import quorum
from oncodcc.rcp.models import Fiche, Meeting, Registration

PREPARE_DAYS = 7  # the secretary prepares the meetings of the coming week
CLOSE_GRACE = timedelta(hours=2)  # after its planned end, a meeting still open or planned is "to close"
QUORUM_LOOKBACK_DAYS = 30
TO_SEND_LOOKBACK_DAYS = 30  # validated fiches older than a month are the diffusion dashboard's business
LIMIT = 15


@dataclass(frozen=True)
class MeetingToPrepare:
    meeting: Meeting
    cases: int
    incomplete: int


def incomplete_registrations(boards, visible, now) -> list[Registration]:
    """Secretary: cases registered in the coming meetings whose file is not complete yet."""
    return list(
        Registration.objects.filter(meeting__board__in=boards, patient__in=visible, complete_file=False,
                                    status__in=Registration.ACTIVE_STATUSES, meeting__starts_at__gte=now)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("patient", "meeting__board").order_by("meeting__starts_at", "position")[:LIMIT])


def meetings_to_prepare(boards, now) -> list[MeetingToPrepare]:
    """Secretary: the coming week's meetings with their number of cases and of incomplete files (no patient)."""
    active = Q(registrations__status__in=Registration.ACTIVE_STATUSES)
    meetings = (
        Meeting.objects.filter(board__in=boards, status=Meeting.Status.PLANNED, starts_at__gte=now,
                               starts_at__lte=now + timedelta(days=PREPARE_DAYS))
        .annotate(cases=Count("registrations", filter=active),
                  incomplete=Count("registrations", filter=active & Q(registrations__complete_file=False)))
        .select_related("board").order_by("starts_at")[:LIMIT])
    return [MeetingToPrepare(m, m.cases, m.incomplete) for m in meetings]


def meetings_to_close(boards, now) -> list[Meeting]:
    """Coordinator and secretary: meetings whose time is over but that nobody closed."""
    candidates = (
        Meeting.objects.filter(board__in=boards, status__in=(Meeting.Status.PLANNED, Meeting.Status.OPEN),
                               starts_at__lt=now - CLOSE_GRACE, starts_at__gte=now - timedelta(days=60))
        .annotate(cases=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE_STATUSES)))
        .select_related("board").order_by("starts_at"))
    return [m for m in candidates if now > m.starts_at + timedelta(minutes=m.duration_minutes) + CLOSE_GRACE][:LIMIT]


@dataclass(frozen=True)
class FicheToSend:
    fiche: Fiche
    reason: str  # "failed" | "sending" | "not_sent", the worst state among the document's deliveries


UNDELIVERED = (Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.ERROR, Delivery.State.DEAD)
FAILED = (Delivery.State.ERROR, Delivery.State.DEAD)


def fiches_to_send(boards, visible, now) -> list[FicheToSend]:
    """Secretary: the last month's validated fiches of their boards whose document has not reached every
    recipient — a delivery in error or abandoned, one still waiting, or no delivery at all (nobody to send it to
    electronically: the secretary hands it over by other means). Worst first, then the oldest."""
    fiches = (
        Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__in=boards,
                             patient__in=visible, validated_at__gte=now - timedelta(days=TO_SEND_LOOKBACK_DAYS))
        .annotate(failed=Count("document__deliveries", filter=Q(document__deliveries__state__in=FAILED)),
                  waiting=Count("document__deliveries", filter=Q(document__deliveries__state__in=UNDELIVERED)),
                  sent=Count("document__deliveries"))
        .filter(Q(waiting__gt=0) | Q(sent=0))
        .select_related("patient", "registration__meeting__board").order_by("validated_at"))
    rows = [FicheToSend(f, "failed" if f.failed else "sending" if f.waiting else "not_sent") for f in fiches]
    order = {"failed": 0, "sending": 1, "not_sent": 2}
    return sorted(rows, key=lambda row: order[row.reason])[:LIMIT]


def my_drafts(user, visible) -> list[Fiche]:
    """Doctor: the fiches they started and have not validated."""
    return list(
        Fiche.objects.filter(created_by=user, status=Fiche.Status.DRAFT, patient__in=visible)
        .select_related("patient", "registration__meeting__board").order_by("-updated_at")[:LIMIT])


def meetings_without_quorum(boards, now) -> list[Meeting]:
    """3C administrator: the last month's held meetings where fewer than three specialties were present."""
    held = (Meeting.objects.filter(board__in=boards, status=Meeting.Status.CLOSED,
                                   starts_at__gte=now - timedelta(days=QUORUM_LOOKBACK_DAYS))
            .select_related("board").prefetch_related("attendances__practitioner").order_by("-starts_at"))
    return [m for m in held if not quorum.compute(list(m.attendances.all())).reached][:LIMIT]


def documents_in_error(user) -> int:
    """3C administrator: deliveries of documents in error or abandoned (the diffusion dashboard lists them)."""
    return len(diffusion.errors_for(user))


def recent_break_glass(now, days: int = 7) -> int:
    """DPO: accesses outside relations in the last days (the log lists them)."""
    return AuditEvent.objects.filter(action=Action.BREAK_GLASS, occurred_at__gte=now - timedelta(days=days)).count()
