"""Who signed in with Pro Santé Connect, and their OncoDCC account."""

import re
from dataclasses import dataclass

from oncodcc.directory.models import Practitioner

from ..models import User
from .refusals import PscRefused

# Contract with the account request page: the identity PSC attested, for a professional without an account.
SESSION_IDENTITY = "psc_identity"
ACCOUNT_REQUEST_PATH = "/compte/demande/"
RPPS_NATIONAL_ID = re.compile(r"^8(?P<rpps>[0-9]{11})$")
RPPS = re.compile(r"^[0-9]{11}$")


@dataclass(frozen=True)
class Identity:
    """What PSC attested about the professional who signed in."""

    subject: str  # the ID token's `sub` (an opaque PSC identifier)
    rpps: str
    family_name: str
    given_name: str
    email: str
    acr: str
    auth_mode: str  # how they authenticated, when PSC says (`authMode`: CARD, MOBILE…)

    def prefill(self) -> dict:
        """The account request page's prefill (SESSION_IDENTITY)."""
        data = {"rpps": self.rpps, "family_name": self.family_name, "given_name": self.given_name}
        if self.email:
            data["email"] = self.email
        return data


def _text(claims: dict, name: str, limit: int = 150) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def rpps_of(claims: dict) -> str:
    """The RPPS number: from `SubjectNameID` (the national identifier, `8` + RPPS), otherwise from the identifier
    of origin RPPS among `otherIds` (national or bare form). Empty for a professional without RPPS (ADELI…)."""
    match = RPPS_NATIONAL_ID.match(_text(claims, "SubjectNameID"))
    if match:
        return match["rpps"]
    other_ids = claims.get("otherIds")
    for other in other_ids if isinstance(other_ids, list) else []:
        if isinstance(other, dict) and other.get("origine") == "RPPS" and isinstance(other.get("identifiant"), str):
            value = other["identifiant"].strip()
            match = RPPS_NATIONAL_ID.match(value)
            if match or RPPS.match(value):
                return match["rpps"] if match else value
    return ""


def identity_from(claims: dict) -> Identity:
    rpps = rpps_of(claims)
    if not rpps:
        raise PscRefused("no_rpps", detail="ni SubjectNameID 8+RPPS ni otherIds RPPS")
    return Identity(subject=claims["sub"], rpps=rpps, family_name=_text(claims, "family_name"),
                    given_name=_text(claims, "given_name"), email=_text(claims, "email", 254),
                    acr=_text(claims, "acr", 30), auth_mode=_text(claims, "authMode", 30))


def account_for(identity: Identity) -> User:
    """The active account linked to the practitioner with this RPPS. Refused (to the account request) when nobody
    in the directory has this RPPS or their practitioner has no account; refused when the account is inactive."""
    user = User.objects.select_related("practitioner").filter(practitioner__rpps=identity.rpps).first()
    if user is None:
        known = Practitioner.objects.filter(rpps=identity.rpps).exists()
        raise PscRefused("no_account" if known else "unknown_rpps", identity=identity)
    if not user.is_active:
        raise PscRefused("inactive_account", identity=identity, user=user)
    return user
