"""Strong authentication of a session: the one place that says whether this sign-in used a second factor.

A session is strongly authenticated when the password was followed by a verified TOTP or recovery code
(django-otp), or when the sign-in came from Pro Santé Connect (e-CPS/CPS is itself a strong means). Every view that
completes such a sign-in calls `mark`; the enforcement middleware and the pages ask `is_strong`. The method is kept
in the session (and in the audit event of the sign-in) so that an access review can tell how people sign in.
"""

from django.conf import settings

SESSION_KEY = "dcc_strong_auth"
TOTP = "totp"
RECOVERY_CODE = "recovery_code"
PRO_SANTE_CONNECT = "psc"
METHODS = {TOTP, RECOVERY_CODE, PRO_SANTE_CONNECT}


def mark(request, method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown strong authentication method: {method}")
    request.session[SESSION_KEY] = method


def method(request) -> str | None:
    return request.session.get(SESSION_KEY) if hasattr(request, "session") else None


def is_strong(request) -> bool:
    """True when this session's sign-in used a second factor or PSC, or when the requirement is off (developer
    opt-out, DCC_REQUIRE_OTP=0)."""
    if not settings.DCC_REQUIRE_OTP:
        return True
    return method(request) in METHODS
