# ruff: noqa: F811 - the provider fixture imported from psc_provider is a parameter of the test
"""Pro Santé Connect in a real browser against the in-suite OpenID provider: the login page's button, the provider's
consent page (refused once, then accepted), back on the home page signed in, with a strong session."""

import re

from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from oncodcc.accounts import strong_auth
from oncodcc.audit.models import AuditEvent
from tests import factories as f
from tests.accounts.psc_provider import Professional, psc_provider  # noqa: F401 (fixture)


def test_sign_in_with_pro_sante_connect(page, live_server, psc_provider, transactional_db):
    doctor = f.DoctorFactory()
    psc_provider.professional = Professional.with_rpps(doctor.practitioner.rpps, doctor.first_name, doctor.last_name)

    page.goto(f"{live_server.url}/comptes/connexion/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    expect(page.get_by_role("heading", name="Pro Santé Connect — fournisseur de test")).to_be_visible()
    page.get_by_role("button", name="Refuser").click()
    expect(page.get_by_role("heading", name="Connexion annulée")).to_be_visible()

    page.get_by_role("link", name="Recommencer avec Pro Santé Connect").click()
    page.get_by_role("button", name="Accepter").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + "/$"))
    expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
    expect(page.locator("nav .navbar-text")).to_contain_text(str(doctor))

    sessions = [session.get_decoded() for session in Session.objects.all()]
    assert [s.get(strong_auth.SESSION_KEY) for s in sessions if s.get("_auth_user_id") == str(doctor.pk)] == ["psc"]
    assert AuditEvent.objects.filter(action="auth.psc_login", actor_id=doctor.pk).count() == 1
    assert AuditEvent.objects.get(action="auth.psc_refused").details["reason"] == "access_denied"
