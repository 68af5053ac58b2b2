"""Single-use, time-limited links sent by email: the activation of a new account and the reset of a forgotten
password.

Design: Django's token generator (no table). A token is `<timestamp>-<HMAC>` where the HMAC (SECRET_KEY, a salt of
its own per purpose) covers the account's id, password hash, last sign-in and email, and the timestamp. Setting a
password changes the hash, so a link works once; the timestamp bounds its life (DCC_ACCOUNT_LINK_HOURS,
DCC_PASSWORD_RESET_LINK_HOURS); a different salt per purpose keeps an activation link from resetting a password and
the other way round. Nothing to store, purge or leak from the database; the price is that all the links of an
account die together when its password changes — the behaviour we want.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from .models import User

ACTIVATION = "activation"
RESET = "reset"
# Link state: valid, expired (a right link, too old) or invalid (used — the password changed since — or forged).
VALID, EXPIRED, INVALID = "valid", "expired", "invalid"


class _Tokens(PasswordResetTokenGenerator):
    def __init__(self, purpose: str, hours_setting: str):
        super().__init__()
        self.key_salt = f"oncodcc.accounts.links.{purpose}"
        self.hours_setting = hours_setting

    @property
    def lifetime(self) -> timedelta:
        return timedelta(hours=getattr(settings, self.hours_setting))

    def state(self, user: User, token: str) -> str:
        """VALID, EXPIRED or INVALID: Django's `check_token`, with the expiry told apart and our own lifetime."""
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return INVALID
        if not any(constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return INVALID
        if self._num_seconds(self._now()) - ts > self.lifetime.total_seconds():
            return EXPIRED
        return VALID


TOKENS = {
    ACTIVATION: _Tokens(ACTIVATION, "DCC_ACCOUNT_LINK_HOURS"),
    RESET: _Tokens(RESET, "DCC_PASSWORD_RESET_LINK_HOURS"),
}
URL_NAMES = {ACTIVATION: "accounts:activate", RESET: "accounts:password_reset_confirm"}


def path(purpose: str, user: User) -> str:
    """The link's path (to be made absolute with the site's address)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(URL_NAMES[purpose], kwargs={"uidb64": uid, "token": TOKENS[purpose].make_token(user)})


def absolute(purpose: str, user: User, request=None) -> str:
    relative = path(purpose, user)
    if request is not None:
        return request.build_absolute_uri(relative)
    return settings.DCC_SITE_URL.rstrip("/") + relative


@dataclass(frozen=True)
class Checked:
    state: str
    user: User | None


def check(purpose: str, uidb64: str, token: str) -> Checked:
    """The account a link is for, and whether the link still works. Inactive accounts get no working link."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return Checked(INVALID, None)
    state = TOKENS[purpose].state(user, token)
    return Checked(state, user if state == VALID else None)


def lifetime_hours(purpose: str) -> int:
    return int(TOKENS[purpose].lifetime.total_seconds() // 3600)
