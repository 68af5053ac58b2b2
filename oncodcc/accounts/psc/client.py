"""The OpenID Connect client of Pro Santé Connect: discovery, the authorization request, the code exchange and the
checks of the ID token and of userinfo (see the package's docstring)."""

import hmac
import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from django.conf import settings
from django.core import checks
from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey

from .identity import Identity, identity_from
from .refusals import PscRefused

SESSION_FLOW = "psc_flow"
FLOW_MAX_AGE_SECONDS = 600  # from the button to the return from PSC
TIMEOUT_SECONDS = 10  # each call to the provider
METADATA_CACHE_SECONDS = 3600  # discovery document and JWKS (the JWKS is fetched again for an unknown key id)
LEEWAY_SECONDS = 60  # clock skew between PSC and us
ASYMMETRIC_ALGORITHMS = ("RS256", "PS256", "ES256")


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""


# --- configuration ----------------------------------------------------------------------------------------------

def enabled() -> bool:
    return bool(settings.DCC_PSC_ISSUER)


def discovery_url() -> str:
    return settings.DCC_PSC_DISCOVERY_URL or settings.DCC_PSC_ISSUER.rstrip("/") + "/.well-known/openid-configuration"


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register(checks.Tags.security)
def configuration_check(app_configs, **kwargs):
    """A PSC issuer without client credentials would show a button that always fails; a provider over plain http
    would expose the identity and the tokens (only a provider on this machine may be http: tests, a local double)."""
    if not enabled():
        return []
    errors = []
    if not settings.DCC_PSC_CLIENT_ID or not settings.DCC_PSC_CLIENT_SECRET:
        errors.append(checks.Error("DCC_PSC_ISSUER est défini sans DCC_PSC_CLIENT_ID et DCC_PSC_CLIENT_SECRET : "
                                   "la connexion Pro Santé Connect échouerait toujours.", id="oncodcc.E020"))
    for name, url in (("DCC_PSC_ISSUER", settings.DCC_PSC_ISSUER),
                      ("DCC_PSC_DISCOVERY_URL", settings.DCC_PSC_DISCOVERY_URL)):
        if url and urlsplit(url).scheme != "https" and not _is_loopback(url):
            errors.append(checks.Error(f"{name} doit être une adresse https (Pro Santé Connect).", id="oncodcc.E021"))
    return errors


# --- what the provider publishes (cached per process) ------------------------------------------------------------

_cache: dict[str, tuple[float, object]] = {}


def forget_provider() -> None:
    """Drop the cached discovery documents and keys (tests; a rotation of the provider's keys is handled without)."""
    _cache.clear()


def _fetch_json(url: str, what: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"})
        data = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as exc:
        raise PscRefused("provider_unavailable", detail=f"{what} : {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise PscRefused("provider_unavailable", detail=f"{what} : HTTP {response.status_code}")
    return data


def _cached(url: str, load, *, refresh: bool = False):
    hit = _cache.get(url)
    if hit is not None and not refresh and hit[0] > time.monotonic():
        return hit[1]
    value = load()
    _cache[url] = (time.monotonic() + METADATA_CACHE_SECONDS, value)
    return value


def provider() -> Provider:
    """The provider's endpoints, from its discovery document, whose issuer must be the configured one."""
    url = discovery_url()

    def load() -> Provider:
        data = _fetch_json(url, "découverte")
        if str(data.get("issuer", "")).rstrip("/") != settings.DCC_PSC_ISSUER.rstrip("/"):
            raise PscRefused("provider_unavailable", detail="découverte : l'émetteur annoncé n'est pas DCC_PSC_ISSUER")
        try:
            return Provider(issuer=data["issuer"], authorization_endpoint=data["authorization_endpoint"],
                            token_endpoint=data["token_endpoint"], jwks_uri=data["jwks_uri"],
                            userinfo_endpoint=data.get("userinfo_endpoint") or "")
        except KeyError as exc:
            raise PscRefused("provider_unavailable", detail=f"découverte : {exc.args[0]} absent") from exc

    return _cached(url, load)


def _key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    def load() -> KeySet:
        try:
            return KeySet.import_key_set(_fetch_json(jwks_uri, "clés (JWKS)"))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise PscRefused("provider_unavailable", detail="clés (JWKS) illisibles") from exc

    return _cached(jwks_uri, load, refresh=refresh)


# --- the flow ---------------------------------------------------------------------------------------------------

def _client(redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(settings.DCC_PSC_CLIENT_ID, settings.DCC_PSC_CLIENT_SECRET, scope=settings.DCC_PSC_SCOPES,
                         redirect_uri=redirect_uri, code_challenge_method="S256", default_timeout=TIMEOUT_SECONDS)


def begin(session, *, redirect_uri: str, next_url: str) -> str:
    """Start a sign-in: keep state, nonce and PKCE verifier in the session, return the provider's authorization URL.
    A new start replaces an unfinished one (one flow per browser)."""
    endpoints = provider()
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _ = _client(redirect_uri).create_authorization_url(
        endpoints.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce,
        acr_values=settings.DCC_PSC_ACR_VALUES)
    session[SESSION_FLOW] = {"state": state, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri,
                             "next": next_url, "started": time.time()}
    return url


def complete(session, params) -> tuple[Identity, str]:
    """Finish a sign-in from the provider's answer (the callback's query): the verified identity, and where the
    professional was going. The flow is consumed whatever happens: a return is used once."""
    flow = session.pop(SESSION_FLOW, None)
    state = params.get("state") or ""
    if not flow or not hmac.compare_digest(state.encode(), flow["state"].encode()):
        raise PscRefused("bad_state")
    if time.time() - flow["started"] > FLOW_MAX_AGE_SECONDS:
        raise PscRefused("flow_expired")
    if params.get("error"):
        error = params["error"][:60]
        raise PscRefused("access_denied" if error == "access_denied" else "provider_error", detail=f"error={error}")
    if not params.get("code"):
        raise PscRefused("provider_error", detail="code absent")
    endpoints = provider()
    client = _client(flow["redirect_uri"])
    try:
        token = client.fetch_token(endpoints.token_endpoint, grant_type="authorization_code", code=params["code"],
                                   code_verifier=flow["verifier"])
    except OAuthError as exc:
        raise PscRefused("token_refused", detail=f"error={str(exc.error)[:60]}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise PscRefused("provider_unavailable", detail=f"jeton : {type(exc).__name__}") from exc
    if not isinstance(token.get("id_token"), str):
        raise PscRefused("invalid_claims", detail="id_token absent de la réponse")
    claims = _verified_claims(token["id_token"], endpoints)
    _check_id_token(claims, endpoints, nonce=flow["nonce"])
    if endpoints.userinfo_endpoint and token.get("access_token"):
        # The checked ID token wins over userinfo for the claims both carry (acr, sub…).
        claims = {**_userinfo(endpoints, token["access_token"], subject=claims["sub"]), **claims}
    return identity_from(claims), flow["next"]


def _verified_claims(token: str, endpoints: Provider) -> dict:
    """The claims of a JWT signed by the provider: with one of its published keys (the JWKS is fetched again once
    for an unknown key id: a rotation), or with the client secret for HS256. Never `alg: none`."""
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError) as exc:
        raise PscRefused("bad_signature", detail="jeton illisible") from exc
    algorithm = header.get("alg")
    if algorithm == "HS256":
        key = OctKey.import_key(settings.DCC_PSC_CLIENT_SECRET)
    elif algorithm in ASYMMETRIC_ALGORITHMS:
        key = _signing_key(endpoints.jwks_uri, header.get("kid"))
    else:
        raise PscRefused("bad_signature", detail=f"algorithme refusé : {str(algorithm)[:20]}")
    try:
        return jwt.decode(token, key, algorithms=[algorithm]).claims
    except JoseError as exc:
        raise PscRefused("bad_signature", detail=type(exc).__name__) from exc


def _signing_key(jwks_uri: str, kid):
    for refresh in (False, True):
        try:
            return _key_set(jwks_uri, refresh=refresh).get_by_kid(kid)
        except InvalidKeyIdError:
            continue
    raise PscRefused("bad_signature", detail="clé inconnue (kid) du fournisseur")


def _check_id_token(claims: dict, endpoints: Provider, *, nonce: str) -> None:
    """OpenID Connect Core 3.1.3.7 for a confidential client, plus the level of authentication PSC attests."""
    client_id = settings.DCC_PSC_CLIENT_ID
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS, iss={"essential": True, "value": endpoints.issuer}, sub={"essential": True},
        aud={"essential": True, "value": client_id}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce})
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise PscRefused("expired") from exc
    except ClaimError as exc:
        reason = {"iss": "bad_issuer", "aud": "bad_audience", "nonce": "bad_nonce"}.get(exc.claim, "invalid_claims")
        raise PscRefused(reason, detail=f"revendication {exc.claim}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise PscRefused("bad_audience", detail="plusieurs destinataires sans azp OncoDCC")
    expected = settings.DCC_PSC_ACR_VALUES.split()
    if expected and claims.get("acr") not in expected:
        raise PscRefused("insufficient_acr", detail=f"acr={str(claims.get('acr'))[:30]}")


def _userinfo(endpoints: Provider, access_token: str, *, subject: str) -> dict:
    """The userinfo answer, JSON or a JWT signed by the provider (then its iss and aud, when given, are checked);
    its `sub` must be the ID token's (Core 5.3.2), otherwise it speaks of someone else. Asked with the bearer token
    directly: Authlib's session would hold back a token that expires within its minute of leeway."""
    try:
        response = requests.get(endpoints.userinfo_endpoint, timeout=TIMEOUT_SECONDS,
                                headers={"Authorization": f"Bearer {access_token}"})
    except requests.RequestException as exc:
        raise PscRefused("provider_unavailable", detail=f"userinfo : {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise PscRefused("provider_unavailable", detail=f"userinfo : HTTP {response.status_code}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/jwt":
        claims = _verified_claims(response.text.strip(), endpoints)
        audience = claims.get("aud", settings.DCC_PSC_CLIENT_ID)
        if claims.get("iss", endpoints.issuer) != endpoints.issuer or settings.DCC_PSC_CLIENT_ID not in (
                audience if isinstance(audience, list) else [audience]):
            raise PscRefused("bad_userinfo", detail="userinfo signé : iss ou aud inattendu")
    else:
        try:
            claims = response.json()
        except ValueError as exc:
            raise PscRefused("provider_unavailable", detail="userinfo : JSON illisible") from exc
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        raise PscRefused("bad_userinfo", detail="userinfo : sub différent de celui du jeton d'identité")
    return claims
