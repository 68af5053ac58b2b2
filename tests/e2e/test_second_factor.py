"""The second factor in a real browser: password → code → the page asked first; and the first sign-in of an
account without a device: enrolment (the secret read from the page, the code computed from it), the recovery
codes shown once, then home."""

import re

from playwright.sync_api import expect

from tests import factories as f
from tests.auth import enrol, totp, wrong_code


def test_password_then_code_then_the_page_asked(page, live_server, transactional_db):
    secret, _ = enrol(f.DoctorFactory(username="dr.deuxfacteurs"))
    page.goto(f"{live_server.url}/rcp/calendrier/")
    expect(page).to_have_url(re.compile(r"/comptes/connexion/\?next=/rcp/calendrier/$"))
    page.get_by_label("Identifiant").fill("dr.deuxfacteurs")
    page.get_by_label("Mot de passe").fill(f.TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", name="Second facteur")).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_have_count(0)  # nothing else yet
    page.get_by_label("Code").fill(wrong_code(secret))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_contain_text("Code incorrect. Encore 4 essais")

    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{live_server.url}/rcp/calendrier/")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()


def test_first_sign_in_enrols_the_second_factor(page, live_server, transactional_db):
    f.DoctorFactory(username="dr.nouveau")
    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_label("Identifiant").fill("dr.nouveau")
    page.get_by_label("Mot de passe").fill(f.TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", name="Activer le second facteur")).to_be_visible()
    expect(page.locator("svg.otp-qr")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})*", secret)
    page.get_by_label("Code à 6 chiffres affiché par l'application").fill(totp(secret))
    page.get_by_role("button", name="Activer").click()

    expect(page.get_by_text("Second facteur activé.")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", code) for code in codes)
    page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()

    # Next sign-in: a recovery code instead of the app; it works once.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_label("Identifiant").fill("dr.nouveau")
    page.get_by_label("Mot de passe").fill(f.TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("il vous en reste 9")
