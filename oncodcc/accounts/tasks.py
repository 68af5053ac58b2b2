"""The daily account lifecycle task (django-tasks, run by `dcc db_worker`): the inactivity sweep, then the next
run scheduled for the next night. `scripts/worker.sh` makes sure one run is queued at each start of the worker
(`dcc accounts-lifecycle --enqueue`), so the chain of daily runs survives a stopped worker."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import inactivity

RUN_AT = time(3, 0)  # local time (TIME_ZONE): a quiet hour, after the night's imports


def next_run_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    day = local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, RUN_AT))


def is_queued() -> bool:
    """A run of the task waits in the database queue (whatever its date)."""
    return DBTaskResult.objects.filter(task_path=accounts_lifecycle.module_path, status="READY").exists()


def enqueue(*, run_after: datetime | None = None) -> bool:
    """Queue one run unless one is already waiting. Returns whether a run was queued."""
    if is_queued():
        return False
    backend = accounts_lifecycle.get_backend()
    if run_after is not None and backend.supports_defer:
        accounts_lifecycle.using(run_after=run_after).enqueue()
    else:
        accounts_lifecycle.enqueue()
    return True


@task()
def accounts_lifecycle() -> dict[str, int]:
    """Warn and deactivate unused accounts (oncodcc.accounts.inactivity), then queue tomorrow's run."""
    result = inactivity.sweep()
    enqueue(run_after=next_run_after(timezone.now()))
    return {"warned": len(result.warned), "deactivated": len(result.deactivated), "spared": len(result.spared),
            "failed": len(result.failed)}
