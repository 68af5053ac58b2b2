"""`dcc hl7 register-sender`, `senders`, `replay` — through the real `dcc` entry point (oncodcc.cli)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.audit.models import AuditEvent
from oncodcc.cli import main
from oncodcc.directory.models import Organisation
from oncodcc.interop.hl7v2.models import Hl7Message, Hl7Sender
from oncodcc.interop.hl7v2.processing import handle_message
from tests import factories as f

pytestmark = pytest.mark.django_db
OID = "1.2.250.1.71.4.2.2.750712184"


def dcc(*args) -> str:
    out = StringIO()
    call_command("hl7", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # the real entry point closes every connection when it ends
def test_register_sender_creates_the_organisation_then_reactivates(capsys):
    main(["dcc", "hl7", "register-sender", "--application", "DPI-X", "--facility", "CHU-X", "--oid", OID,
          "--name", "Centre hospitalier de Test-sur-Mer", "--finess", "750712184"])
    out = capsys.readouterr().out

    organisation = Organisation.objects.get(oid=OID)
    assert (organisation.kind, organisation.finess, organisation.name) == (
        "EG", "750712184", "Centre hospitalier de Test-sur-Mer")
    sender = Hl7Sender.objects.get()
    assert (sender.application, sender.facility, sender.organisation, sender.active) == (
        "DPI-X", "CHU-X", organisation, True)
    assert "Organisation créée" in out and "Émetteur DPI-X/CHU-X enregistré" in out
    assert AuditEvent.objects.filter(action="hl7.sender_register").exists()

    sender.active = False
    sender.save()
    out = dcc("register-sender", "--application", "DPI-X", "--facility", "CHU-X", "--oid", OID)
    assert "Organisation existante" in out and "réactivé" in out
    assert Hl7Sender.objects.get().active and Organisation.objects.filter(oid=OID).count() == 1


def test_existing_organisation_is_used(capsys):
    hospital = f.OrganisationFactory(oid="1.2.250.1.999.42")
    out = dcc("register-sender", "--application", "LABO", "--facility", "SIL", "--oid", "1.2.250.1.999.42")

    assert Hl7Sender.objects.get().organisation == hospital
    assert "Organisation existante" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--oid", "1.2.x"], "OID invalide"),
    (["--oid", OID, "--name", "CH", "--finess", "75071218"], "FINESS invalide"),
    (["--oid", OID, "--name", "CH", "--finess", "750712185"], "clé de contrôle"),
    (["--oid", OID], "obligatoire pour la créer"),
])
def test_bad_input_is_a_clear_error_with_exit_code_1(args, message):
    with pytest.raises(CommandError, match=message) as error:
        dcc("register-sender", "--application", "DPI", "--facility", "CH", *args)
    assert error.value.returncode == 1
    assert not Hl7Sender.objects.exists()


def test_sender_of_another_organisation_is_refused():
    dcc("register-sender", "--application", "DPI", "--facility", "CH", "--oid", OID, "--name", "CH A")
    with pytest.raises(CommandError, match="déjà enregistré"):
        dcc("register-sender", "--application", "DPI", "--facility", "CH", "--oid", "1.2.250.1.999.9",
            "--name", "CH B")


@pytest.mark.django_db(transaction=True)
def test_exit_code_through_the_cli(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["dcc", "hl7", "register-sender", "--application", "A", "--facility", "B", "--oid", "pas-un-oid"])
    assert stop.value.code == 1
    assert "OID invalide" in capsys.readouterr().err


def test_senders_and_replay():
    dcc("register-sender", "--application", "DPI", "--facility", "CH", "--oid", OID, "--name", "CH A")
    assert "DPI/CH" in dcc("senders")
    handle_message(b"MSH|^~\\&|DPI|CH|||20261121||ADT^A99^ADT_A01|X1|P|2.5\rPID|1")

    out = dcc("replay", str(Hl7Message.objects.get().pk))

    assert "rejoué" in out and "AR" in out
    assert Hl7Message.objects.filter(replay_of__isnull=False).count() == 1
    with pytest.raises(CommandError, match="absent du journal"):
        dcc("replay", "999999")


def test_register_sender_with_its_authentication_then_list_it():
    f.OrganisationFactory(oid="1.2.250.1.999.43")
    fingerprint = ":".join(["AB"] * 32)
    out = dcc("register-sender", "--application", "DPI", "--facility", "CHX", "--oid", "1.2.250.1.999.43",
              "--cert-fingerprint", f"sha256 Fingerprint={fingerprint}", "--cert-subject", "CN=dpi.chx.fr,O=CH X",
              "--allow-network", "10.2.0.0/16", "--allow-network", "192.0.2.7")

    sender = Hl7Sender.objects.get()
    assert (sender.cert_fingerprint, sender.cert_subject, sender.allowed_networks) == (
        "ab" * 32, "CN=dpi.chx.fr,O=CH X", "10.2.0.0/16\n192.0.2.7/32")
    assert "enregistré" in out and "10.2.0.0/16" in out
    event = AuditEvent.objects.get(action="hl7.sender_register")
    assert event.details["authentication"] == ["allowed_networks", "cert_fingerprint", "cert_subject"]

    listing = dcc("senders")
    assert f"empreinte SHA-256 {'ab' * 32}" in listing and "sujet CN=dpi.chx.fr,O=CH X" in listing
    assert "réseaux 10.2.0.0/16, 192.0.2.7/32" in listing

    out = dcc("register-sender", "--application", "DPI", "--facility", "CHX", "--oid", "1.2.250.1.999.43",
              "--allow-network", "")
    sender.refresh_from_db()
    assert "mis à jour" in out and sender.allowed_networks == "" and sender.cert_fingerprint == "ab" * 32


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--cert-fingerprint", "12:34", "Empreinte SHA-256 invalide"),
    ("--cert-subject", "pas un sujet", "Sujet de certificat illisible"),
    ("--allow-network", "10.2.0.0/33", "Réseau invalide : 10.2.0.0/33"),
])
def test_bad_authentication_options_are_refused(option, value, message):
    f.OrganisationFactory(oid="1.2.250.1.999.44")
    with pytest.raises(CommandError, match=message):
        dcc("register-sender", "--application", "DPI", "--facility", "CHY", "--oid", "1.2.250.1.999.44",
            option, value)
    assert not Hl7Sender.objects.exists()
