"""Rate limit of the public account forms (request, RPPS look-up, forgotten password): DCC_ACCOUNT_FORMS_PER_HOUR
submissions per form and client address, counted in the database (oncodcc.core.throttle) so that every worker
agrees. Past the limit the form answers 429 with a French page: it neither checks nor sends anything."""

import hashlib

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.shortcuts import render

from oncodcc.core import throttle

HOUR = 3600


def _key(form: str, request) -> str:
    address = get_client_ip_address(request) or ""
    return f"accounts.{form}:" + hashlib.sha256(address.encode()).hexdigest()


def over_limit(form: str, request, *, factor: int = 1) -> bool:
    """Count this submission; True when it is past the limit (then refuse it)."""
    return throttle.hit(_key(form, request), window_seconds=HOUR) > settings.DCC_ACCOUNT_FORMS_PER_HOUR * factor


def refusal(request):
    minutes = max(1, round(throttle.seconds_left(HOUR) / 60))
    return render(request, "accounts/public_throttled.html", {"minutes": minutes}, status=429)
