"""Fixed-window counters in the database (oncodcc.core.models.RateCounter): the same for every gunicorn worker and
process, atomic (`UPDATE … SET count = count + 1`), forgotten after two days."""

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import RateCounter

KEEP = timedelta(days=2)  # longer than any window used


def window_start(seconds: int, now: datetime | None = None) -> datetime:
    epoch = int((now or timezone.now()).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def seconds_left(seconds: int, now: datetime | None = None) -> int:
    """Until the current window ends (a Retry-After), at least 1."""
    now = now or timezone.now()
    return max(1, int((window_start(seconds, now) + timedelta(seconds=seconds) - now).total_seconds() + 0.999))


def count(key: str, *, window_seconds: int) -> int:
    row = RateCounter.objects.filter(key=key, window_start=window_start(window_seconds)).values("count").first()
    return row["count"] if row else 0


@transaction.atomic
def hit(key: str, *, window_seconds: int) -> int:
    """One more for `key` in the current window. Returns the window's count, this one included."""
    now = timezone.now()
    start = window_start(window_seconds, now)
    rows = RateCounter.objects.filter(key=key, window_start=start)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window_start=start, count=1)
            RateCounter.objects.filter(window_start__lt=now - KEEP).delete()
            return 1
        except IntegrityError:  # another process created it in between
            rows.update(count=F("count") + 1)
    return rows.values_list("count", flat=True).get()


def reset(key: str, *, window_seconds: int) -> None:
    RateCounter.objects.filter(key=key, window_start=window_start(window_seconds)).delete()
