"""Re-enrolment: an administrator resets a second factor (the admin action, within their rights; `dcc accounts
reset-otp`): the devices and recovery codes go, the reset is audited, open sessions lose their strong mark, and
the user enrols again at the next sign-in."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.accounts.models import SecondFactorThrottle
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from tests import factories as f
from tests.auth import SETUP, enrol, enter_code, password_login, totp

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"


@pytest.fixture
def region():
    dsrc = f.DsrcFactory()
    ccc, other_ccc = f.CccFactory(parent=dsrc), f.CccFactory(parent=dsrc)
    return {
        "admin3c": f.UserFactory(username="admin3c", role="admin_3c", is_staff=True, organisation=ccc),
        "sysadmin": f.UserFactory(username="sysadmin", role="sysadmin", is_staff=True, is_superuser=True),
        "secretaire": f.UserFactory(username="secretaire", role="secretary", organisation=ccc),
        "autre": f.UserFactory(username="autre.secretaire", role="secretary", organisation=other_ccc),
    }


def devices(user) -> int:
    return TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()


def reset_action(client, *users):
    return client.post(USERS, {"action": "reset_second_factor", "_selected_action": [u.pk for u in users]},
                       follow=True)


def test_a_3c_administrator_resets_an_account_of_their_3c(client, region):
    secretary = region["secretaire"]
    secret, _ = enrol(secretary)
    SecondFactorThrottle.objects.create(user=secretary, failures=3)
    # The secretary is signed in (both steps) elsewhere.
    browser = Client()
    password_login(browser, "secretaire")
    assert enter_code(browser, totp(secret)).status_code == 302
    assert browser.get("/").status_code == 200

    admin = region["admin3c"]
    client.force_login(admin)
    listing = client.get(USERS).content.decode()
    assert "Réinitialiser le second facteur" in listing and "Second facteur" in listing
    page = reset_action(client, secretary).content.decode()
    assert "Second facteur réinitialisé pour 1 compte :" in page

    assert devices(secretary) == 0 and not SecondFactorThrottle.objects.filter(user=secretary).exists()
    event = AuditEvent.objects.get(action=Action.OTP_RESET)
    assert event.actor_id == admin.pk and event.object_id == str(secretary.pk)
    assert event.details == {"via": "admin", "devices": 2, "username": "secretaire"}
    # The open session is not strong any more; the next sign-in asks for a new enrolment.
    assert browser.get("/")["Location"].startswith(SETUP)
    again = Client()
    assert password_login(again, "secretaire")["Location"].startswith(SETUP)


def test_the_action_refuses_accounts_beyond_the_administrators_rights(client, region):
    admin = region["admin3c"]
    for user in region.values():
        enrol(user)
    client.force_login(admin)
    # Its own account (an administrator's: above what a 3C administrator manages) with one it manages: all refused.
    page = reset_action(client, admin, region["secretaire"]).content.decode()
    assert "Réinitialisation refusée" in page and "admin3c" in page
    # Accounts of another 3C or of the system administrator are not even in its list: nothing happens to them.
    reset_action(client, region["autre"], region["sysadmin"])
    assert all(devices(user) == 2 for user in region.values())
    assert not AuditEvent.objects.filter(action=Action.OTP_RESET).exists()


def test_the_system_administrator_resets_any_account(client, region):
    enrol(region["autre"])
    client.force_login(region["sysadmin"])
    reset_action(client, region["autre"])
    assert devices(region["autre"]) == 0


def test_device_admins_of_django_otp_are_not_exposed(client, region):
    client.force_login(region["sysadmin"])
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_dcc_accounts_reset_otp(region):
    secretary = region["secretaire"]
    enrol(secretary)
    out = StringIO()
    call_command("accounts", "reset-otp", "secretaire", stdout=out)
    assert "Second facteur de secretaire réinitialisé" in out.getvalue()
    assert devices(secretary) == 0
    event = AuditEvent.objects.get(action=Action.OTP_RESET)
    assert event.actor_id is None and event.details["via"] == "dcc accounts reset-otp"
    out = StringIO()
    call_command("accounts", "reset-otp", "secretaire", stdout=out)
    assert "n'avait pas de second facteur" in out.getvalue()
    with pytest.raises(CommandError, match="Compte inconnu : personne"):
        call_command("accounts", "reset-otp", "personne")
    assert password_login(Client(), "secretaire")["Location"].startswith(SETUP)
