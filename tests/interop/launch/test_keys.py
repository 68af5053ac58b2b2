"""Onboarding a hospital's key: validation of the PEM, `dcc launch register-key`, the admin, the signing script."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from oncodcc.audit.models import AuditEvent
from oncodcc.interop.launch import keys
from oncodcc.interop.launch.models import LaunchKey
from oncodcc.interop.launch.services import KEY_REGISTER
from oncodcc.patients.models import Patient
from tests import factories as f

from .conftest import public_pem

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_rsa_key_accepted_and_normalised(rsa_private):
    pem = public_pem(rsa_private)
    assert keys.normalise("\n  " + pem + "\n", "RS256") == pem
    assert len(keys.fingerprint(pem)) == 64


def test_small_rsa_key_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point of the test
    with pytest.raises(ValidationError, match="2048 bits au moins"):
        keys.load_public_key(public_pem(small), "RS256")


def test_key_must_fit_the_algorithm(rsa_private, ec_private):
    with pytest.raises(ValidationError, match="RSA"):
        keys.load_public_key(public_pem(ec_private), "RS256")
    with pytest.raises(ValidationError, match="P-256"):
        keys.load_public_key(public_pem(rsa_private), "ES256")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValidationError, match="P-256"):
        keys.load_public_key(public_pem(p384), "ES256")


def test_garbage_and_private_keys_refused(ec_private):
    with pytest.raises(ValidationError, match="illisible"):
        keys.load_public_key("not a key", "ES256")
    private_pem = ec_private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode()
    with pytest.raises(ValidationError, match="illisible"):
        keys.load_public_key(private_pem, "ES256")


def test_certificate_gives_its_public_key(ec_private):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DPI de test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ec_private.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(ec_private, hashes.SHA256()))
    assert keys.normalise(cert.public_bytes(serialization.Encoding.PEM), "ES256") == public_pem(ec_private)


def test_model_save_refuses_a_bad_key(hospital):
    with pytest.raises(ValidationError):
        LaunchKey.objects.create(organisation=hospital, issuer="x", algorithm="RS256", public_key="nope")


def test_issuer_belongs_to_one_hospital(rsa_key, ec_private):
    other = f.OrganisationFactory()
    key = LaunchKey(organisation=other, issuer=rsa_key.issuer, algorithm="ES256", public_key=public_pem(ec_private))
    with pytest.raises(ValidationError) as exc:
        key.full_clean()
    assert "autre établissement" in str(exc.value)


def test_hospital_needs_an_oid(ec_private):
    no_oid = f.OrganisationFactory(oid="")
    key = LaunchKey(organisation=no_oid, issuer="x", algorithm="ES256", public_key=public_pem(ec_private))
    with pytest.raises(ValidationError, match="OID"):
        key.full_clean()


# --- dcc launch ----------------------------------------------------------------------------------------------


def test_register_key_command(hospital, ec_private, tmp_path, capsys):
    pem = tmp_path / "pub.pem"
    pem.write_text(public_pem(ec_private))
    call_command("launch", "register-key", "--finess", hospital.finess, "--issuer", "DPI-TEST", "--algorithm",
                 "ES256", "--public-key", str(pem), "--kid", "2026-01")
    key = LaunchKey.objects.get()
    assert (key.organisation, key.issuer, key.kid, key.algorithm) == (hospital, "DPI-TEST", "2026-01", "ES256")
    out = capsys.readouterr().out
    assert key.fingerprint in out
    assert AuditEvent.objects.filter(action=KEY_REGISTER, object_id=str(key.pk)).exists()

    call_command("launch", "list-keys")
    assert "DPI-TEST\t2026-01\tES256\tactive" in capsys.readouterr().out
    call_command("launch", "deactivate-key", "--id", str(key.pk))
    key.refresh_from_db()
    assert not key.active


def test_register_key_command_errors(hospital, rsa_private, tmp_path):
    pem = tmp_path / "pub.pem"
    pem.write_text(public_pem(rsa_private))
    with pytest.raises(CommandError, match="Aucune organisation"):
        call_command("launch", "register-key", "--oid", "1.2.3.4.5", "--issuer", "X", "--algorithm", "RS256",
                     "--public-key", str(pem))
    with pytest.raises(CommandError, match="P-256"):
        call_command("launch", "register-key", "--oid", hospital.oid, "--issuer", "X", "--algorithm", "ES256",
                     "--public-key", str(pem))
    assert not LaunchKey.objects.exists()


# --- admin ---------------------------------------------------------------------------------------------------


def test_dsrc_admin_uploads_a_key(client, hospital, ec_private):
    admin = f.UserFactory(role="admin_dsrc", is_staff=True)
    client.force_login(admin)
    upload = SimpleUploadedFile("chu.pub.pem", public_pem(ec_private).encode(), content_type="application/x-pem-file")
    response = client.post("/admin/launch/launchkey/add/", {
        "organisation": hospital.pk, "issuer": "CHU-ADMIN", "algorithm": "ES256", "kid": "", "public_key": "",
        "public_key_file": upload, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    key = LaunchKey.objects.get(issuer="CHU-ADMIN")
    assert key.public_key == public_pem(ec_private)
    page = client.get(f"/admin/launch/launchkey/{key.pk}/change/")
    assert key.fingerprint in page.content.decode()


def test_admin_refuses_a_bad_paste(client, hospital):
    client.force_login(f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True))
    response = client.post("/admin/launch/launchkey/add/", {
        "organisation": hospital.pk, "issuer": "CHU-ADMIN", "algorithm": "RS256", "public_key": "-----BEGIN…",
        "active": "on"})
    assert response.status_code == 200
    assert "Clé publique illisible" in response.content.decode()
    assert not LaunchKey.objects.exists()


def test_clinicians_and_3c_admins_have_no_access(client, db):
    client.force_login(f.UserFactory(role="admin_3c", is_staff=True))
    assert client.get("/admin/launch/launchkey/").status_code == 403


# --- the signing script, end to end against the view ----------------------------------------------------------


def test_script_generates_a_key_and_signs_an_accepted_token(client, hospital, doctor, tmp_path):
    script = ROOT / "scripts" / "sign-launch-token.py"
    subprocess.run([sys.executable, str(script), "--generate-key", "rs256", str(tmp_path / "dpi")], check=True,
                   capture_output=True)
    assert oct((tmp_path / "dpi.key.pem").stat().st_mode & 0o777) == "0o600"
    call_command("launch", "register-key", "--oid", hospital.oid, "--issuer", hospital.oid, "--algorithm",
                 "RS256", "--public-key", str(tmp_path / "dpi.pub.pem"))
    result = subprocess.run(
        [sys.executable, str(script), "--key", str(tmp_path / "dpi.key.pem"), "--iss", hospital.oid,
         "--rpps", doctor.practitioner.rpps, "--ipp", "SCRIPT-1", "--birth-name", "Testscript",
         "--given", "Anne Marie", "--birth-date", "1970-01-31", "--sex", "F", "--intent", "register",
         "--base-url", "http://testserver"],
        check=True, capture_output=True, text=True)
    url = urlsplit(result.stdout.strip())
    assert url.path == "/launch"
    response = client.get(url.path, {"token": parse_qs(url.query)["token"][0]})
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.first_birth_given_name) == ("Testscript", "Anne")
    assert "/rcp/inscriptions/nouvelle/" in response["Location"]
