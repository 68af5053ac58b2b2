"""The second factor of an account (django-otp): one TOTP device (an authenticator app) and ten single-use recovery
codes. Enrolment, verification at sign-in, recovery codes, reset by an administrator; every step audited.

A sign-in is: password (accounts:login, django-axes) → a code (`verify`) → `strong_auth.mark`. Wrong codes are
audited one by one (their number is bounded by the lockout of oncodcc.accounts.otp_lockout).
"""

import base64
import re
import secrets
from dataclasses import dataclass

import segno
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from . import otp_lockout, strong_auth

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Application d'authentification"
RECOVERY_NAME = "Codes de secours"
# Recovery codes: 10 characters of the RFC 4648 base32 alphabet (50 bits), shown as two groups of five.
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RECOVERY_LENGTH = 10
TOTP_CODE = re.compile(r"\d{6}")
RECOVERY_CODE = re.compile(rf"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


# --- devices ---------------------------------------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The device being enrolled: kept across page loads, so that the QR code already scanned stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The key in base32 without padding, as authenticator apps take it when typed."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI (issuer OncoDCC) as an inline SVG: no image URL, nothing the CSP would block."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="otp-qr", title="QR code à scanner", omitsize=True)


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for this device (demo accounts and tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


# --- recovery codes --------------------------------------------------------------------------------------------


def normalise(code: str) -> str:
    """What people type: spaces, dashes and case do not matter."""
    return re.sub(r"[\s-]", "", code or "").lower()


def shown(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [shown(code) for code in codes]


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def regenerate_recovery_codes(*, actor, user) -> list[str]:
    """Ten new codes; the previous ones stop working. Returns them (shown once, never stored in clear elsewhere)."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(actor=actor, action=Action.OTP_ENROL, obj=user,
                     details={"step": "recovery_codes", "count": len(codes)})
    return codes


# --- enrolment ---------------------------------------------------------------------------------------------------


def confirm_enrolment(*, request, user, device: TOTPDevice, code: str) -> list[str] | None:
    """The first code from the app confirms the device: then the other devices go, ten recovery codes are made
    (returned, to be shown once), and this session is strongly authenticated. None when the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not TOTP_CODE.fullmatch(normalise(code)) or not device.verify_token(normalise(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        otp_lockout.clear(user)
        audit.record(actor=user, action=Action.OTP_ENROL, obj=user,
                     details={"step": "device", "recovery_codes": len(codes)})
        _sign_in(request, strong_auth.TOTP, device)
    return codes


# --- verification at sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    method: str = ""  # strong_auth.TOTP or RECOVERY_CODE when ok
    refusal: str = ""  # format | wrong | reused | locked
    failures: int = 0  # wrong codes in a row, this one included
    lock: otp_lockout.Lock | None = None
    remaining_recovery_codes: int | None = None


def verify(*, request, user, code: str) -> Verification:
    """Check a code typed at sign-in (TOTP or recovery code). A right one marks the session strong."""
    typed = normalise(code)
    if TOTP_CODE.fullmatch(typed):
        method = strong_auth.TOTP
    elif RECOVERY_CODE.fullmatch(typed):
        method = strong_auth.RECOVERY_CODE
    else:
        return Verification(ok=False, refusal="format")  # not a guess: neither counted nor audited
    with transaction.atomic():
        lock = otp_lockout.hold(user)
        if lock is not None:
            return Verification(ok=False, refusal="locked", lock=lock)  # not checked, not counted
        if method == strong_auth.TOTP:
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
            ok = device is not None and device.verify_token(typed)
            refusal = "" if ok else ("reused" if device is not None and _already_used(device, typed) else "wrong")
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            ok = device is not None and device.verify_token(typed)  # deletes the code: single use
            refusal = "" if ok else "wrong"
        if not ok:
            failures, lock = otp_lockout.fail(user)
            audit.record(actor=user, action=Action.OTP_FAILED, obj=user,
                         details={"method": method, "reason": refusal, "failures": failures,
                                  "locked_minutes": lock.minutes if lock else 0})
            return Verification(ok=False, refusal=refusal, failures=failures, lock=lock)
        otp_lockout.succeed(user)
        _sign_in(request, method, confirmed_device(user))
        remaining = None
        if method == strong_auth.RECOVERY_CODE:
            remaining = remaining_recovery_codes(user)
            audit.record(actor=user, action=Action.RECOVERY_CODE_USED, obj=user, details={"remaining": remaining})
        else:
            audit.record(actor=user, action=Action.OTP_VERIFIED, obj=user, details={"method": method})
    return Verification(ok=True, method=method, remaining_recovery_codes=remaining)


def _already_used(device: TOTPDevice, typed: str) -> bool:
    """The code was right but for a time step already used (a replayed code), not a wrong code."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp.verify(int(typed), device.tolerance)


DEVICE_SESSION_KEY = "dcc_otp_device"


def _sign_in(request, method: str, device: TOTPDevice | None) -> None:
    # A new session key for the raised privilege (as login() does for the password step).
    request.session.cycle_key()
    strong_auth.mark(request, method)
    # The device that vouched for this session: a reset of the second factor deletes it, which ends the session's
    # strong authentication (see `device_withdrawn`).
    request.session[DEVICE_SESSION_KEY] = device.pk if device is not None else None


def device_withdrawn(request) -> bool:
    """True when this session was strongly authenticated by a TOTP device that no longer exists (an administrator
    reset the second factor since): the session must go through the second factor again."""
    device_id = request.session.get(DEVICE_SESSION_KEY)
    if device_id is None:
        return False
    return not TOTPDevice.objects.filter(pk=device_id, user_id=request.user.pk, confirmed=True).exists()


# --- reset by an administrator -------------------------------------------------------------------------------


def reset(*, actor, user, via: str) -> int:
    """Delete the devices and recovery codes of `user`: they enrol again at their next sign-in. `via` says where
    (admin, command) for the audit trail. Returns the number of devices deleted."""
    with transaction.atomic():
        totp, _ = TOTPDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.filter(user=user).count()
        StaticDevice.objects.filter(user=user).delete()
        otp_lockout.clear(user)
        audit.record(actor=actor, action=Action.OTP_RESET, obj=user,
                     details={"via": via, "devices": totp + static, "username": user.username})
    return totp + static
