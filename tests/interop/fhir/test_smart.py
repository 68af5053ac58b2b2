"""SMART backend services: discovery, the client-credentials token endpoint (RFC 6749 §4.4 and its error forms),
scopes (v1 and v2, subset of the client's), token lifetime and revocation, `dcc api-client`, the admin."""

import base64
import hashlib
from datetime import timedelta
from io import StringIO
from urllib.parse import quote_plus, urlencode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.models import RateCounter, RefusalTally
from oncodcc.interop.smart import services
from oncodcc.interop.smart.models import AccessToken, ApiClient
from oncodcc.interop.smart.scopes import Grant, InvalidScope, parse
from tests import factories as f

from .conftest import Api, outcome

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def registered(hospital):
    return services.create_client(actor="test", name="DPI test", organisation=hospital,
                                  scopes="system/Patient.read system/DocumentReference.*")


def token_request(data: dict, **headers):
    return Client().post("/oauth/token", urlencode(data), content_type=FORM, headers=headers)


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json") and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == code and body["error_description"]
    return body


def test_discovery_document(db):
    for path in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        data = Client().get(path).json()
        assert data["token_endpoint"] == "http://testserver/oauth/token"
        assert data["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
        assert data["grant_types_supported"] == ["client_credentials"]
        assert data["capabilities"] == ["client-confidential-symmetric"]
        assert "system/Patient.read" in data["scopes_supported"]


def test_token_with_post_and_basic_credentials(registered):
    client, secret = registered
    body = token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                          "client_secret": secret}).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/Patient.read system/DocumentReference.*", "empty scope = all of the client's"
    stored = AccessToken.objects.get()
    assert stored.token_hash == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert body["access_token"] not in stored.token_hash
    assert (stored.expires_at - timezone.now()).total_seconds() == pytest.approx(300, abs=5)
    basic = base64.b64encode(f"{quote_plus(client.client_id)}:{quote_plus(secret)}".encode()).decode()
    narrow = token_request({"grant_type": "client_credentials", "scope": "system/Patient.rs"},
                           Authorization=f"Basic {basic}").json()
    assert narrow["scope"] == "system/Patient.rs"
    client.refresh_from_db()
    assert client.last_used_at is not None
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor_role="api_client").count() == 2


def test_token_errors(registered):
    client, secret = registered
    good = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    wrong = error(token_request({**good, "client_secret": "faux"}), 401, "invalid_client")
    assert wrong
    assert token_request({**good, "client_secret": "faux"})["WWW-Authenticate"].startswith("Basic")
    error(token_request({**good, "client_id": "inconnu"}), 401, "invalid_client")
    error(token_request({"grant_type": "client_credentials"}), 401, "invalid_client")
    error(token_request({**good, "grant_type": "password"}), 400, "unsupported_grant_type")
    error(token_request({k: v for k, v in good.items() if k != "grant_type"}), 400, "invalid_request")
    error(token_request({**good, "scope": "system/Patient.write"}), 400, "invalid_scope")
    error(token_request({**good, "scope": "system/*.read"}), 400, "invalid_scope")
    error(token_request({**good, "scope": "user/Patient.read"}), 400, "invalid_scope")
    error(token_request({**good, "scope": "system/Observation.read"}), 400, "invalid_scope")
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    error(token_request(good, Authorization=f"Basic {basic}"), 400, "invalid_request")  # two methods
    error(token_request({"grant_type": "client_credentials"}, Authorization="Basic !!!"), 400,
          "invalid_request")
    error(Client().post("/oauth/token", good), 400, "invalid_request")  # multipart, not a form
    error(Client().get("/oauth/token"), 405, "invalid_request")
    error(token_request({**good, "scope": "system/Patient.read\x00"}), 400, "invalid_request")
    assert not AccessToken.objects.exists()
    # Four failed authentications from one address: one aggregated event in the window (oncodcc.core.refusals).
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.details["count"] == 1 and event.ip_address == "127.0.0.1"
    assert RefusalTally.objects.get(kind="smart.token").pending == 3


def test_failed_authentications_are_throttled(registered, settings):
    client, secret = registered
    for _ in range(settings.SMART_TOKEN_FAILURE_LIMIT):
        error(token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                             "client_secret": "faux"}), 401, "invalid_client")
    response = token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                              "client_secret": secret})
    error(response, 429, "invalid_client")
    assert 0 < int(response["Retry-After"]) <= settings.SMART_TOKEN_FAILURE_WINDOW_SECONDS
    RateCounter.objects.all().delete()  # the window has passed
    assert token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                          "client_secret": secret}).status_code == 200


def test_bearer_token_checks(registered, hospital):
    client, secret = registered
    token = token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                           "client_secret": secret, "scope": "system/Patient.read"}).json()["access_token"]
    api = Api(token)
    assert api.get("Patient").status_code == 200
    response = api.get("DocumentReference")
    outcome(response, 403, "forbidden")
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    for bad in ("inconnu", token + "x"):
        response = Api(bad).get("Patient")
        outcome(response, 401, "login")
        assert response["WWW-Authenticate"] == 'Bearer realm="OncoDCC", error="invalid_token"'
    outcome(Api().client.get("/fhir/Patient", headers={"Authorization": f"Basic {token}"}), 401, "login")
    missing = Client().get("/fhir/Patient")
    outcome(missing, 401, "login")
    assert missing["WWW-Authenticate"] == 'Bearer realm="OncoDCC"'
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    outcome(api.get("Patient"), 401, "login")


def test_revoked_client_loses_its_tokens_at_once(registered):
    client, secret = registered
    token = token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                           "client_secret": secret}).json()["access_token"]
    assert Api(token).get("Patient").status_code == 200
    services.revoke_client(actor="test", client=client)
    outcome(Api(token).get("Patient"), 401, "login")
    error(token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                         "client_secret": secret}), 401, "invalid_client")


def test_scope_grammar():
    assert parse("system/Patient.read").actions == frozenset("rs")
    assert parse("system/Patient.write").actions == frozenset("cud")
    assert parse("system/DocumentReference.*").actions == frozenset("cruds")
    assert parse("system/Patient.cruds").actions == frozenset("cruds")
    assert parse("system/*.rs").resource == "*"
    for bad in ("system/Patient.rc", "system/Patient.rr", "patient/Patient.read", "system/Observation.read",
                "system/Patient", "system/Patient.readwrite", ""):
        with pytest.raises(InvalidScope):
            parse(bad)
    grant = Grant.of("system/*.read system/Patient.write")
    assert grant.allows("Binary", "r") and grant.allows("Patient", "c") and not grant.allows("Binary", "c")
    assert grant.covers(parse("system/*.rs")) and not grant.covers(parse("system/*.write"))
    assert Grant.of("system/Patient.read").covers(parse("system/Patient.s"))


def test_command_create_list_revoke(hospital):
    out = StringIO()
    call_command("api_client", "create", "DPI Nord", "--organisation", hospital.finess,
                 "--scopes", "system/Patient.* system/DocumentReference.*", stdout=out)
    text = out.getvalue()
    client = ApiClient.objects.get(name="DPI Nord")
    secret = next(line.split(" : ", 1)[1] for line in text.splitlines() if line.startswith("client_secret"))
    assert f"client_id : {client.client_id}" in text and "plus jamais affiché" in text
    assert client.organisation == hospital and client.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token_request({"grant_type": "client_credentials", "client_id": client.client_id,
                          "client_secret": secret}).status_code == 200
    listing = StringIO()
    call_command("api_client", "list", stdout=listing)
    assert "DPI Nord" in listing.getvalue() and secret not in listing.getvalue()
    call_command("api_client", "revoke", client.client_id, stdout=StringIO())
    client.refresh_from_db()
    assert client.active is False and not client.tokens.exists()


@pytest.mark.parametrize("args", [
    ["create", "X", "--organisation", "999999999", "--scopes", "system/Patient.read"],
    ["create", "X", "--scopes", "system/Observation.read"],
    ["create", "X", "--scopes", "system/Patient.write"],  # a regional client cannot write
    ["create", "X", "--scopes", ""],
    ["revoke", "inconnu"],
])
def test_command_refusals_exit_1(db, args):
    with pytest.raises(CommandError) as raised:
        call_command("api_client", *args, stdout=StringIO())
    assert raised.value.returncode == 1
    assert not ApiClient.objects.filter(active=True).exists()


def test_admin_shows_the_secret_once(hospital, client):
    admin = f.UserFactory(role="admin_dsrc", is_staff=True, organisation=f.DsrcFactory())
    client.force_login(admin)
    response = client.post("/admin/smart/apiclient/add/", {
        "name": "Infocentre", "organisation": "", "scopes": "system/*.read", "active": "on"}, follow=True)
    assert response.status_code == 200
    created = ApiClient.objects.get(name="Infocentre")
    messages = [str(m) for m in response.context["messages"]]
    assert any(created.client_id in m and "client_secret" in m for m in messages)
    page = client.get(f"/admin/smart/apiclient/{created.pk}/change/").content.decode()
    assert created.client_id in page and "client_secret" not in page
    refused = client.post("/admin/smart/apiclient/add/", {"name": "Écrivain", "organisation": "",
                                                          "scopes": "system/Patient.write", "active": "on"})
    assert refused.status_code == 200 and not ApiClient.objects.filter(name="Écrivain").exists()
    doctor = f.DoctorFactory(is_staff=True)
    client.force_login(doctor)
    assert client.get("/admin/smart/apiclient/").status_code in (302, 403)
