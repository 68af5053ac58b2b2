"""Login lockout (django-axes), per account *and* address, with a progressive cool-off.

An account is locked after DCC_LOGIN_FAILURE_LIMIT failures from one address, for that address only: a stranger
elsewhere cannot lock a real user out, and an unknown username is counted exactly like a real one (nothing tells
them apart). Each new lockout of the same account from the same address on the same (UTC) day doubles the cool-off,
from DCC_LOGIN_COOLOFF_HOURS up to DCC_LOGIN_COOLOFF_MAX_HOURS. Lockouts are counted in the database
(oncodcc.core.throttle): the same for every worker. Trying again while locked does not extend the lock."""

import hashlib
from datetime import timedelta

from axes.helpers import get_client_ip_address, get_client_username
from django.conf import settings
from django.shortcuts import render

from oncodcc.core import throttle

DAY = 24 * 3600


def _key(username: str, address: str) -> str:
    return "login.lockout:" + hashlib.sha256(f"{username}\n{address}".encode()).hexdigest()


def _who(request) -> tuple[str, str]:
    credentials = getattr(request, "axes_credentials", None)
    username = get_client_username(request, credentials) or ""
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or ""
    return username, address


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: the base cool-off, doubled for each earlier lockout today of this account here."""
    base = settings.DCC_LOGIN_COOLOFF_BASE
    if request is None:
        return base
    lockouts = throttle.count(_key(*_who(request)), window_seconds=DAY)
    return min(base * 2 ** max(0, lockouts - 1), settings.DCC_LOGIN_COOLOFF_MAX)


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """axes' user_locked_out: count a new lockout (axes also sends it for attempts refused while locked, which
    record no failure: those are not counted)."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    throttle.hit(_key(username or "", ip_address or ""), window_seconds=DAY)


def locked_out_page(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE: the same French page for any username, existing or not."""
    minutes = max(1, round(cool_off(request).total_seconds() / 60))
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
