"""Lockout after wrong second-factor codes, like django-axes for passwords (oncodcc.accounts.lockout).

After DCC_OTP_FAILURE_LIMIT wrong codes the account's code page refuses every code, the right one included, for a
cool-off: the one of passwords (DCC_LOGIN_COOLOFF_BASE), doubled with each lockout of the account the same (UTC)
day, up to DCC_LOGIN_COOLOFF_MAX. Unlike the password lockout it is per account, whatever the address: whoever
reaches the code page has the password already, and a lock per address would let them try from many addresses.
Codes typed while locked are not checked and do not extend the lock. A right code clears the failures (not the
day's lockouts); a reset of the second factor by an administrator clears everything. Counted in the database: the
same for every worker.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import SecondFactorThrottle


@dataclass(frozen=True)
class Lock:
    until: datetime

    @property
    def minutes(self) -> int:
        return max(1, round((self.until - timezone.now()).total_seconds() / 60))


def current_lock(user) -> Lock | None:
    row = SecondFactorThrottle.objects.filter(user=user, locked_until__gt=timezone.now()).first()
    return Lock(row.locked_until) if row else None


def hold(user) -> Lock | None:
    """Inside the caller's transaction: lock the account's row (so that concurrent codes are checked one after the
    other, none slipping past a lockout being set) and return the current lock, if any."""
    SecondFactorThrottle.objects.get_or_create(user=user)
    row = SecondFactorThrottle.objects.select_for_update().get(user=user)
    if row.locked_until is not None and row.locked_until > timezone.now():
        return Lock(row.locked_until)
    return None


def cool_off(lockouts: int) -> timedelta:
    return min(settings.DCC_LOGIN_COOLOFF_BASE * 2 ** max(0, lockouts - 1), settings.DCC_LOGIN_COOLOFF_MAX)


@transaction.atomic
def fail(user) -> tuple[int, Lock | None]:
    """One wrong code. Returns (wrong codes in a row, the lock when this one locks the account)."""
    SecondFactorThrottle.objects.get_or_create(user=user)
    row = SecondFactorThrottle.objects.select_for_update().get(user=user)
    now = timezone.now()
    row.failures += 1
    failures, lock = row.failures, None
    if row.failures >= settings.DCC_OTP_FAILURE_LIMIT:
        today = now.date()
        row.lockouts = row.lockouts + 1 if row.lockout_day == today else 1
        row.lockout_day = today
        row.locked_until = now + cool_off(row.lockouts)
        row.failures = 0
        lock = Lock(row.locked_until)
    row.save()
    return failures, lock


def succeed(user) -> None:
    SecondFactorThrottle.objects.filter(user=user).update(failures=0)


def clear(user) -> None:
    SecondFactorThrottle.objects.filter(user=user).delete()
