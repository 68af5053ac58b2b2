"""Reads behind the calendars: the month view (`/calendrier/`) and the iCalendar feed (`/calendrier/<token>.ics`).
Schedules only — board, date, place, video-conference link, number of cases — never a patient.

The meetings shown are those of the user's boards (`rcp.policy.boards_of`: member, secretary, the 3C's
secretaries and coordinators, the administrators over a board); the month view can show every active board, as
the week view does, since a schedule holds no patient data."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from oncodcc.rcp.models import PARIS, Meeting, Registration
from oncodcc.rcp.policy import boards_of

FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400


def _meetings(start: datetime, end: datetime):
    return (Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end)
            .select_related("board", "location")
            .annotate(n_cases=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE_STATUSES)))
            .order_by("starts_at", "board__name"))


@dataclass
class Day:
    day: date
    in_month: bool
    meetings: list[Meeting] = field(default_factory=list)


@dataclass
class Month:
    first: date
    weeks: list[list[Day]]
    show_all: bool
    my_board_ids: set[int]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)

    @property
    def count(self) -> int:
        return sum(len(d.meetings) for week in self.weeks for d in week if d.in_month)


def month(*, user, first: date | None = None, show_all: bool = False) -> Month:
    """The weeks (Monday to Sunday) covering one month, each day with its meetings (Paris time)."""
    first = (first or timezone.localdate(timezone=PARIS)).replace(day=1)
    weeks_dates = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks_dates[0][0], time(0), tzinfo=PARIS)
    end = datetime.combine(weeks_dates[-1][-1] + timedelta(days=1), time(0), tzinfo=PARIS)
    mine = boards_of(user)
    meetings = _meetings(start, end)
    meetings = meetings.filter(board__active=True) if show_all else meetings.filter(board__in=mine)
    days = {d: Day(d, d.month == first.month) for week in weeks_dates for d in week}
    for meeting in meetings:
        days[meeting.local_start.date()].meetings.append(meeting)
    return Month(first=first, weeks=[[days[d] for d in week] for week in weeks_dates], show_all=show_all,
                 my_board_ids=set(mine.values_list("pk", flat=True)))


def feed_meetings(user, now=None) -> list[Meeting]:
    """The meetings of the user's boards, from three months back to a year ahead (cancelled ones included, so
    that a calendar application removes them)."""
    now = now or timezone.now()
    return list(_meetings(now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS))
                .filter(board__in=boards_of(user)))
