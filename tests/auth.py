"""Test-client sessions and the second factor.

`Client.force_login` bypasses authentication by design: no password, no code; it stands for "this user has signed
in". Since a sign-in now has two steps (password, then a TOTP or recovery code), the suite's `force_login` stands
for both and marks the session strongly authenticated as the code page does (`strong_auth.mark`) — installed for
every test by tests/conftest.py. The second factor itself is tested through the real pages
(tests/accounts/test_second_factor.py, tests/e2e); tests that need a session at the password step only use
`force_login_password_only`."""

import base64
import hashlib
import hmac
import os
import struct
import time

from django.test.client import ClientMixin

from oncodcc.accounts import strong_auth

_django_force_login = ClientMixin.force_login


def force_login_strong(self, user, backend=None):
    _django_force_login(self, user, backend)
    session = self.session
    session[strong_auth.SESSION_KEY] = strong_auth.TOTP
    session.save()


def force_login_password_only(client, user, backend=None):
    """The session as the password step leaves it: the second factor still to come."""
    _django_force_login(client, user, backend)


# --- the second factor as a person (or a browser) goes through it -------------------------------------------------
# The codes are computed here from RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits), independently of django-otp
# and of oncodcc.accounts.otp: a wrong computation in the product makes these tests fail.

LOGIN = "/comptes/connexion/"
VERIFY = "/comptes/double-facteur/"
SETUP = "/comptes/double-facteur/enrolement/"


def totp(secret_base32: str, *, at: float | None = None, step: int = 30) -> str:
    key = base64.b32decode(secret_base32.replace(" ", "").upper() + "=" * (-len(secret_base32.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def wrong_code(secret_base32: str) -> str:
    """A 6-digit code that no step around now accepts."""
    now = time.time()
    valid = {totp(secret_base32, at=now + shift) for shift in range(-90, 91, 30)}
    return next(code for code in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if code not in valid)


def enrol(user) -> tuple[str, list[str]]:
    """A confirmed TOTP device with a random secret and ten recovery codes. Returns (base32 secret, codes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from oncodcc.accounts import otp

    secret = base64.b32encode(os.urandom(20)).decode()
    TOTPDevice.objects.create(user=user, name=otp.TOTP_NAME, confirmed=True, key=base64.b32decode(secret).hex())
    return secret, otp.regenerate_recovery_codes(actor=user, user=user)


def password_login(client, username: str, password: str | None = None, next_url: str = ""):
    from tests.factories import TEST_PASSWORD

    data = {"username": username, "password": password or TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def enter_code(client, code: str, next_url: str = ""):
    return client.post(VERIFY, {"code": code, "next": next_url} if next_url else {"code": code})


def device_secret(user) -> str:
    """The base32 secret of the user's confirmed TOTP device, enrolled (with recovery codes) when missing."""
    from oncodcc.accounts import otp

    device = otp.confirmed_device(user)
    if device is None:
        return enrol(user)[0]
    return base64.b32encode(device.bin_key).decode()


def unused_code(user) -> str:
    """The code an authenticator app would show next for the user's device: the current one, or — when the current
    step was already used (the same account signed in twice within 30 s) — the next one, accepted too (tolerance of
    one step); waits for the clock only when both were used."""
    from oncodcc.accounts import otp

    secret = device_secret(user)
    while True:
        device = otp.confirmed_device(user)
        now_step = int(time.time() // device.step) + device.drift
        step = max(now_step, device.last_t + 1)
        if step <= now_step + device.tolerance:
            return totp(secret, at=step * device.step)
        time.sleep(1)
