"""Activation and password-reset links, as emailed (real SMTP server): the token leaves the address bar, the
password is checked by the validators, a link works once and for its lifetime only, a forged or foreign link is
refused with a French page, and "mot de passe oublié" answers the same whatever the address."""

from datetime import datetime, timedelta

import pytest

from oncodcc.accounts import links, passwords, strong_auth
from oncodcc.accounts.models import User
from oncodcc.audit.models import AuditEvent
from tests import factories as f
from tests.auth import enrol, enter_code, password_login, totp

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Un-Tout-Nouveau-Secret-2026"
FORGOTTEN = "/comptes/mot-de-passe-oublie/"


@pytest.fixture
def newcomer(db):
    user = f.DoctorFactory(username="dr.nouvelle", email="nouvelle@example.org")
    user.set_unusable_password()
    user.save()
    return user


def path_of(link: str) -> str:
    return link.split("testserver", 1)[1]


def open_link(client, link: str):
    """Follow the link as a browser: the token is swapped for a placeholder; returns the page."""
    first = client.get(path_of(link))
    assert first.status_code == 302 and "/saisie/" in first["Location"] and "saisie" not in path_of(link)
    return first["Location"], client.get(first["Location"])


def test_activation_sets_the_password_then_asks_the_second_factor(client, newcomer, mailbox):
    passwords.send_activation(user=newcomer)
    link = mailbox.link("nouvelle@example.org")
    assert link.startswith("http://127.0.0.1:8000/comptes/activation/")  # DCC_SITE_URL outside a request
    url, page = open_link(client, link.replace("http://127.0.0.1:8000", "http://testserver"))
    assert page.status_code == 200 and "Activation de votre compte" in page.content.decode()

    weak = client.post(url, {"password1": "dr.nouvelle", "password2": "dr.nouvelle"})
    assert weak.status_code == 200 and "au minimum 12 caractères" in weak.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()

    done = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"].startswith("/comptes/double-facteur/enrolement/")
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert client.session.get("_auth_user_id") == str(newcomer.pk)
    assert strong_auth.SESSION_KEY not in client.session  # password only: the enrolment comes next
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="account.activate", object_id=str(newcomer.pk)).exists()

    # Used: the same link no longer works.
    client.logout()
    _, again = open_link(client, link.replace("http://127.0.0.1:8000", "http://testserver"))
    assert again.status_code == 404 and "plus valable" in again.content.decode()


def test_expired_link_gets_its_own_page(client, newcomer, monkeypatch, settings):
    link = links.path(links.ACTIVATION, newcomer)
    # Django's generator counts in naive local time (datetime.now()).
    later = datetime.now() + timedelta(hours=settings.DCC_ACCOUNT_LINK_HOURS, minutes=1)
    monkeypatch.setattr(links.TOKENS[links.ACTIVATION], "_now", lambda: later)
    _, page = open_link(client, "http://testserver" + link)
    assert page.status_code == 410 and "Ce lien a expiré" in page.content.decode()
    assert "72 heures" in page.content.decode()


def test_forged_and_crossed_links_are_refused(client, newcomer):
    good = links.path(links.ACTIVATION, newcomer)
    forged = good.rsplit("-", 1)[0] + "-" + "0" * 32 + "/"
    _, page = open_link(client, "http://testserver" + forged)
    assert page.status_code == 404
    # An activation token is not a reset token (a salt per purpose).
    crossed = good.replace("/comptes/activation/", "/comptes/mot-de-passe/")
    _, page = open_link(client, "http://testserver" + crossed)
    assert page.status_code == 404
    # Another account's id with this token.
    other = f.DoctorFactory()
    uid = good.split("/")[3]
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode
    _, page = open_link(client, "http://testserver" + good.replace(uid, urlsafe_base64_encode(force_bytes(other.pk))))
    assert page.status_code == 404
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_deactivated_account_link_does_not_work(client, newcomer):
    link = links.path(links.ACTIVATION, newcomer)
    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    _, page = open_link(client, "http://testserver" + link)
    assert page.status_code == 404


def test_forgotten_password_same_answer_and_second_factor_kept(client, mailbox):
    user = f.DoctorFactory(username="dr.oublie", email="oublie@example.org")
    secret, _ = enrol(user)
    unknown = client.post(FORGOTTEN, {"email": "personne@example.org"})
    known = client.post(FORGOTTEN, {"email": "Oublie@Example.org"})
    assert unknown.status_code == known.status_code == 302 and unknown["Location"] == known["Location"]
    assert len(mailbox.messages) == 1 and mailbox.messages[0]["Subject"] == "Nouveau mot de passe OncoDCC"

    link = mailbox.link("oublie@example.org")
    url, page = open_link(client, link)
    assert "Votre second facteur reste le même" in page.content.decode()
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/comptes/connexion/"
    assert "_auth_user_id" not in client.session  # not signed in by the link
    assert {e.details["step"] for e in AuditEvent.objects.filter(action="account.password_reset")} == {
        "asked", "done"}

    # The next sign-in asks the same second factor.
    response = password_login(client, "dr.oublie", NEW_PASSWORD)
    assert response["Location"].startswith("/comptes/double-facteur/")
    assert "enrolement" not in response["Location"]
    assert enter_code(client, totp(secret)).status_code == 302
    assert client.get("/").status_code == 200

    client.logout()
    _, again = open_link(client, link)
    assert again.status_code == 404  # used


def test_forgotten_password_of_a_never_activated_account_sends_a_new_activation_link(client, newcomer, mailbox):
    client.post(FORGOTTEN, {"email": "nouvelle@example.org"})
    [message] = mailbox.messages
    assert message["Subject"] == "Activez votre compte OncoDCC"
    assert "/comptes/activation/" in mailbox.link("nouvelle@example.org")


def test_forgotten_password_mail_failure_answers_the_same(client, mailbox):
    f.DoctorFactory(email="panne@example.org")
    mailbox.relay.reply = "451 4.3.0 Réessayez plus tard"
    response = client.post(FORGOTTEN, {"email": "panne@example.org"})
    assert response.status_code == 302 and response["Location"] == "/comptes/mot-de-passe-oublie/envoye/"


def test_forgotten_password_is_rate_limited(client, settings, mailbox):
    settings.DCC_ACCOUNT_FORMS_PER_HOUR = 1
    f.DoctorFactory(email="limite@example.org")
    assert client.post(FORGOTTEN, {"email": "limite@example.org"}).status_code == 302
    response = client.post(FORGOTTEN, {"email": "limite@example.org"})
    assert response.status_code == 429
    assert len(mailbox.messages) == 1


def test_login_page_links_to_the_flows(client):
    page = client.get("/comptes/connexion/").content.decode()
    assert 'href="/comptes/mot-de-passe-oublie/"' in page and 'href="/compte/demande/"' in page
