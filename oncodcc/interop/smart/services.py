"""Writes of the API-client channel: register, revoke, authenticate a client, issue and check bearer tokens.

Secrets (256 bits) and tokens (256 bits) are random: a SHA-256 of them is as good as a slow password hash and
lets a bearer token be found with one indexed lookup. Comparisons are constant-time."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core import refusals, throttle
from oncodcc.core.actors import SystemActor
from oncodcc.core.text import has_control_chars

from .models import AccessToken, ApiClient
from .scopes import Grant, InvalidScope, parse_all

# Audit actions of this channel (not patient data: they never appear in a patient's access history).
CLIENT_CREATE = Action.API_CLIENT_CREATE
CLIENT_REVOKE = Action.API_CLIENT_REVOKE
# last_used_at is refreshed at most this often (one UPDATE per minute and client, not per request).
LAST_USED_PRECISION = timedelta(seconds=60)


class ClientError(ValueError):
    """A client cannot be registered as asked (French message)."""


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def actor_for(client: ApiClient) -> SystemActor:
    return SystemActor(label=f"client API {client.name}", role="api_client", organisation=client.organisation)


@transaction.atomic
def create_client(*, actor, name: str, organisation=None, scopes: str) -> tuple[ApiClient, str]:
    """A new client and its secret (returned once, never stored). Raises ClientError."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100 or has_control_chars(name):
        raise ClientError("Nom du client obligatoire (100 caractères au plus).")
    if ApiClient.objects.filter(name=name).exists():
        raise ClientError(f"Un client API nommé « {name} » existe déjà.")
    try:
        parsed = parse_all(scopes)
    except InvalidScope as exc:
        raise ClientError(str(exc)) from exc
    if not parsed:
        raise ClientError("Au moins un scope est nécessaire (p. ex. system/Patient.read).")
    writes = [s.text for s in parsed if s.actions & set("cud")]
    if writes and organisation is None:
        raise ClientError("Un client régional (sans établissement) ne peut pas écrire : scopes refusés : "
                          + ", ".join(writes) + ".")
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name, client_id=secrets.token_urlsafe(18), secret_hash=digest(secret), organisation=organisation,
        scopes=" ".join(s.text for s in parsed),
    )
    audit.record(actor=actor, action=CLIENT_CREATE, obj=client,
                 details={"client": client.client_id, "scopes": client.scopes,
                          "organisation": organisation.pk if organisation else None})
    return client, secret


def set_secret(client: ApiClient) -> str:
    """A new secret for a client being saved (admin form): the caller saves the client."""
    secret = secrets.token_urlsafe(32)
    client.secret_hash = digest(secret)
    if not client.client_id:
        client.client_id = secrets.token_urlsafe(18)
    return secret


@transaction.atomic
def revoke_client(*, actor, client: ApiClient) -> int:
    """Deactivate the client and drop its tokens at once. Returns the number of live tokens revoked."""
    client.active = False
    client.save(update_fields=["active"])
    revoked, _ = AccessToken.objects.filter(client=client).delete()
    audit.record(actor=actor, action=CLIENT_REVOKE, obj=client, details={"client": client.client_id,
                                                                         "tokens": revoked})
    return revoked


# --- token endpoint ---

def _throttle_key(client_id: str, address: str) -> str:
    # Per client id and address: a client failing does not stop other clients behind the same address, and a
    # stranger elsewhere does not stop a client. Digests: no client id or address in the counters table.
    return f"smart.token:{digest(client_id + chr(10) + address)}"


def throttled(*, client_id: str, address: str) -> int:
    """0 when this client id may try from this address, else the seconds to wait (Retry-After)."""
    window = settings.SMART_TOKEN_FAILURE_WINDOW_SECONDS
    if throttle.count(_throttle_key(client_id, address), window_seconds=window) < settings.SMART_TOKEN_FAILURE_LIMIT:
        return 0
    return throttle.seconds_left(window)


def note_failure(*, client_id: str, address: str, reason: str) -> None:
    """Count a failed client authentication (in the database: the same for every worker) and audit it, aggregated
    per address (oncodcc.core.refusals: one event per window with the count)."""
    throttle.hit(_throttle_key(client_id, address), window_seconds=settings.SMART_TOKEN_FAILURE_WINDOW_SECONDS)
    note_refusal(address=address, reason=reason)


def note_refusal(*, address: str, reason: str) -> None:
    refusals.note(kind="smart.token", action=Action.LOGIN_FAILED, source=address, reason=reason,
                  actor_label="client API non authentifié")


def authenticate_client(*, client_id: str, secret: str) -> tuple[ApiClient | None, str]:
    """(the active client with this id and secret, "") or (None, why: a reason code for the aggregated audit; the
    caller answers invalid_client whatever the reason)."""
    if not client_id or not secret or len(client_id) > 64 or len(secret) > 200:
        return None, "missing_credentials"
    client = ApiClient.objects.select_related("organisation").filter(client_id=client_id).first()
    if client is None:
        return None, "unknown_client"
    if not hmac.compare_digest(client.secret_hash, digest(secret)):
        return None, "bad_secret"
    if not client.active:
        return None, "inactive_client"
    return client, ""


@dataclass
class IssuedToken:
    value: str
    expires_in: int
    scope: str


@transaction.atomic
def issue_token(*, client: ApiClient, requested: str) -> IssuedToken:
    """A bearer token for the requested scopes (all of the client's when none is asked). Raises InvalidScope when
    a requested scope is unknown or beyond the client's."""
    grant = Grant.of(client.scopes)
    wanted = parse_all(requested) if requested.strip() else list(grant.scopes)
    beyond = [s.text for s in wanted if not grant.covers(s)]
    if beyond:
        raise InvalidScope("Scope(s) non autorisé(s) pour ce client : " + ", ".join(beyond) + ".")
    now = timezone.now()
    AccessToken.objects.filter(client=client, expires_at__lte=now).delete()
    value = secrets.token_urlsafe(32)
    lifetime = settings.SMART_TOKEN_SECONDS
    scope = " ".join(s.text for s in wanted)
    AccessToken.objects.create(token_hash=digest(value), client=client, scopes=scope,
                               expires_at=now + timedelta(seconds=lifetime))
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    audit.record(actor=actor_for(client), action=Action.LOGIN,
                 details={"client": client.client_id, "scope": scope, "expires_in": lifetime})
    return IssuedToken(value, lifetime, scope)


def token_for(raw: str) -> AccessToken | None:
    """The live token of an active client for this bearer value, else None. Notes the client's last use."""
    if not raw or len(raw) > 200:
        return None
    token = (AccessToken.objects.select_related("client__organisation")
             .filter(token_hash=digest(raw)).first())
    now = timezone.now()
    if token is None or token.expires_at <= now or not token.client.active:
        return None
    client = token.client
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_PRECISION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return token
