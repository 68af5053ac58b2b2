"""Login lockout, session expiry, CSRF, CSP, admin restricted to administrators, login audit."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.core.models import RefusalTally
from tests import factories as f

LOGIN = "/comptes/connexion/"


@pytest.mark.django_db
def test_login_and_audit(client):
    user = f.DoctorFactory(username="dr.martin")
    response = client.post(LOGIN, {"username": "dr.martin", "password": f.TEST_PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor_id=user.pk).exists()


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, settings):
    f.DoctorFactory(username="dr.durand")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": "dr.durand", "password": "mauvais-mot-de-passe"})
    assert "bloqué" in response.content.decode()
    # Even the right password is refused while locked.
    response = client.post(LOGIN, {"username": "dr.durand", "password": f.TEST_PASSWORD})
    assert response.status_code != 302
    assert "bloqué" in response.content.decode()
    # Failed logins are audited in aggregate: one event per address and window, carrying the count.
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details["count"] == 1 and event.details["reason"] == "credentials"
    assert RefusalTally.objects.get(kind="login").pending == settings.AXES_FAILURE_LIMIT  # 4 failures + 1 refused


@pytest.mark.django_db
def test_wrong_password_message_is_french(client):
    f.DoctorFactory(username="dr.petit")
    response = client.post(LOGIN, {"username": "dr.petit", "password": "faux"})
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


@pytest.mark.django_db
def test_session_expires_after_inactivity(client, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE <= 3600
    client.force_login(f.DoctorFactory())
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and LOGIN in response["Location"]


@pytest.mark.django_db
def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    f.DoctorFactory(username="dr.roux")
    response = client.post(LOGIN, {"username": "dr.roux", "password": f.TEST_PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
def test_csp_forbids_inline_scripts_and_styles(client):
    response = client.get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"


TEMPLATE_DIRS = [p for p in Path("oncodcc").rglob("templates") if p.is_dir()]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_no_template_carries_inline_script_or_style():
    """The CSP would block them in the browser: catch them here instead."""
    offenders = []
    for directory in TEMPLATE_DIRS:
        for template in directory.rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER):
                offenders += [f"{template}: {m.group(0)!r}" for m in pattern.finditer(text)
                              if "application/json" not in m.group(0)]
    assert not offenders, offenders


@pytest.mark.django_db
def test_admin_is_for_administrators_only(client):
    doctor = f.DoctorFactory(is_staff=True)
    client.force_login(doctor)
    assert client.get("/admin/").status_code == 302
    admin = f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/rcp/board/").status_code == 200


@pytest.mark.django_db
def test_3c_admin_manages_only_the_boards_of_their_3c(client):
    mine = f.BoardFactory(name="RCP Thorax du 3C")
    other = f.BoardFactory(name="RCP Urologie d'un autre 3C")
    admin_3c = f.UserFactory(role="admin_3c", is_staff=True, organisation=mine.managing_3c)
    client.force_login(admin_3c)
    listing = client.get("/admin/rcp/board/").content.decode()
    assert mine.name in listing and other.name not in listing
    assert client.get(f"/admin/rcp/board/{other.pk}/change/").status_code == 302  # not in its queryset
    assert client.get("/admin/accounts/user/").status_code == 200  # only its 3C's (test_admin_rights.py)


@pytest.mark.django_db
def test_board_default_form_is_chosen_among_published_forms(client):
    from django.core.management import call_command

    call_command("forms", "load")
    admin = f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True)
    board = f.BoardFactory()
    client.force_login(admin)
    page = client.get(f"/admin/rcp/board/{board.pk}/change/").content.decode()
    assert "urn:oncodcc:questionnaire:sein" in page and "Fiche RCP — Sein" in page
