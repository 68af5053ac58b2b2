"""`/.well-known/smart-configuration` (public discovery) and `POST /oauth/token` (RFC 6749 §4.4 client
credentials, SMART backend services with a symmetric secret). Machine endpoints: no login redirect, no CSRF (no
cookie is involved), errors in the RFC 6749 §5.2 JSON form."""

import base64
import binascii
import json
from urllib.parse import unquote_plus

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from oncodcc.core.text import has_control_chars

from . import services
from .scopes import ADVERTISED, InvalidScope

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 8192


def _json(data: dict, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(error: str, description: str, status: int = 400, **headers: str) -> HttpResponse:
    return _json({"error": error, "error_description": description}, status, **headers)


def token_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("smart:token"))


@csrf_exempt
@login_not_required
def smart_configuration(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _error("invalid_request", "Méthode non prise en charge (GET).", 405, Allow="GET, HEAD")
    return _json({
        "token_endpoint": token_url(request),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ADVERTISED,
        "capabilities": ["client-confidential-symmetric"],
    })


class _BadRequest(Exception):
    pass


def _basic(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: client_id and secret are form-encoded, then base64 in the Basic scheme."""
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, binascii.Error, UnicodeDecodeError) as exc:
        raise _BadRequest("En-tête Authorization Basic illisible.") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _BadRequest("En-tête Authorization Basic illisible (client_id:secret attendu).")
    return unquote_plus(client_id), unquote_plus(secret)


def _credentials(request: HttpRequest) -> tuple[str, str]:
    """(client_id, secret) from the Authorization header (client_secret_basic) or the form (client_secret_post)."""
    header = request.headers.get("Authorization", "")
    in_body = "client_secret" in request.POST
    if header:
        if not header.lower().startswith("basic "):
            raise _BadRequest("Seule l'authentification Basic (client_secret_basic) est acceptée dans l'en-tête.")
        if in_body:
            raise _BadRequest("Une seule méthode d'authentification du client par requête (RFC 6749 §2.3).")
        client_id, secret = _basic(header)
        if request.POST.get("client_id", client_id) != client_id:
            raise _BadRequest("client_id du formulaire différent de celui de l'en-tête Authorization.")
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


@csrf_exempt
@login_not_required
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error("invalid_request", "Méthode non prise en charge : POST (formulaire) attendu.", 405,
                      Allow="POST")
    if request.content_type != FORM:
        return _error("invalid_request", f"Corps attendu en {FORM} (RFC 6749).")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return _error("invalid_request", "Requête trop volumineuse.", 413)
    try:
        fields = {name: request.POST.getlist(name) for name in request.POST}
    except Exception:  # any undecodable form is the sender's error
        return _error("invalid_request", "Formulaire illisible.")
    if any(len(values) > 1 for values in fields.values()):
        return _error("invalid_request", "Chaque paramètre ne peut être donné qu'une fois (RFC 6749 §3.2).")
    if any(has_control_chars(value) for values in fields.values() for value in values):
        return _error("invalid_request", "Caractère de contrôle interdit.")
    try:
        client_id, secret = _credentials(request)
    except _BadRequest as exc:
        return _error("invalid_request", str(exc))
    address = request.META.get("REMOTE_ADDR", "")
    if wait := services.throttled(client_id=client_id, address=address):
        services.note_refusal(address=address, reason="throttled")
        return _error("invalid_client", "Trop d'échecs d'authentification pour ce client depuis cette adresse : "
                      f"réessayez dans {wait} s.", 429, Retry_After=str(wait))
    client, why = services.authenticate_client(client_id=client_id, secret=secret)
    if client is None:
        services.note_failure(client_id=client_id, address=address, reason=why)
        # RFC 6749 §5.2: a 401 carries the challenge of the scheme the client used (Basic for both here).
        return _error("invalid_client", "Client inconnu, inactif ou secret incorrect.", 401,
                      WWW_Authenticate='Basic realm="OncoDCC"')
    grant_type = request.POST.get("grant_type", "")
    if not grant_type:
        return _error("invalid_request", "Paramètre grant_type manquant (client_credentials).")
    if grant_type != "client_credentials":
        return _error("unsupported_grant_type", "Seul grant_type=client_credentials est pris en charge.")
    try:
        issued = services.issue_token(client=client, requested=request.POST.get("scope", ""))
    except InvalidScope as exc:
        return _error("invalid_scope", str(exc))
    return _json({"access_token": issued.value, "token_type": "Bearer", "expires_in": issued.expires_in,
                  "scope": issued.scope})
