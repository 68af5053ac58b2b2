"""The second factor (issue 10): after the password, a TOTP code or a single-use recovery code; nothing opens with a
password alone; wrong codes are audited and lock the account for a while; an account without a device enrols."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.accounts.models import SecondFactorThrottle
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.interop.smart import services as smart
from oncodcc.patients.models import Patient
from tests import factories as f
from tests import samples
from tests.auth import (
    SETUP,
    VERIFY,
    enrol,
    enter_code,
    force_login_password_only,
    password_login,
    totp,
    wrong_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return f.DoctorFactory(username="dr.otp")


@pytest.fixture
def enrolled(doctor):
    secret, codes = enrol(doctor)
    return doctor, secret, codes


def text(response) -> str:
    return unescape(response.content.decode())


def signed_in_with_password(client, user) -> None:
    response = password_login(client, user.username)
    assert response.status_code == 302


def events(action: str, user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, actor_id=user.pk).order_by("pk"))


# --- a password alone opens nothing --------------------------------------------------------------------------------


def test_the_password_leads_to_the_code_page_with_next(client, enrolled):
    doctor, _, _ = enrolled
    response = password_login(client, doctor.username, next_url="/rcp/calendrier/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Frcp%2Fcalendrier%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Second facteur" in text(page)
    assert 'value="/rcp/calendrier/"' in text(page)


PAGES = ["/", "/patients/", "/rcp/", "/rcp/calendrier/", "/admin/", "/admin/accounts/user/",
         "/comptes/double-facteur/codes-de-secours/", "/statistiques/"]


@pytest.mark.parametrize("path", PAGES)
def test_a_password_only_session_is_sent_to_the_code_page_from_every_page(client, enrolled, path):
    doctor, _, _ = enrolled
    doctor.is_staff = True
    doctor.role = "sysadmin"
    doctor.save()
    signed_in_with_password(client, doctor)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")


def test_htmx_requests_get_an_hx_redirect(client, enrolled):
    doctor, _, _ = enrolled
    signed_in_with_password(client, doctor)
    response = client.get("/patients/", {"q": "Martin"},
                          headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/"})
    assert response.status_code == 200 and not response.content
    assert response["HX-Redirect"] == f"{VERIFY}?next=%2Fpatients%2F"


def test_posts_are_refused_too(client, enrolled):
    doctor, _, _ = enrolled
    signed_in_with_password(client, doctor)
    response = client.post("/patients/nouveau/", {"birth_name": "DUPONT", "given_names": "Jean",
                                                  "birth_date": "1960-01-02", "sex": "M"})
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert not Patient.objects.exists()


def test_session_apis_see_a_password_only_session_as_anonymous(client, enrolled):
    doctor, _, _ = enrolled
    signed_in_with_password(client, doctor)
    api = client.get("/api/v1/fiches/1")
    assert api.status_code == 401 and api.json()["detail"].startswith("Authentification requise")
    fhir = client.get("/fhir/Patient", headers={"Accept": "application/fhir+json"})
    assert fhir.status_code == 401
    assert client.get("/health").status_code == 200


def test_token_authenticated_fhir_calls_are_untouched(client, enrolled):
    """The FHIR API authenticates machines by bearer token: a password-only browser session next to it changes
    nothing, and the token works with or without it."""
    doctor, _, _ = enrolled
    api_client, secret = smart.create_client(actor="test", name="DPI test", organisation=samples.hospital(),
                                             scopes="system/Patient.read")
    form = urlencode({"grant_type": "client_credentials", "client_id": api_client.client_id, "client_secret": secret})
    token = Client().post("/oauth/token", form, content_type="application/x-www-form-urlencoded").json()["access_token"]
    headers = {"Accept": "application/fhir+json", "Authorization": f"Bearer {token}"}
    assert Client().get("/fhir/Patient", headers=headers).status_code == 200
    signed_in_with_password(client, doctor)
    assert client.get("/fhir/Patient", headers=headers).status_code == 200


# --- the code ----------------------------------------------------------------------------------------------------


def test_the_right_code_completes_the_sign_in(client, enrolled):
    doctor, secret, _ = enrolled
    signed_in_with_password(client, doctor)
    weak_key = client.session.session_key
    response = enter_code(client, totp(secret), next_url="/rcp/calendrier/")
    assert response.status_code == 302 and response["Location"] == "/rcp/calendrier/"
    assert client.get("/").status_code == 200
    assert client.session.session_key != weak_key  # a new session key for the raised privilege
    assert [e.details["method"] for e in events(Action.OTP_VERIFIED, doctor)] == ["totp"]
    assert client.get(VERIFY).status_code == 302  # nothing more to ask


def test_a_next_elsewhere_is_not_followed(client, enrolled):
    doctor, secret, _ = enrolled
    signed_in_with_password(client, doctor)
    response = enter_code(client, totp(secret), next_url="https://ailleurs.example/")
    assert response["Location"] == "/"


def test_a_wrong_code_is_refused_and_audited(client, enrolled, settings):
    doctor, secret, _ = enrolled
    signed_in_with_password(client, doctor)
    response = enter_code(client, wrong_code(secret))
    assert response.status_code == 200
    assert "Code incorrect." in text(response)
    assert f"Encore {settings.DCC_OTP_FAILURE_LIMIT - 1} essais" in text(response)
    assert client.get("/").status_code == 302  # still at the second step
    [event] = events(Action.OTP_FAILED, doctor)
    assert event.details == {"method": "totp", "reason": "wrong", "failures": 1, "locked_minutes": 0}
    assert event.object_id == str(doctor.pk) and not events(Action.OTP_VERIFIED, doctor)


def test_a_code_already_used_is_refused(enrolled):
    doctor, secret, _ = enrolled
    first, second = Client(), Client()
    signed_in_with_password(first, doctor)
    code = totp(secret)
    assert enter_code(first, code).status_code == 302
    signed_in_with_password(second, doctor)
    response = enter_code(second, code)
    assert response.status_code == 200 and "Ce code a déjà servi" in text(response)
    assert second.get("/").status_code == 302
    assert events(Action.OTP_FAILED, doctor)[0].details["reason"] == "reused"


def test_a_malformed_code_is_explained_not_counted(client, enrolled):
    doctor, _, _ = enrolled
    signed_in_with_password(client, doctor)
    for typed in ("12345", "abc", "1234567"):
        response = enter_code(client, typed)
        assert "n'a pas le bon format" in text(response)
    assert "Saisissez le code" in text(enter_code(client, "  "))
    assert not events(Action.OTP_FAILED, doctor) and not SecondFactorThrottle.objects.exists()


def test_a_recovery_code_works_once(enrolled):
    doctor, _, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", code) for code in codes)
    first, second = Client(), Client()
    signed_in_with_password(first, doctor)
    response = enter_code(first, f"  {codes[3].upper()} ")  # case and spaces do not matter
    assert response.status_code == 302
    assert "il vous en reste 9" in text(first.get(response["Location"]))
    [used] = events(Action.RECOVERY_CODE_USED, doctor)
    assert used.details == {"remaining": 9}

    signed_in_with_password(second, doctor)
    response = enter_code(second, codes[3])
    assert response.status_code == 200 and "Code incorrect." in text(response)
    assert second.get("/").status_code == 302
    assert events(Action.OTP_FAILED, doctor)[0].details["method"] == "recovery_code"
    assert StaticToken.objects.filter(device__user=doctor).count() == 9


def test_regenerating_recovery_codes_replaces_them(client, enrolled):
    doctor, secret, old = enrolled
    signed_in_with_password(client, doctor)
    enter_code(client, totp(secret))
    page = client.get("/comptes/double-facteur/codes-de-secours/")
    assert "Il vous reste 10 codes de secours" in re.sub(r"\s+", " ", text(page).replace("<strong>", "")
                                                          .replace("</strong>", ""))
    response = client.post("/comptes/double-facteur/codes-de-secours/")
    new = re.findall(r"<li>([a-z2-7]{5}-[a-z2-7]{5})</li>", text(response))
    assert len(new) == 10 and not set(new) & set(old)
    assert response["Cache-Control"].startswith("max-age=0")  # shown once, never cached
    other = Client()
    signed_in_with_password(other, doctor)
    assert enter_code(other, old[0]).status_code == 200  # the old ones are gone
    assert enter_code(other, new[0]).status_code == 302


# --- lockout ---------------------------------------------------------------------------------------------------


def test_wrong_codes_lock_the_account_for_a_growing_while(enrolled, settings):
    doctor, secret, codes = enrolled
    settings.DCC_LOGIN_COOLOFF_BASE = timedelta(minutes=15)
    client = Client(REMOTE_ADDR="192.0.2.10")
    signed_in_with_password(client, doctor)
    for _ in range(settings.DCC_OTP_FAILURE_LIMIT - 1):
        assert enter_code(client, wrong_code(secret)).status_code == 200
    locked = enter_code(client, wrong_code(secret))
    assert locked.status_code == 429 and "Second facteur temporairement bloqué" in text(locked)
    assert "15 minutes" in text(locked)
    assert events(Action.OTP_FAILED, doctor)[-1].details["locked_minutes"] == 15

    # Locked for the account, whatever the address, the right code and recovery codes included.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    signed_in_with_password(elsewhere, doctor)
    assert enter_code(elsewhere, totp(secret)).status_code == 429
    assert enter_code(elsewhere, codes[0]).status_code == 429
    assert elsewhere.get(VERIFY).status_code == 429
    assert elsewhere.get("/").status_code == 302
    assert len(events(Action.OTP_FAILED, doctor)) == settings.DCC_OTP_FAILURE_LIMIT  # nothing checked while locked
    assert StaticToken.objects.filter(device__user=doctor).count() == 10

    # The cool-off passes: the right code works; a second lockout the same day lasts twice as long.
    SecondFactorThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert enter_code(elsewhere, totp(secret)).status_code == 302
    again = Client()
    signed_in_with_password(again, doctor)
    for _ in range(settings.DCC_OTP_FAILURE_LIMIT):
        response = enter_code(again, wrong_code(secret))
    assert response.status_code == 429 and "30 minutes" in text(response)


# --- enrolment ---------------------------------------------------------------------------------------------------


def test_an_account_without_device_is_sent_to_enrolment_and_enrols(client, doctor):
    response = password_login(client, doctor.username, next_url="/rcp/")
    assert response["Location"] == f"{SETUP}?next=%2Frcp%2F"
    assert client.get("/").status_code == 302 and client.get("/")["Location"].startswith(SETUP)
    assert client.get(VERIFY)["Location"].startswith(SETUP)

    page = text(client.get(response["Location"]))
    assert "<svg" in page and 'class="otp-qr"' in page and "<img" not in page
    secret = re.search(r'<code class="otp-secret" id="otp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert text(client.get(response["Location"])).count(secret) == 1  # the same secret on reload

    wrong = client.post(SETUP, {"code": wrong_code(secret), "next": "/rcp/"})
    assert "Code incorrect" in text(wrong) and not TOTPDevice.objects.filter(user=doctor, confirmed=True).exists()

    done = client.post(SETUP, {"code": totp(secret), "next": "/rcp/"})
    assert done.status_code == 200 and "Second facteur activé" in text(done)
    codes = re.findall(r"<li>([a-z2-7]{5}-[a-z2-7]{5})</li>", text(done))
    assert len(codes) == 10 and 'href="/rcp/"' in text(done)
    assert client.get("/rcp/").status_code == 200
    device = TOTPDevice.objects.get(user=doctor)
    assert device.confirmed and f"secret={secret.replace(' ', '')}" in device.config_url
    assert "issuer=OncoDCC" in device.config_url
    [event] = events(Action.OTP_ENROL, doctor)
    assert event.details == {"step": "device", "recovery_codes": 10}
    # Enrolled: the enrolment page is not a way to replace the device.
    assert client.get(SETUP)["Location"] == "/comptes/double-facteur/codes-de-secours/"


def test_an_enrolled_account_cannot_enrol_another_device_with_its_password(client, enrolled):
    doctor, _, _ = enrolled
    signed_in_with_password(client, doctor)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=doctor).count() == 1


def test_force_login_password_only_is_the_password_step(client, enrolled):
    doctor, _, _ = enrolled
    force_login_password_only(client, doctor)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_without_the_requirement_the_password_is_enough(client, doctor, settings):
    settings.DCC_REQUIRE_OTP = False
    response = password_login(client, doctor.username)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_deploy_check_refuses_the_opt_out_outside_debug(settings):
    from oncodcc.core.checks import development_defaults_in_production

    settings.DCC_REQUIRE_OTP, settings.DEBUG = False, False
    assert "oncodcc.E010" in {e.id for e in development_defaults_in_production(None)}
    settings.DEBUG = True
    assert "oncodcc.E010" not in {e.id for e in development_defaults_in_production(None)}
    settings.DCC_REQUIRE_OTP, settings.DEBUG = True, False
    assert "oncodcc.E010" not in {e.id for e in development_defaults_in_production(None)}
