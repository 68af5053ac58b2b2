"""The send task (django-tasks, run by `dcc db_worker`): enqueued when a document's renderings are stored, by the
commands and by *Renvoyer*; each run schedules the next one at the time of the earliest retry."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django_tasks import task

from . import worker
from .models import Delivery


def _next_run_at():
    """The earliest retry, or when a row now `sending` would be taken back if its worker died."""
    candidates = [worker.next_due_at()]
    claimed = Delivery.objects.filter(state=Delivery.State.SENDING).aggregate(t=Min("claimed_at"))["t"]
    if claimed is not None:
        candidates.append(claimed + timedelta(seconds=settings.DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS + 1))
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None


def enqueue_send(run_after=None) -> None:
    backend = send_deliveries.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return
        send_deliveries.using(run_after=run_after).enqueue()
        return
    send_deliveries.enqueue()


@task()
def send_deliveries() -> dict[str, int]:
    """Send every due delivery; then schedule the next run (retries, stuck rows)."""
    counts = worker.send_due()
    upcoming = _next_run_at()
    if upcoming is not None:
        enqueue_send(run_after=upcoming)
    return dict(counts)
