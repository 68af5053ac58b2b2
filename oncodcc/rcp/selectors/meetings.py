"""Reads of the RCP organisation screens: boards, calendar, the meeting page and its attendance panel.

Boards and the calendar hold no patient data. The meeting page lists patients: `get_meeting_page` checks that
the user works in the board and records one MEETING_VIEW audit event naming the patients shown.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission
from oncodcc.directory.models import Practitioner
from oncodcc.patients.policy import REGISTER
from oncodcc.terminology import valuesets

from .. import quorum as quorum_rules
from ..models import PARIS, Attendance, Board, BoardMember, Fiche, Meeting, Registration
from ..policy import RUN_MEETING, VIEW_CASES, WORK_IN_BOARD, boards_of, is_board_staff, works_in_board
from ..services.meetings import _TRANSITIONS  # the one definition of the allowed status changes

UPCOMING_ON_BOARD_PAGE = 8
# Buttons of the meeting page, per (current status, target status).
STATUS_ACTIONS = {
    (Meeting.Status.PLANNED, Meeting.Status.OPEN): ("Ouvrir la séance", "btn-success", ""),
    (Meeting.Status.PLANNED, Meeting.Status.CANCELLED): (
        "Annuler la séance", "btn-outline-danger", "Annuler cette séance ? Les inscrits devront être reportés."),
    # Closing opens the closing page (rcp:meeting_close): the undiscussed cases are dealt with there.
    (Meeting.Status.OPEN, Meeting.Status.CLOSED): ("Clôturer la séance…", "btn-primary", ""),
    (Meeting.Status.CLOSED, Meeting.Status.OPEN): ("Rouvrir la séance", "btn-outline-secondary", ""),
    (Meeting.Status.CANCELLED, Meeting.Status.PLANNED): ("Rétablir la séance", "btn-outline-primary", ""),
}


# --- access ---

def load_meeting(*, user, meeting_id: int) -> Meeting:
    """The meeting if the user works in its board; Meeting.DoesNotExist or PermissionDenied otherwise."""
    meeting = Meeting.objects.select_related("board__managing_3c", "location").get(pk=meeting_id)
    if not has_permission(user, WORK_IN_BOARD, meeting.board_id):
        raise PermissionDenied("Cette séance est réservée aux membres, au secrétariat et au 3C de la RCP.")
    return meeting


# --- boards ---

def _with_next_meeting(boards: QuerySet[Board]) -> list[Board]:
    now = timezone.now()
    rows = list(
        boards.select_related("managing_3c").annotate(
            next_meeting_at=Min("meetings__starts_at", filter=Q(
                meetings__starts_at__gte=now, meetings__status__in=[Meeting.Status.PLANNED, Meeting.Status.OPEN]))
        ).order_by("name", "pk")
    )
    for board in rows:
        board.next_meeting_local = timezone.localtime(board.next_meeting_at, PARIS) if board.next_meeting_at else None
        board.topic_labels = topic_labels(board)
    return rows


def care_type_labels(board: Board) -> list[str]:
    return [valuesets.label(valuesets.CROSS_CUTTING_CARE, code) for code in board.care_types]


def topic_labels(board: Board) -> list[str]:
    """What the board discusses: its organs, else its care types (cross-cutting board), else its appareil."""
    if board.organs:
        return board.organ_labels
    if board.care_types:
        return care_type_labels(board)
    return [board.get_organ_system_display()] if board.organ_system else []


def board_lists(*, user) -> tuple[list[Board], list[Board]]:
    """'Mes RCP', then every active board of the region (no patient data)."""
    return _with_next_meeting(boards_of(user)), _with_next_meeting(Board.objects.filter(active=True))


@dataclass
class BoardPage:
    board: Board
    coordinators: list[BoardMember]
    members: list[BoardMember]
    secretaries: list
    hospitals: list
    care_type_labels: list[str]
    upcoming: list[Meeting]
    works_in_board: bool
    is_staff: bool


def get_board_page(*, user, board_id: int) -> BoardPage:
    """A board's description, open to every user of the region (no patient data)."""
    board = Board.objects.select_related("managing_3c").get(pk=board_id)
    members = list(board.members.select_related("practitioner").order_by(
        "-is_coordinator", "practitioner__last_name", "practitioner__first_name"))
    upcoming = list(
        board.meetings.filter(starts_at__gte=timezone.now() - timedelta(hours=6))
        .annotate(n_cases=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE_STATUSES)))
        .order_by("starts_at")[:UPCOMING_ON_BOARD_PAGE]
    )
    return BoardPage(
        board=board,
        coordinators=[m for m in members if m.is_coordinator],
        members=[m for m in members if not m.is_coordinator],
        secretaries=list(board.secretaries.order_by("last_name", "first_name")),
        hospitals=list(board.hospitals.order_by("name")),
        care_type_labels=care_type_labels(board),
        upcoming=upcoming,
        works_in_board=works_in_board(user, board.pk),
        is_staff=is_board_staff(user, board),
    )


# --- calendar ---

@dataclass
class CalendarDay:
    day: date
    meetings: list[Meeting] = field(default_factory=list)


@dataclass
class CalendarWeek:
    monday: date
    days: list[CalendarDay]
    show_all: bool
    my_board_ids: set[int]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def is_empty(self) -> bool:
        return not any(d.meetings for d in self.days)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def calendar_week(*, user, week_of: date | None = None, show_all: bool = False) -> CalendarWeek:
    """The meetings of one week (Monday to Sunday, Europe/Paris), with the number of registered cases."""
    monday = week_start(week_of or timezone.localdate(timezone=PARIS))
    start = datetime.combine(monday, time(0), tzinfo=PARIS)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=PARIS)
    mine = boards_of(user)
    meetings = (
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("board")
        .annotate(n_cases=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE_STATUSES)))
        .order_by("starts_at", "board__name")
    )
    meetings = meetings.filter(board__active=True) if show_all else meetings.filter(board__in=mine)
    days = [CalendarDay(monday + timedelta(days=i)) for i in range(7)]
    for meeting in meetings:
        days[(meeting.local_start.date() - monday).days].meetings.append(meeting)
    return CalendarWeek(monday=monday, days=days, show_all=show_all,
                        my_board_ids=set(mine.values_list("pk", flat=True)))


# --- the meeting page ---

@dataclass
class MemberRow:
    member: BoardMember
    attendance: Attendance | None

    @property
    def present(self) -> bool:
        return self.attendance is not None


@dataclass
class AttendancePanel:
    """Context of `_attendance_panel.html` (also served alone by rcp:attendance_panel)."""

    meeting: Meeting
    members: list[MemberRow]
    guests: list[Attendance]
    quorum: quorum_rules.Quorum
    can_edit: bool
    candidates: QuerySet[Practitioner]


def attendance_panel(*, meeting: Meeting, can_edit: bool) -> AttendancePanel:
    """Permanent members with their presence, guests, and the live quorum (3 queries + the candidates)."""
    attendances = list(meeting.attendances.select_related("practitioner").order_by("recorded_at", "pk"))
    by_practitioner = {a.practitioner_id: a for a in attendances if a.practitioner_id}
    members = list(
        BoardMember.objects.filter(board_id=meeting.board_id).select_related("practitioner")
        .order_by("-is_coordinator", "practitioner__last_name", "practitioner__first_name")
    )
    member_ids = {m.practitioner_id for m in members}
    return AttendancePanel(
        meeting=meeting,
        members=[MemberRow(m, by_practitioner.get(m.practitioner_id)) for m in members],
        guests=[a for a in attendances if a.practitioner_id not in member_ids],
        quorum=quorum_rules.compute(attendances),
        can_edit=can_edit and meeting.status != Meeting.Status.CANCELLED,
        candidates=guest_candidates(meeting),
    )


def guest_candidates(meeting: Meeting) -> QuerySet[Practitioner]:
    """Practitioners of the board's hospitals who are neither permanent members nor already present."""
    return (
        Practitioner.objects.filter(active=True, organisations__boards=meeting.board_id)
        .exclude(board_memberships__board=meeting.board_id).exclude(attendances__meeting=meeting)
        .distinct().order_by("last_name", "first_name")
    )


@dataclass
class MeetingRights:
    is_staff: bool  # organises: order of the list, ad hoc changes
    runs: bool  # staff or permanent member: status, attendance
    registers: bool  # doctors and secretaries: register, move, withdraw


def meeting_rights(user, meeting: Meeting) -> MeetingRights:
    staff = is_board_staff(user, meeting.board)
    return MeetingRights(
        is_staff=staff,
        runs=has_permission(user, RUN_MEETING, meeting.board),
        registers=has_permission(user, REGISTER),
    )


def case_list(meeting: Meeting) -> tuple[list[Registration], list[Registration]]:
    """The ordered active cases, then the moved or withdrawn ones; each with `current_fiche` (2 queries)."""
    registrations = list(
        meeting.registrations.select_related(
            "patient", "requesting_doctor", "presenting_doctor", "moved_to__meeting__board",
        ).prefetch_related(
            Prefetch("fiches", queryset=Fiche.objects.exclude(status=Fiche.Status.SUPERSEDED)
                     .only("pk", "status", "version_number", "registration_id").order_by("-version_number"),
                     to_attr="current_fiches"),
        ).order_by("position", "id")
    )
    for registration in registrations:
        registration.current_fiche = registration.current_fiches[0] if registration.current_fiches else None
    active = [r for r in registrations if r.is_active]
    return active, [r for r in registrations if not r.is_active]


@dataclass
class MeetingPage:
    meeting: Meeting
    cases: list[Registration]
    inactive_cases: list[Registration]
    panel: AttendancePanel
    rights: MeetingRights
    status_actions: list[tuple[str, str, str, str]]  # (status, label, button class, confirmation)
    sees_cases: bool = True
    hidden_case_count: int = 0

    @property
    def registrations_open(self) -> bool:
        return self.meeting.registrations_open()

    @property
    def registration_deadline_local(self) -> datetime:
        return timezone.localtime(self.meeting.registration_deadline, PARIS)


def status_actions(meeting: Meeting) -> list[tuple[str, str, str, str]]:
    actions = []
    for target in Meeting.Status:
        if target in _TRANSITIONS.get(meeting.status, set()):
            label, css, confirm = STATUS_ACTIONS[(Meeting.Status(meeting.status), target)]
            actions.append((target.value, label, css, confirm))
    return actions


def get_meeting_page(*, user, meeting_id: int) -> MeetingPage:
    """The secretary's meeting page. Checks access, loads everything in a bounded number of queries, and
    records one MEETING_VIEW audit event with the patients listed."""
    meeting = load_meeting(user=user, meeting_id=meeting_id)
    rights = meeting_rights(user, meeting)
    sees_cases = has_permission(user, VIEW_CASES, meeting.board_id)
    if sees_cases:
        cases, inactive = case_list(meeting)
        hidden = 0
    else:  # an administrator organising the meeting: how many cases, never who
        cases, inactive = [], []
        hidden = meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES).count()
    page = MeetingPage(
        meeting=meeting, cases=cases, inactive_cases=inactive,
        panel=attendance_panel(meeting=meeting, can_edit=rights.runs), rights=rights,
        status_actions=status_actions(meeting) if rights.runs else [],
        sees_cases=sees_cases, hidden_case_count=hidden,
    )
    audit.record(actor=user, action=Action.MEETING_VIEW, obj=meeting)
    # Each patient listed finds this page in their access history.
    record_shown(actor=user, action=Action.PATIENT_LIST, obj=meeting, details={"page": "meeting"},
                 patient_ids=[r.patient_id for r in [*cases, *inactive]])
    return page
