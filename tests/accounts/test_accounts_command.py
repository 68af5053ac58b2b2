"""`dcc accounts create|deactivate|requests`: the activation email through a real SMTP server, the refusals
(nothing written), and what `requests` shows (no names, no emails)."""

import pytest
from django.core.management import CommandError, call_command

from oncodcc.accounts.models import AccountRequest, User
from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import BoardMember
from tests import factories as f
from tests.accounts.conftest import RPPS

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


def test_create_a_doctor_with_boards_sends_the_activation_link(region, mailbox):
    practitioner = f.PractitionerFactory(rpps=RPPS)
    ccc = region["ccc"]
    out = run("create", "dr.integre", "--email", "integre@example.org", "--role", "doctor", "--organisation",
              str(ccc.pk), "--rpps", RPPS, "--board", str(region["board"].pk))
    assert "Compte dr.integre créé" in out
    user = User.objects.get(username="dr.integre")
    assert (user.practitioner, user.organisation, user.has_usable_password()) == (practitioner, ccc, False)
    assert BoardMember.objects.filter(board=region["board"], practitioner=practitioner).exists()
    assert AuditEvent.objects.get(action="account.create").details["via"] == "dcc accounts create"
    assert "/comptes/activation/" in mailbox.link("integre@example.org")


def test_create_refusals_write_nothing(region, mailbox):
    with pytest.raises(CommandError, match="besoin de --rpps"):
        run("create", "dr.sansrpps", "--email", "a@example.org", "--role", "doctor")
    with pytest.raises(CommandError, match="absent de l'annuaire"):
        run("create", "dr.inconnu", "--email", "a@example.org", "--role", "doctor", "--rpps", RPPS)
    with pytest.raises(CommandError, match="Structure inconnue"):
        run("create", "sec", "--email", "a@example.org", "--role", "secretary", "--organisation", "999999999")
    with pytest.raises(CommandError):
        run("create", "root", "--email", "a@example.org", "--role", "sysadmin")
    mailbox.relay.reply = "554 5.7.1 Refusé"
    with pytest.raises(CommandError, match="aucun compte n'a été créé"):
        run("create", "sec", "--email", "a@example.org", "--role", "secretary", "--board", str(region["board"].pk))
    assert not User.objects.filter(username__in=["dr.sansrpps", "dr.inconnu", "sec", "root"]).exists()
    assert not AuditEvent.objects.filter(action="account.create").exists()


def test_deactivate(region):
    user = f.DoctorFactory(username="dr.partant")
    assert "désactivé" in run("deactivate", "dr.partant", "--reason", "Départ de l'établissement.")
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEvent.objects.get(action="account.deactivate").reason == "Départ de l'établissement."
    assert "déjà désactivé" in run("deactivate", "dr.partant")
    with pytest.raises(CommandError, match="Compte inconnu"):
        run("deactivate", "personne")


def test_requests_lists_pending_without_identities(region, charter):
    assert "Aucune demande" in run("requests")
    request = AccountRequest.objects.create(rpps=RPPS, last_name="Secret", first_name="Nom",
                                            email="secret@example.org", role="doctor", charter=charter)
    request.organisations.set([region["hospital"]])
    AccountRequest.objects.create(last_name="Déjà", first_name="Décidée", email="x@example.org", role="secretary",
                                  charter=charter, state="refused")
    out = run("requests")
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{request.pk}\t")
    assert RPPS in out and region["hospital"].finess in out and "doctor" in out
    assert "Secret" not in out and "secret@example.org" not in out


def test_deploy_check_of_the_site_address(settings):
    from oncodcc.accounts.checks import site_url

    settings.DEBUG = False
    settings.DCC_SITE_URL = "http://127.0.0.1:8000"
    assert [w.id for w in site_url(None)] == ["oncodcc.W030"]
    settings.DCC_SITE_URL = "https://dcc.onco-demo.example"
    assert site_url(None) == []
