"""The work each role finds on its home page, beyond the next meetings and the cases they registered.

Each function answers one question for one user, over the boards the policy gives them (`boards_of`), and returns
rows ready for the template. Rows naming patients are limited to the patients the user may see and the home page
audits them; the administrators' lists hold meetings and counts only, never a patient."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.diffusion import selectors as diffusion
from oncodcc.diffusion.models import Delivery
from oncodcc.patients.policy import accessible_patients
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


def first_visible(user, lists: dict[str, QuerySet], limit: int = LIMIT) -> dict[str, list]:
    """The first `limit` rows of each ordered queryset whose patient the user may see (`row.patient_id`).

    Why not `patient__in=accessible_patients(user)` in each query: at regional scale that subquery reads every
    patient and builds the user's board relation (every registration of their boards, tens of thousands of rows)
    for each list of the page. The lists themselves are short (the user's boards' coming meetings, their own
    drafts): their candidates are read first, then one query checks the access rules of those patients only."""
    chunk = limit * 4
    candidates = {name: list(queryset[:chunk]) for name, queryset in lists.items()}
    ids = {row.patient_id for rows in candidates.values() for row in rows}
    visible = set(accessible_patients(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    shown = {}
    for name, rows in candidates.items():
        kept = [row for row in rows if row.patient_id in visible]
        offset = chunk
        while len(kept) < limit and len(rows) == chunk:  # rare: a whole chunk of patients outside the relations
            rows = list(lists[name][offset:offset + chunk])
            offset += chunk
            more = {row.patient_id for row in rows}
            visible |= set(accessible_patients(user).filter(pk__in=more).values_list("pk", flat=True))
            kept += [row for row in rows if row.patient_id in visible]
        shown[name] = kept[:limit]
    return shown


def incomplete_query(boards, now) -> QuerySet[Registration]:
    """Secretary: cases registered in the coming meetings whose file is not complete yet (every patient: the
    caller keeps those the user may see, `first_visible`)."""
    return (
        Registration.objects.filter(meeting__board__in=boards, complete_file=False,
                                    status__in=Registration.ACTIVE_STATUSES, meeting__starts_at__gte=now)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("patient", "meeting__board").order_by("meeting__starts_at", "position", "pk"))


def _active_cases(**criteria) -> Coalesce:
    """The number of a meeting's active cases, counted by a subquery per meeting (the registrations' meeting index).
    Why not Count("registrations"): joined then grouped, PostgreSQL misjudged the few meetings and hash-joined
    every registration of the region (a sequential scan of all of them)."""
    cases = (Registration.objects.filter(meeting_id=OuterRef("pk"), status__in=Registration.ACTIVE_STATUSES,
                                         **criteria)
             .order_by().values("meeting_id").annotate(count=Count("pk")).values("count"))
    return Coalesce(Subquery(cases, output_field=IntegerField()), 0)


def meetings_to_prepare(boards, now) -> list[MeetingToPrepare]:
    """Secretary: the coming week's meetings with their number of cases and of incomplete files (no patient)."""
    meetings = (
        Meeting.objects.filter(board__in=boards, status=Meeting.Status.PLANNED, starts_at__gte=now,
                               starts_at__lte=now + timedelta(days=PREPARE_DAYS))
        .annotate(cases=_active_cases(), incomplete=_active_cases(complete_file=False))
        .select_related("board").order_by("starts_at")[:LIMIT])
    return [MeetingToPrepare(m, m.cases, m.incomplete) for m in meetings]


def meetings_to_close(boards, now) -> list[Meeting]:
    """Coordinator and secretary: meetings whose time is over but that nobody closed."""
    candidates = (
        Meeting.objects.filter(board__in=boards, status__in=(Meeting.Status.PLANNED, Meeting.Status.OPEN),
                               starts_at__lt=now - CLOSE_GRACE, starts_at__gte=now - timedelta(days=60))
        .annotate(cases=_active_cases())
        .select_related("board").order_by("starts_at"))
    return [m for m in candidates if now > m.starts_at + timedelta(minutes=m.duration_minutes) + CLOSE_GRACE][:LIMIT]


@dataclass(frozen=True)
class FicheToSend:
    fiche: Fiche
    reason: str  # "failed" | "sending" | "not_sent", the worst state among the document's deliveries


UNDELIVERED = (Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.ERROR, Delivery.State.DEAD)
FAILED = (Delivery.State.ERROR, Delivery.State.DEAD)


def to_send_query(boards, now) -> QuerySet[Fiche]:
    """Secretary: the last month's validated fiches of their boards whose document has not reached every
    recipient — a delivery in error or abandoned, one still waiting, or no delivery at all (nobody to send it to
    electronically: the secretary hands it over by other means). Worst first, then the oldest (every patient:
    see `first_visible`)."""
    return (
        Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__in=boards,
                             validated_at__gte=now - timedelta(days=TO_SEND_LOOKBACK_DAYS))
        .annotate(failed=Count("document__deliveries", filter=Q(document__deliveries__state__in=FAILED)),
                  waiting=Count("document__deliveries", filter=Q(document__deliveries__state__in=UNDELIVERED)),
                  sent=Count("document__deliveries"))
        .filter(Q(waiting__gt=0) | Q(sent=0))
        .annotate(worst=Case(When(failed__gt=0, then=Value(0)), When(waiting__gt=0, then=Value(1)), default=Value(2)))
        .select_related("patient", "registration__meeting__board").order_by("worst", "validated_at", "pk"))


def fiches_to_send(fiches) -> list[FicheToSend]:
    return [FicheToSend(f, "failed" if f.failed else "sending" if f.waiting else "not_sent") for f in fiches]


def drafts_query(user) -> QuerySet[Fiche]:
    """Doctor: the fiches they started and have not validated (every patient: see `first_visible`)."""
    return (Fiche.objects.filter(created_by=user, status=Fiche.Status.DRAFT)
            .select_related("patient", "registration__meeting__board").order_by("-updated_at", "pk"))


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
