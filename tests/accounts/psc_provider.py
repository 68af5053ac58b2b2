"""A small OpenID provider that answers like Pro Santé Connect, for the tests.

A stdlib HTTP server in a thread on 127.0.0.1 (a free port), under PSC's realm path: the discovery document (at the
standard and at PSC's `wallet-openid-configuration` address), the JWKS, an authorization page where the professional
consents with a button (or refuses: `error=access_denied`), a token endpoint (client_secret_basic, single-use codes
bound to the redirect URI, PKCE S256 required) and userinfo (JSON, or a JWT signed like the ID token). ID tokens are
RS256 JWTs with PSC's claims (`acr: eidas1`, `sid`, `auth_time`); the identity (`SubjectNameID` = 8 + RPPS,
`otherIds`, `given_name`, `family_name`, a short `SubjectRefPro`) is in userinfo, as at PSC.

Switches make it misbehave for the refusal tests: `id_token_claims` (claims changed in the ID tokens, None removes
one), `signing_key` (sign with a key it does not publish), `algorithm` (HS256 with the client secret),
`userinfo_claims`, `userinfo_format`, `access_token_seconds`, `down` (503 everywhere).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from oncodcc.accounts import psc

REALM = "/auth/realms/esante-wallet"


@dataclass
class Professional:
    """The professional whose e-CPS the provider accepts."""

    national_id: str  # SubjectNameID: "8" + RPPS for a professional listed in the RPPS
    given_name: str
    family_name: str
    email: str = ""

    @classmethod
    def with_rpps(cls, rpps: str, given_name: str, family_name: str, email: str = "") -> Professional:
        return cls(national_id="8" + rpps, given_name=given_name, family_name=family_name, email=email)

    def userinfo(self, sub: str) -> dict:
        claims = {
            "sub": sub, "SubjectNameID": self.national_id, "preferred_username": self.national_id,
            "given_name": self.given_name, "family_name": self.family_name, "codeCivilite": "DR",
            "otherIds": [{"identifiant": self.national_id, "origine": "RPPS", "qualite": 1}],
            "SubjectRole": ["10^1.2.250.1.213.1.1.5.5"], "UITVersion": "1.0",
            "SubjectRefPro": {"exercices": [{"codeProfession": "10", "codeCategorieProfessionnelle": "C",
                                             "nomDexercice": self.family_name, "prenomDexercice": self.given_name,
                                             "codeSavoirFaire": "SM36", "activities": []}]},
        }
        if self.email:
            claims["email"] = self.email
        return claims


class PscProvider:
    client_id = "oncodcc-tests"

    def __init__(self, host: str = "127.0.0.1"):
        self.host, self.port = host, 0
        self.client_secret = secrets.token_urlsafe(24)
        # A key id of its own: a JWKS cached from an earlier provider on the same port never matches.
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"psc-{uuid.uuid4().hex[:12]}", "use": "sig",
                                                         "alg": "RS256"}, private=True)
        self.professional: Professional | None = None
        self.id_token_claims: dict = {}
        self.userinfo_claims: dict = {}
        self.userinfo_format = "json"
        self.signing_key = None
        self.algorithm = "RS256"
        self.down = False
        self.access_token_seconds = 120
        self.authorization_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, str] = {}  # access token → sub
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://{self.host}:{self.port}{REALM}"

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base}/auth",  # PSC's wallet page is outside the realm, too
            "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
            "userinfo_endpoint": f"{self.issuer}/protocol/openid-connect/userinfo",
            "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
            "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "scope_all"], "acr_values_supported": ["eidas1"],
            "code_challenge_methods_supported": ["S256"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    # --- server -----------------------------------------------------------------------------------------------

    def start(self) -> PscProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._answer(*provider.handle("GET", self.path, self.headers, b""))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(*provider.handle("POST", self.path, self.headers, body))

            def _answer(self, status, headers, body: bytes):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PscProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def handle(self, method: str, target: str, headers, body: bytes):
        if self.down:
            return _text(503, "Service indisponible")
        url = urlsplit(target)
        routes = {
            ("GET", f"{REALM}/.well-known/openid-configuration"): lambda: _json(200, self.metadata()),
            ("GET", f"{REALM}/.well-known/wallet-openid-configuration"): lambda: _json(200, self.metadata()),
            ("GET", f"{REALM}/protocol/openid-connect/certs"): lambda: _json(200, {"keys": [
                self.key.as_dict(private=False)]}),
            ("GET", "/auth"): lambda: self.authorize(parse_qs(url.query)),
            ("POST", "/auth/decision"): lambda: self.decide(parse_qs(body.decode())),
            ("POST", f"{REALM}/protocol/openid-connect/token"): lambda: self.token(headers, parse_qs(body.decode())),
            ("GET", f"{REALM}/protocol/openid-connect/userinfo"): lambda: self.userinfo(headers),
        }
        route = routes.get((method, url.path))
        return route() if route else _text(404, "Not found")

    # --- endpoints --------------------------------------------------------------------------------------------

    def authorize(self, query: dict):
        params = {name: values[0] for name, values in query.items()}
        self.authorization_requests.append(params)
        problems = [name for name, ok in (
            ("client_id", params.get("client_id") == self.client_id),
            ("response_type", params.get("response_type") == "code"),
            ("scope", "openid" in params.get("scope", "").split()),
            ("redirect_uri", params.get("redirect_uri", "").startswith("http")),
            ("code_challenge_method", params.get("code_challenge_method") == "S256"),
            ("code_challenge", len(params.get("code_challenge", "")) == 43),
            ("state", bool(params.get("state"))), ("nonce", bool(params.get("nonce"))),
        ) if not ok]
        if problems:
            return _text(400, "Requête d'autorisation invalide : " + ", ".join(problems))
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._codes["request:" + request_id] = params
        who = self.professional
        name = f"{who.given_name} {who.family_name}" if who else "(aucune carte)"
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (test)</title></head>
<body><h1>Pro Santé Connect — fournisseur de test</h1>
<p>Application e-CPS de {html.escape(name)}. Autoriser OncoDCC à connaître votre identité ?</p>
<form method="post" action="/auth/decision"><input type="hidden" name="request" value="{request_id}">
<button type="submit" name="decision" value="accept">Accepter</button>
<button type="submit" name="decision" value="refuse">Refuser</button></form></body></html>"""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def decide(self, form: dict):
        with self._lock:
            params = self._codes.pop("request:" + form.get("request", [""])[0], None)
        if params is None:
            return _text(400, "Demande inconnue")
        answer = {"state": params["state"]}
        if form.get("decision", [""])[0] != "accept" or self.professional is None:
            answer["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = {**params, "sub": str(uuid.uuid5(uuid.NAMESPACE_OID, self.professional.national_id)),
                                     "professional": self.professional}
            answer["code"] = code
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return 302, {"Location": params["redirect_uri"] + separator + urlencode(answer)}, b""

    def token(self, headers, form: dict):
        params = {name: values[0] for name, values in form.items()}
        self.token_requests.append(params)
        scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if scheme != "Basic" or credentials != expected:
            return _json(401, {"error": "invalid_client"})
        with self._lock:
            grant = self._codes.pop(params.get("code", ""), None)  # single use
        if params.get("grant_type") != "authorization_code" or grant is None:
            return _json(400, {"error": "invalid_grant", "error_description": "Code inconnu ou déjà utilisé"})
        challenge = base64.urlsafe_b64encode(hashlib.sha256(params.get("code_verifier", "").encode()).digest())
        if params.get("redirect_uri") != grant["redirect_uri"] or challenge.rstrip(b"=").decode() != grant[
                "code_challenge"]:
            return _json(400, {"error": "invalid_grant", "error_description": "redirect_uri ou PKCE incorrect"})
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = grant
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant["sub"], "aud": self.client_id, "azp": self.client_id,
                  "exp": now + 120, "iat": now, "auth_time": now, "nonce": grant["nonce"], "acr": "eidas1",
                  "sid": str(uuid.uuid4()), "typ": "ID"}
        for name, value in self.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return _json(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": self.access_token_seconds,
                           "scope": grant["scope"], "id_token": self.sign(claims)})

    def userinfo(self, headers):
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        grant = self._tokens.get(token) if scheme == "Bearer" else None
        if grant is None:
            return _json(401, {"error": "invalid_token"})
        claims = {**grant["professional"].userinfo(grant["sub"]), **self.userinfo_claims}
        if self.userinfo_format == "jwt":
            return 200, {"Content-Type": "application/jwt"}, self.sign(
                {"iss": self.issuer, "aud": self.client_id, **claims}).encode()
        return _json(200, claims)

    def sign(self, claims: dict) -> str:
        if self.algorithm == "HS256":
            return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(self.client_secret))
        key = self.signing_key or self.key
        return jwt.encode({"alg": self.algorithm, "kid": key.kid}, claims, key)

    # --- a browser, for the tests without one ----------------------------------------------------------------

    def consent(self, authorization_url: str, *, accept: bool = True) -> str:
        """Open the authorization page and press a button, over HTTP: the redirect back to OncoDCC."""
        page = requests.get(authorization_url, timeout=10)
        assert page.status_code == 200, page.text
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)[1]
        answer = requests.post(f"{self.base}/auth/decision", timeout=10, allow_redirects=False,
                               data={"request": request_id, "decision": "accept" if accept else "refuse"})
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


def _json(status: int, data: dict):
    return status, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(data).encode()


def _text(status: int, text: str):
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


@pytest.fixture
def psc_provider(settings):
    """A running provider that OncoDCC is configured for (DCC_PSC_*), with nobody's card yet."""
    with PscProvider() as provider:
        settings.DCC_PSC_ISSUER = provider.issuer
        settings.DCC_PSC_CLIENT_ID = provider.client_id
        settings.DCC_PSC_CLIENT_SECRET = provider.client_secret
        settings.DCC_PSC_DISCOVERY_URL = ""
        psc.forget_provider()
        yield provider
    psc.forget_provider()
