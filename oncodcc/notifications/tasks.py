"""Tasks of the notification outbox (django-tasks, run by `dcc db_worker`).

- `send_notifications`: enqueued when notifications commit; sends what is due, then schedules itself at the
  earliest retry.
- `send_meeting_reminders`: queues the reminders now due and schedules itself for the next day
  (DCC_MEETING_REMINDER_HOUR, Paris time); `dcc notifications send-reminders --enqueue` starts the chain (the
  worker's start script runs it), and a chain already waiting is not doubled."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from oncodcc.rcp.models import PARIS

from . import reminders, worker


def _defer(task_obj, run_after) -> bool:
    if not task_obj.get_backend().supports_defer:
        return False
    task_obj.using(run_after=run_after).enqueue()
    return True


def _waiting(task_obj) -> bool:
    """A run of this task already queued (database backend only: other backends keep no queue to look at)."""
    if not isinstance(task_obj.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(task_path=task_obj.module_path, status="READY").exists()


def enqueue_send(run_after=None) -> None:
    if run_after is not None:
        _defer(send_notifications, run_after)
    else:
        send_notifications.enqueue()


@task()
def send_notifications() -> dict[str, int]:
    counts = worker.send_due()
    upcoming = worker.next_due_at()
    if upcoming is not None:
        enqueue_send(run_after=upcoming)
    return dict(counts)


def next_reminder_run(now=None):
    """Tomorrow at DCC_MEETING_REMINDER_HOUR, Paris time (or today, if that hour is still to come)."""
    now = timezone.localtime(now or timezone.now(), PARIS)
    at = datetime.combine(now.date(), time(settings.DCC_MEETING_REMINDER_HOUR), tzinfo=PARIS)
    return at if at > now else at + timedelta(days=1)


def schedule_reminders() -> bool:
    """Start the daily chain unless a run is already waiting. Returns whether a run was queued."""
    if _waiting(send_meeting_reminders):
        return False
    send_meeting_reminders.enqueue()
    return True


@task()
def send_meeting_reminders() -> int:
    created = reminders.queue_due()
    if not _waiting(send_meeting_reminders):
        _defer(send_meeting_reminders, next_reminder_run())
    return len(created)
