"""Meeting dates from a board's recurrence, computed in Europe/Paris (DST-safe)."""

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from .models import PARIS, Board


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if n == 5:
        return days[-1]
    return days[n - 1] if 1 <= n <= len(days) else None


def occurrences(board: Board, *, start: date, end: date) -> Iterator[datetime]:
    """Aware datetimes of the board's meetings between start and end (inclusive)."""
    if not board.frequency:
        return
    anchor = board.recurrence_start or start
    last = min(end, board.recurrence_end) if board.recurrence_end else end
    if board.frequency == Board.Frequency.WEEKLY:
        first = anchor + timedelta(days=(board.weekday - anchor.weekday()) % 7)
        step = timedelta(weeks=max(1, board.interval))
        day = first
        if day < start:
            skipped = (start - day).days // step.days
            day += step * skipped
        while day <= last:
            if day >= start:
                yield datetime.combine(day, board.start_time, tzinfo=PARIS)
            day += step
    elif board.frequency == Board.Frequency.MONTHLY:
        year, month = max(start, anchor).year, max(start, anchor).month
        while date(year, month, 1) <= last:
            day = _nth_weekday(year, month, board.weekday, board.week_of_month or 1)
            if day and max(start, anchor) <= day <= last:
                yield datetime.combine(day, board.start_time, tzinfo=PARIS)
            month += 1
            if month == 13:
                year, month = year + 1, 1
