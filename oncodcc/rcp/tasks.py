"""Background tasks of the RCP app (django-tasks; run by the `dcc db_worker` worker)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import Board
from .services.meetings import generate_meetings

DEFAULT_WEEKS = 8


def generate_upcoming(*, weeks: int = DEFAULT_WEEKS) -> dict[str, int]:
    """Create the meetings of the next `weeks` weeks for every active board with a recurrence (idempotent).
    Returns the number of meetings created per board name."""
    today = timezone.localdate()
    until = today + timedelta(weeks=weeks)
    created = {}
    for board in Board.objects.filter(active=True).exclude(frequency="").order_by("name"):
        created[board.name] = len(generate_meetings(board=board, start=today, until=until))
    return created


@task()
def generate_upcoming_meetings(weeks: int = DEFAULT_WEEKS) -> int:
    """The task version of generate_upcoming (e.g. enqueued nightly): returns how many meetings it created."""
    return sum(generate_upcoming(weeks=weeks).values())
