# ruff: noqa: F811 - the provider fixture imported from psc_provider is a parameter of the tests
"""Pro Santé Connect sign-in against a real OpenID provider on localhost (tests/accounts/psc_provider.py): the whole
code flow over HTTP, then each refusal — from the provider, of the tokens, of the identity and of the account —
with its effects: nobody signed in, the refusal audited, no identity in the application logs."""

import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.checks import run_checks
from joserfc.jwk import RSAKey

from oncodcc.accounts import psc, strong_auth
from oncodcc.audit.models import AuditEvent
from tests import factories as f

from .psc_provider import Professional, PscProvider, psc_provider  # noqa: F401 (fixture)

LOGIN = "/comptes/connexion/"
START = "/comptes/psc/connexion/"
CALLBACK = "http://testserver/comptes/psc/retour/"
pytestmark = pytest.mark.django_db


def psc_sign_in(client, provider, *, accept: bool = True, next_url: str = ""):
    """The login page's button, the provider's consent page, the return: the response of the return."""
    start = client.get(START + (f"?next={quote(next_url)}" if next_url else ""))
    assert start.status_code == 302, start.content.decode()
    return client.get(provider.consent(start["Location"], accept=accept))


@pytest.fixture
def doctor(psc_provider):
    user = f.DoctorFactory(username="dr.psc")
    psc_provider.professional = Professional.with_rpps(user.practitioner.rpps, user.first_name, user.last_name,
                                                       email="dr.psc@hopital.example")
    return user


def signed_in(client):
    return client.session.get(SESSION_KEY)


def actions(name):
    return AuditEvent.objects.filter(action=name)


# --- the login page -----------------------------------------------------------------------------------------------

def test_the_button_is_on_the_login_page_only_when_psc_is_configured(client, settings):
    settings.DCC_PSC_ISSUER = ""
    assert "Pro Santé Connect" not in client.get(LOGIN).content.decode()
    assert client.get(START).status_code == 404
    settings.DCC_PSC_ISSUER, settings.DCC_PSC_CLIENT_ID = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet", "x"
    page = client.get(LOGIN + "?next=/rcp/").content.decode()
    assert f'href="{START}?next=/rcp/"' in page and "Se connecter avec Pro Santé Connect" in page


# --- signing in -------------------------------------------------------------------------------------------------

def test_a_doctor_signs_in_with_psc_and_the_session_is_strong(client, psc_provider, doctor):
    response = psc_sign_in(client, psc_provider, next_url="/rcp/")

    assert response.status_code == 302 and response["Location"] == "/rcp/"
    assert signed_in(client) == str(doctor.pk)
    assert client.session[strong_auth.SESSION_KEY] == strong_auth.PRO_SANTE_CONNECT
    assert client.get("/").status_code == 200
    # What OncoDCC asked: PSC's scopes and level, with state, nonce and PKCE (S256) bound to the registered return.
    asked = psc_provider.authorization_requests[0]
    assert asked["scope"] == "openid scope_all" and asked["acr_values"] == "eidas1"
    assert asked["code_challenge_method"] == "S256" and asked["redirect_uri"] == CALLBACK
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    exchanged = psc_provider.token_requests[0]
    assert exchanged["redirect_uri"] == CALLBACK and len(exchanged["code_verifier"]) >= 43
    # Audited: the sign-in and how it was made.
    event = actions("auth.psc_login").get()
    assert event.actor_id == doctor.pk and event.object_id == str(doctor.pk)
    assert event.details == {"method": "psc", "acr": "eidas1", "auth_mode": ""}
    assert actions("auth.login").filter(actor_id=doctor.pk).exists()
    assert not actions("auth.psc_refused").exists()


def test_userinfo_as_a_signed_jwt_and_psc_discovery_address(client, psc_provider, doctor, settings):
    settings.DCC_PSC_DISCOVERY_URL = psc_provider.issuer + "/.well-known/wallet-openid-configuration"
    psc_provider.userinfo_format = "jwt"
    assert psc_sign_in(client, psc_provider).status_code == 302
    assert signed_in(client) == str(doctor.pk)


def test_id_token_signed_with_the_client_secret(client, psc_provider, doctor):
    psc_provider.algorithm = "HS256"
    assert psc_sign_in(client, psc_provider).status_code == 302
    assert signed_in(client) == str(doctor.pk)


def test_a_short_lived_access_token_still_reads_userinfo(client, psc_provider, doctor):
    psc_provider.access_token_seconds = 30  # within the minute of leeway Authlib's session keeps before expiry
    assert psc_sign_in(client, psc_provider).status_code == 302
    assert signed_in(client) == str(doctor.pk)


def test_psc_replaces_the_account_signed_in_before(client, psc_provider, doctor):
    other = f.DoctorFactory()
    client.force_login(other)
    assert psc_sign_in(client, psc_provider).status_code == 302
    assert signed_in(client) == str(doctor.pk)


def test_an_outside_next_address_is_ignored(client, psc_provider, doctor):
    response = psc_sign_in(client, psc_provider, next_url="https://ailleurs.example/piege")
    assert response.status_code == 302 and response["Location"] == "/"


# --- refusals of the tokens (nobody identified: audited in aggregate) ------------------------------------------

def other_key(kid=None):
    return RSAKey.generate_key(2048, parameters={"kid": kid} if kid else {"kid": "inconnue"}, private=True)


BAD_TOKENS = {
    "bad_audience": ({"id_token_claims": {"aud": "un-autre-service"}}, "Jeton destiné à un autre service"),
    "expired": ({"id_token_claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700}},
                "Jeton d'identité expiré"),
    "bad_nonce": ({"id_token_claims": {"nonce": "une-autre-connexion"}}, "Jeton d'identité rejoué"),
    "bad_issuer": ({"id_token_claims": {"iss": "https://faux.example/auth/realms/esante-wallet"}},
                   "Jeton d'identité invalide"),
    "insufficient_acr": ({"id_token_claims": {"acr": "eidas0"}}, "Niveau d'authentification insuffisant"),
    "invalid_claims": ({"id_token_claims": {"sub": None}}, "Jeton d'identité invalide"),
    "bad_userinfo": ({"userinfo_claims": {"sub": "quelqu-un-d-autre"}}, "Identité invalide"),
}


@pytest.mark.parametrize("reason", BAD_TOKENS)
def test_bad_tokens_are_refused(client, psc_provider, doctor, reason):
    switches, title = BAD_TOKENS[reason]
    for name, value in switches.items():
        setattr(psc_provider, name, value)
    response = psc_sign_in(client, psc_provider)
    assert_refused(client, response, reason, title)


@pytest.mark.parametrize("same_kid", [True, False], ids=["forged-with-the-published-kid", "unknown-kid"])
def test_a_token_not_signed_by_the_provider_is_refused(client, psc_provider, doctor, same_kid):
    psc_provider.signing_key = other_key(psc_provider.key.kid if same_kid else None)
    response = psc_sign_in(client, psc_provider)
    assert_refused(client, response, "bad_signature", "Jeton d'identité invalide")


def test_alg_none_is_refused(client, psc_provider, doctor):
    psc_provider.algorithm = "none"
    psc_provider.sign = lambda claims: _unsigned(claims)
    assert_refused(client, psc_sign_in(client, psc_provider), "bad_signature", "Jeton d'identité invalide")


def _unsigned(claims):
    import base64
    import json

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."


def assert_refused(client, response, reason, title, status=None):
    assert response.status_code == (status or psc.REASONS[reason].status)
    page = response.content.decode()
    assert title.replace("'", "&#x27;") in page and "Retour à la page de connexion" in page
    assert SESSION_KEY not in client.session
    assert not actions("auth.psc_login").exists() and not actions("auth.login").exists()
    event = actions("auth.psc_refused").get()
    assert event.details["reason"] == reason and event.details["aggregated"] is True
    assert event.actor_id is None


# --- refusals of the return ------------------------------------------------------------------------------------

def test_the_professional_refuses_on_psc(client, psc_provider, doctor):
    response = psc_sign_in(client, psc_provider, accept=False)
    assert_refused(client, response, "access_denied", "Connexion annulée")


def test_a_tampered_state_is_refused(client, psc_provider, doctor):
    start = client.get(START)
    back = urlsplit(psc_provider.consent(start["Location"]))
    query = {name: values[0] for name, values in parse_qs(back.query).items()}
    response = client.get(CALLBACK, {"code": query["code"], "state": "falsifie"})
    assert_refused(client, response, "bad_state", "Connexion à recommencer")
    assert psc_provider.token_requests == []  # the code was never exchanged


def test_a_return_is_used_once(client, psc_provider, doctor):
    start = client.get(START)
    back = psc_provider.consent(start["Location"])
    assert client.get(back).status_code == 302
    client.logout()
    response = client.get(back)
    assert response.status_code == 400 and SESSION_KEY not in client.session
    assert actions("auth.psc_refused").get().details["reason"] == "bad_state"


def test_a_return_without_a_flow_in_this_browser(client, psc_provider, doctor):
    start = client.get(START)
    back = psc_provider.consent(start["Location"])
    stranger = client.__class__()
    assert stranger.get(back).status_code == 400
    assert SESSION_KEY not in stranger.session


def test_an_expired_flow_is_refused(client, psc_provider, doctor):
    start = client.get(START)
    session = client.session
    session[psc.SESSION_FLOW] = {**session[psc.SESSION_FLOW], "started": time.time() - 3600}
    session.save()
    response = client.get(psc_provider.consent(start["Location"]))
    assert_refused(client, response, "flow_expired", "Connexion expirée")


def test_a_wrong_client_secret_is_refused_by_the_token_endpoint(client, psc_provider, doctor, settings):
    start = client.get(START)
    settings.DCC_PSC_CLIENT_SECRET = "pas-le-bon-secret"
    response = client.get(psc_provider.consent(start["Location"]))
    assert_refused(client, response, "token_refused", "Connexion refusée par Pro Santé Connect")


@pytest.mark.parametrize("when", ["at-the-start", "at-the-return"])
def test_the_provider_down_gives_a_french_page(client, psc_provider, doctor, when):
    if when == "at-the-start":
        psc_provider.down = True
        response = client.get(START)
    else:
        back = psc_provider.consent(client.get(START)["Location"])
        psc_provider.down = True
        response = client.get(back)
    assert_refused(client, response, "provider_unavailable", "Pro Santé Connect indisponible")


def test_the_provider_gone_gives_a_french_page(client, settings, db):
    with PscProvider() as provider:
        settings.DCC_PSC_ISSUER, settings.DCC_PSC_CLIENT_ID = provider.issuer, provider.client_id
        settings.DCC_PSC_CLIENT_SECRET = provider.client_secret
    psc.forget_provider()
    response = client.get(START)  # nothing listens on that port any more
    assert_refused(client, response, "provider_unavailable", "Pro Santé Connect indisponible")


# --- refusals of the identity and the account --------------------------------------------------------------------

def test_an_unknown_rpps_is_sent_to_the_account_request_with_the_identity(client, psc_provider):
    psc_provider.professional = Professional.with_rpps("10099999990", "Élise", "Lefèvre-Dupré",
                                                       email="elise.lefevre@exemple.fr")
    response = psc_sign_in(client, psc_provider)

    assert response.status_code == 302 and response["Location"] == psc.ACCOUNT_REQUEST_PATH == "/compte/demande/"
    assert client.session[psc.SESSION_IDENTITY] == {"rpps": "10099999990", "family_name": "Lefèvre-Dupré",
                                                    "given_name": "Élise", "email": "elise.lefevre@exemple.fr"}
    assert SESSION_KEY not in client.session and not actions("auth.psc_login").exists()
    event = actions("auth.psc_refused").get()
    assert event.reason == "unknown_rpps" and event.details["rpps"] == "10099999990"
    assert event.details["signature_verified"] is True and "aggregated" not in event.details
    assert "Lefèvre" not in str(event.details)


def test_a_practitioner_without_account_is_sent_to_the_account_request(client, psc_provider):
    practitioner = f.PractitionerFactory()
    psc_provider.professional = Professional.with_rpps(practitioner.rpps, practitioner.first_name,
                                                       practitioner.last_name)
    response = psc_sign_in(client, psc_provider)
    assert response["Location"] == "/compte/demande/"
    assert client.session[psc.SESSION_IDENTITY] == {"rpps": practitioner.rpps, "family_name": practitioner.last_name,
                                                    "given_name": practitioner.first_name}
    assert actions("auth.psc_refused").get().reason == "no_account"
    assert SESSION_KEY not in client.session


def test_an_inactive_account_is_refused(client, psc_provider, doctor):
    doctor.is_active = False
    doctor.save()
    response = psc_sign_in(client, psc_provider)
    assert response.status_code == 403 and "Compte désactivé" in response.content.decode()
    assert SESSION_KEY not in client.session and psc.SESSION_IDENTITY not in client.session
    event = actions("auth.psc_refused").get()
    assert event.reason == "inactive_account" and event.object_id == str(doctor.pk)
    assert not actions("auth.psc_login").exists()


def test_an_inactive_account_signs_out_the_session_of_another(client, psc_provider, doctor):
    doctor.is_active = False
    doctor.save()
    client.force_login(f.DoctorFactory())
    assert psc_sign_in(client, psc_provider).status_code == 403
    assert SESSION_KEY not in client.session


def test_a_professional_without_rpps_is_refused(client, psc_provider):
    psc_provider.professional = Professional(national_id="0751234567", given_name="Paul", family_name="Martin")
    psc_provider.userinfo_claims = {"otherIds": [{"identifiant": "0751234567", "origine": "ADELI", "qualite": 1}]}
    response = psc_sign_in(client, psc_provider)
    assert_refused(client, response, "no_rpps", "Pas de numéro RPPS")


def test_no_identity_in_the_application_logs(client, psc_provider, caplog):
    practitioner = f.PractitionerFactory(first_name="Hortense", last_name="Quatremare")
    psc_provider.professional = Professional.with_rpps(practitioner.rpps, "Hortense", "Quatremare")
    with caplog.at_level("DEBUG"):
        psc_sign_in(client, psc_provider)  # no account: refused
        user = f.DoctorFactory(practitioner=practitioner)
        psc_sign_in(client, psc_provider)  # signed in
    assert signed_in(client) == str(user.pk)
    # What the application and its HTTP stack log (factory_boy's own debug lines are the test's, not the app's).
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("factory"))
    assert "refused: reason=no_account" in logged
    for identity in ("Hortense", "Quatremare", practitioner.rpps):
        assert identity not in logged


# --- the national identifier, the configuration ----------------------------------------------------------------

@pytest.mark.parametrize(("claims", "rpps"), [
    ({"SubjectNameID": "810001234567"}, "10001234567"),
    ({"SubjectNameID": "ANS20231122132732", "otherIds": [{"identifiant": "810001234567", "origine": "RPPS"}]},
     "10001234567"),
    ({"otherIds": [{"identifiant": "10001234567", "origine": "RPPS"}]}, "10001234567"),
    ({"SubjectNameID": "0751234567", "otherIds": [{"identifiant": "0751234567", "origine": "ADELI"}]}, ""),
    ({"SubjectNameID": "8100012345"}, ""),
    ({"otherIds": "810001234567"}, ""),
])
def test_the_rpps_from_psc_claims(claims, rpps):
    assert psc.rpps_of(claims) == rpps


def test_configuration_check(settings):
    def errors():
        return sorted(message.id for message in run_checks() if message.id.startswith("oncodcc.E02"))

    settings.DCC_PSC_ISSUER = ""
    assert errors() == []
    settings.DCC_PSC_ISSUER, settings.DCC_PSC_CLIENT_ID, settings.DCC_PSC_CLIENT_SECRET = (
        "http://psc.example.org/auth/realms/esante-wallet", "", "")
    assert errors() == ["oncodcc.E020", "oncodcc.E021"]
    settings.DCC_PSC_ISSUER, settings.DCC_PSC_CLIENT_ID, settings.DCC_PSC_CLIENT_SECRET = (
        "http://127.0.0.1:8443/auth/realms/esante-wallet", "dcc", "secret")
    assert errors() == []
