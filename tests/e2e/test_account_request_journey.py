# ruff: noqa: F811 - the mailbox fixture imported from tests.mailbox is a parameter of the tests
"""Account request to first sign-in in a real browser, the emails read from a real SMTP server: the public request
(the RPPS looked up in the directory fills the name), the 3C administrator's acceptance, the activation link from
the email, password and TOTP enrolment, then a sign-in with a code. And a forgotten password: the link from the
email, a new password, the same second factor at the next sign-in."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.accounts.models import Charter, User
from oncodcc.accounts.rpps import with_key
from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import BoardMember
from tests import factories as f
from tests.auth import enrol, totp, unused_code
from tests.mailbox import mailbox  # noqa: F401 (fixture)

PASSWORD = "Mon-Mot-De-Passe-De-Test-2026"
RPPS = with_key("1000555444")


@pytest.fixture
def region(transactional_db):
    Charter.objects.create(version=1, text="Je respecte le secret médical.", published_at=timezone.now())
    ccc = f.CccFactory(name="3C Métropole")
    hospital = f.OrganisationFactory(name="Centre hospitalier de Roubaix")
    board = f.BoardFactory(managing_3c=ccc, name="RCP Thorax Métropole")
    board.hospitals.add(hospital)
    f.PractitionerFactory(rpps=RPPS, last_name="Morel", first_name="Inès")
    return {"ccc": ccc, "hospital": hospital, "board": board,
            "admin": f.UserFactory(username="admin3c", role="admin_3c", is_staff=True, organisation=ccc)}


def test_request_acceptance_activation_and_first_sign_in(page, live_server, login, region, mailbox):
    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_role("link", name="Demander un compte").click()
    expect(page.get_by_role("heading", name="Demande de compte OncoDCC")).to_be_visible()
    page.get_by_label("Numéro RPPS").fill(RPPS)
    page.get_by_label("Numéro RPPS").blur()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Morel")  # from the directory
    expect(page.get_by_label("Prénom")).to_have_value("Inès")
    page.get_by_label("Adresse électronique").fill("ines.morel@example.org")
    page.get_by_label("Établissement(s) ou 3C d'exercice").select_option(label="Centre hospitalier de Roubaix")
    page.get_by_label("RCP auxquelles vous participez").select_option(label="RCP Thorax Métropole")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert").first).to_contain_text("La charte d'utilisation doit être acceptée")
    page.get_by_label("J'ai lu la charte d'utilisation du DCC et je l'accepte.").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", name="Demande enregistrée")).to_be_visible()

    # The 3C administrator accepts it.
    login(page, "admin3c")
    page.get_by_role("link", name="Demandes de compte").click()
    page.get_by_role("link", name="Inès MOREL").click()
    expect(page.get_by_label("3C de rattachement")).to_have_value(str(region["ccc"].pk))
    page.get_by_role("button", name="Accepter et envoyer le lien d'activation").click()
    expect(page.get_by_role("alert").first).to_contain_text("compte « ines.morel » créé")

    # The requester opens the link of the email.
    link = mailbox.link("ines.morel@example.org")
    assert link.startswith(live_server.url)
    page.context.clear_cookies()
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/comptes/activation/[^/]+/saisie/$"))  # the token left the address bar
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.get_by_role("heading", name="Activer le second facteur")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text()
    page.get_by_label("Code à 6 chiffres affiché par l'application").fill(totp(secret))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_text("Second facteur activé.")).to_be_visible()
    page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()

    user = User.objects.get(username="ines.morel")
    assert user.practitioner.rpps == RPPS and user.charter_version == 1
    assert BoardMember.objects.filter(board=region["board"], practitioner=user.practitioner).exists()

    # A later sign-in: password, then a code of the app.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_label("Identifiant").fill("ines.morel")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code").fill(unused_code(user))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
    assert {"account.request", "account.request_accept", "account.create", "account.activate",
            "auth.otp_enrol"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_forgotten_password(page, live_server, transactional_db, mailbox):
    user = f.DoctorFactory(username="dr.distrait", email="distrait@example.org")
    enrol(user)
    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse électronique du compte").fill("distrait@example.org")
    page.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()

    page.goto(mailbox.link("distrait@example.org"))
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("alert").first).to_contain_text("Mot de passe modifié")

    page.get_by_label("Identifiant").fill("dr.distrait")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Second facteur")).to_be_visible()  # kept: no new enrolment
    page.get_by_label("Code").fill(unused_code(user))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
