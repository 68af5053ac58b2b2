"""The launch token (a JWT, see docs/launch.md): signature checked with the issuer's registered key, standard
claims (aud, iat, exp, jti, sub), then the launch claims read into a `LaunchRequest`.

Order matters: nothing from the token is trusted before its signature is checked, except the header's `alg`
and `kid` and the `iss` claim, which only choose the key."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import jwt
from django.conf import settings
from django.utils import timezone

from oncodcc.core.text import has_control_chars
from oncodcc.patients.inbound import IncomingIdentity

from . import keys
from .models import LaunchKey
from .refusals import LaunchRefused

# Clocks of hospital servers and ours drift: this much is forgiven on iat and exp.
LEEWAY_SECONDS = 30
# A token is a few hundred bytes; anything this long is not ours (and would only cost us parsing time).
MAX_TOKEN_CHARS = 16_000
REQUIRED = ("iss", "aud", "iat", "exp", "jti", "sub")
INTENTS = ("view", "register")
RPPS_RE = re.compile(r"^[0-9]{11}$")
PATIENT_TEXT_FIELDS = {
    "ipp": 64, "birth_name": 100, "birth_given_names": 200, "first_birth_given_name": 100, "used_name": 100,
    "used_given_name": 100, "sex": 1, "birthplace_insee": 5, "identity_status": 5,
}


def audience() -> str:
    """The `aud` our tokens must carry (settings.DCC_LAUNCH_AUDIENCE, env DCC_LAUNCH_AUDIENCE, "oncodcc")."""
    return settings.DCC_LAUNCH_AUDIENCE


@dataclass
class Verified:
    key: LaunchKey
    claims: dict


@dataclass
class LaunchRequest:
    key: LaunchKey
    issuer: str
    jti: str
    expires_at: datetime
    rpps: str
    intent: str
    identity: IncomingIdentity


def verify(token: str | None) -> Verified:
    """Check the signature and the standard claims, or raise LaunchRefused."""
    token = (token or "").strip()
    if not token:
        raise LaunchRefused("missing_token")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise LaunchRefused("malformed_token", detail="Un JWT signé (JWS compact, trois parties) est attendu.")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LaunchRefused("malformed_token", detail="En-tête ou contenu JSON illisible.") from exc
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in keys.ALGORITHMS:
        raise LaunchRefused("unsupported_algorithm", detail=f"alg = {str(algorithm)[:20]}")
    if kid is not None and not isinstance(kid, str):
        raise LaunchRefused("malformed_token", detail="kid doit être une chaîne.")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer.strip():
        raise LaunchRefused("missing_claims", detail="iss")
    issuer = issuer[:200]
    registered = list(LaunchKey.objects.filter(issuer=issuer, active=True, organisation__active=True)
                      .select_related("organisation"))
    if not registered:
        raise LaunchRefused("unknown_issuer", issuer=issuer)
    candidates = [k for k in registered if k.algorithm == algorithm and (not kid or k.kid == kid)]
    if not candidates:
        detail = f"kid = {kid[:100]}" if kid else f"aucune clé {algorithm} active"
        raise LaunchRefused("unknown_key" if kid else "bad_signature", detail=detail, issuer=issuer)
    for key in candidates:
        try:
            claims = jwt.decode(
                token, key=keys.load_public_key(key.public_key, algorithm), algorithms=[algorithm],
                audience=audience(), issuer=issuer, leeway=LEEWAY_SECONDS, options={"require": list(REQUIRED)},
            )
        except jwt.InvalidSignatureError:
            continue  # maybe the next key of this issuer (rotation without kid)
        except jwt.ExpiredSignatureError as exc:
            raise LaunchRefused("expired", issuer=issuer) from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchRefused("not_yet_valid", detail="iat ou nbf dans le futur", issuer=issuer) from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchRefused("bad_audience", detail=f"aud attendu : {audience()}", issuer=issuer) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchRefused("missing_claims", detail=exc.claim, issuer=issuer) from exc
        except jwt.PyJWTError as exc:
            # iat/exp not numbers, iss not a string…: the token is signed but not to our profile.
            raise LaunchRefused("invalid_claims", issuer=issuer,
                                detail=f"iat, exp, nbf ou iss invalide ({type(exc).__name__}).") from exc
        if not all(isinstance(claims[c], int | float) and not isinstance(claims[c], bool) for c in ("iat", "exp")):
            raise LaunchRefused("invalid_claims", detail="iat et exp : nombres de secondes (NumericDate).",
                                issuer=issuer, key=key)
        if claims["exp"] - claims["iat"] > settings.LAUNCH_TOKEN_MAX_SECONDS:
            raise LaunchRefused("lifetime_too_long", issuer=issuer, key=key,
                                detail=f"exp - iat = {int(claims['exp'] - claims['iat'])} s")
        return Verified(key=key, claims=claims)
    raise LaunchRefused("bad_signature", issuer=issuer)


def parse(verified: Verified) -> LaunchRequest:
    """Read the launch claims of a verified token, or raise LaunchRefused (invalid_claims, missing_claims,
    bad_patient). Patient data are checked again by the matching rules (IdentityError)."""
    claims, key = verified.claims, verified.key

    def refuse(reason: str, detail: str, rpps: str = ""):
        return LaunchRefused(reason, detail=detail, issuer=key.issuer, key=key, rpps=rpps)

    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > 200 or has_control_chars(jti):
        raise refuse("invalid_claims", "jti : chaîne de 1 à 200 caractères attendue.")
    rpps = claims["sub"]
    if not isinstance(rpps, str) or not RPPS_RE.match(rpps):
        raise refuse("invalid_claims", "sub : le numéro RPPS du professionnel (11 chiffres) est attendu.")
    intent = claims.get("intent", "view")
    if intent not in INTENTS:
        raise refuse("invalid_claims", "intent : « view » ou « register ».", rpps)
    patient = claims.get("patient")
    if patient is None:
        raise refuse("missing_claims", "patient", rpps)
    if not isinstance(patient, dict):
        raise refuse("invalid_claims", "patient : un objet JSON est attendu.", rpps)
    try:
        identity = _identity(patient)
    except ValueError as exc:
        raise refuse("bad_patient", str(exc), rpps) from exc
    if not identity.ipp:
        raise refuse("missing_claims", "patient.ipp", rpps)
    return LaunchRequest(
        key=key, issuer=key.issuer, jti=jti, expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC), rpps=rpps,
        intent=intent, identity=identity,
    )


def _identity(patient: dict) -> IncomingIdentity:
    values: dict = {}
    for name, limit in PATIENT_TEXT_FIELDS.items():
        value = patient.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(f"patient.{name} : une chaîne de caractères est attendue.")
        if len(value) > limit:
            raise ValueError(f"patient.{name} : {limit} caractères au plus.")
        values[name] = value
    values["sex"] = values["sex"].upper()
    birth_date = patient.get("birth_date")
    if birth_date not in (None, ""):
        if not isinstance(birth_date, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", birth_date):
            raise ValueError("patient.birth_date : date AAAA-MM-JJ attendue.")
        try:
            values["birth_date"] = date.fromisoformat(birth_date)
        except ValueError as exc:
            raise ValueError("patient.birth_date : date inexistante.") from exc
        if values["birth_date"] > timezone.localdate():
            raise ValueError("patient.birth_date : date de naissance dans le futur.")
    ins = patient.get("ins")
    if ins not in (None, {}):
        if not isinstance(ins, dict) or not isinstance(ins.get("matricule"), str) \
                or not isinstance(ins.get("oid", ""), str):
            raise ValueError("patient.ins : objet { matricule, oid } attendu.")
        values["ins_matricule"], values["ins_oid"] = ins["matricule"][:30], ins.get("oid", "")[:64]
    return IncomingIdentity(**values)
