"""/launch: a valid token signs the doctor in and opens the record (or the registration form); every refusal is a
French page with its status code and a LAUNCH_REFUSED audit event, and leaves nothing half-written."""

import html
import time
from datetime import date, timedelta
from urllib.parse import urlencode

import jwt
import pytest
from django.urls import reverse
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.interop.launch.models import UsedLaunchToken
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from tests import factories as f
from tests import samples
from tests.auth import VERIFY, enrol, enter_code, totp

from .conftest import DROP, Signer, public_pem

pytestmark = pytest.mark.django_db


def launch(client, token, *, post=False):
    if post:
        return client.post("/launch", {"token": token})
    return client.get("/launch", {"token": token})


def signed_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def second_factor_then(client, location: str):
    """A launch signs the doctor in without their second factor: the page asked goes through the code page first
    (`next` kept), like a password sign-in."""
    user = f.DoctorFactory._meta.model.objects.get(pk=signed_in_user_id(client))
    secret, _ = enrol(user)
    detour = client.get(location)
    assert detour.status_code == 302 and detour["Location"] == f"{VERIFY}?{urlencode({'next': location})}"
    response = enter_code(client, totp(secret), next_url=location)
    assert response.status_code == 302 and response["Location"] == location
    return client.get(location)


def refused(response, status: int, reason: str, text: str) -> AuditEvent:
    """The response is the French refusal page; exactly one LAUNCH_REFUSED event says why."""
    assert response.status_code == status
    body = html.unescape(response.content.decode())
    assert text in body
    assert f"<code>{reason}</code>" in body
    assert response.templates[0].name == "launch/refused.html"
    events = list(AuditEvent.objects.filter(action=Action.LAUNCH_REFUSED))
    assert [e.details["reason"] for e in events] == [reason]
    assert not AuditEvent.objects.filter(action=Action.LAUNCH).exists()
    return events[0]


# --- success ---------------------------------------------------------------------------------------------------


def test_rs256_token_signs_in_creates_patient_and_opens_record(client, signer, doctor, hospital):
    token = signer.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    response = launch(client, token)

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert signed_in_user_id(client) == doctor.pk
    assert patient.birth_name == claims["patient"]["birth_name"]
    assert patient.birth_date == date(1962, 3, 14)
    assert PatientIdentifier.objects.get(patient=patient).system == hospital.oid
    assert CareTeamMember.objects.filter(patient=patient, practitioner=doctor.practitioner).exists()
    event = AuditEvent.objects.get(action=Action.LAUNCH)
    assert (event.actor_id, event.patient_id) == (doctor.pk, patient.pk)
    assert event.details["issuer"] == hospital.finess
    assert event.details["intent"] == "view"
    assert event.details["matched_by"] == "created"
    assert AuditEvent.objects.filter(action=Action.PATIENT_CREATE, patient_id=patient.pk,
                                     actor_label=f"appel contextuel {hospital}").exists()
    assert UsedLaunchToken.objects.filter(issuer=hospital.finess, jti=claims["jti"]).exists()
    signature = token.rsplit(".", 1)[1]
    assert not any(signature in str(e.details) or token in e.reason for e in AuditEvent.objects.all())

    record = second_factor_then(client, response["Location"])
    assert record.status_code == 200
    assert patient.birth_name.upper() in record.content.decode()
    assert "appel contextuel" in record.content.decode()


def test_es256_token_with_kid_finds_patient_by_ipp(client, doctor, hospital, ec_key, ec_private):
    known = f.PatientFactory()
    PatientIdentifier.objects.create(patient=known, system=hospital.oid, value="IPP-42", organisation=hospital)
    signer = Signer(issuer=ec_key.issuer, rpps=doctor.practitioner.rpps, private=ec_private, algorithm="ES256",
                    kid="es-1")
    response = launch(client, signer.token(patient={"ipp": "IPP-42"}))

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[known.pk])
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.get(action=Action.LAUNCH).details["matched_by"] == "ipp"
    assert second_factor_then(client, response["Location"]).status_code == 200


def test_patient_found_by_ins_gets_the_hospital_ipp(client, signer, hospital):
    birth = date(1958, 7, 2)
    ins = samples.nir(sex="M", birth_date=birth)
    known = f.PatientFactory(sex="M", birth_date=birth, ins_matricule=ins, ins_oid=OID_INS_NIR)
    response = launch(client, signer.token(patient={
        "ipp": "778899", "ins": {"matricule": ins, "oid": OID_INS_NIR}, "birth_name": known.birth_name,
        "birth_given_names": known.birth_given_names, "birth_date": birth.isoformat(), "sex": "M"}))

    assert response["Location"] == reverse("patients:detail", args=[known.pk])
    assert PatientIdentifier.objects.get(system=hospital.oid, value="778899").patient == known
    assert AuditEvent.objects.get(action=Action.LAUNCH).details["matched_by"] == "ins"


def test_intent_register_opens_the_registration_form(client, signer):
    response = launch(client, signer.token(intent="register"))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('rcp:registration_create')}?patient={patient.pk}"
    form = second_factor_then(client, response["Location"])
    assert form.status_code == 200
    assert patient.birth_name.upper() in form.content.decode()


def test_token_posted_as_a_form_field(client, signer, doctor):
    response = launch(client, signer.token(), post=True)
    assert response.status_code == 302
    assert signed_in_user_id(client) == doctor.pk


def test_key_rotation_without_kid_tries_every_active_key(client, signer, rsa_key, other_rsa_private, hospital):
    from oncodcc.interop.launch.models import LaunchKey

    LaunchKey.objects.create(organisation=hospital, issuer=rsa_key.issuer, algorithm="RS256",
                             public_key=public_pem(other_rsa_private))
    assert launch(client, signer.token(private=other_rsa_private)).status_code == 302


def test_doctor_listed_under_a_site_of_the_hospital(client, signer, doctor, hospital):
    site = samples.hospital(kind="EG", parent=hospital)
    doctor.practitioner.organisations.set([site])
    assert launch(client, signer.token()).status_code == 302


def test_another_signed_in_user_is_signed_out_first(client, signer, doctor):
    other = f.DoctorFactory()
    client.force_login(other)
    response = launch(client, signer.token())
    assert response.status_code == 302
    assert signed_in_user_id(client) == doctor.pk
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor_id=other.pk).exists()
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor_id=doctor.pk).exists()


def test_session_key_is_rotated(client, signer, doctor):
    client.force_login(doctor)
    before = client.session.session_key
    launch(client, signer.token())
    assert client.session.session_key != before
    assert signed_in_user_id(client) == doctor.pk


def test_expired_rows_are_purged(client, signer, hospital):
    UsedLaunchToken.objects.create(issuer=hospital.finess, jti="old", expires_at=timezone.now() - timedelta(hours=1))
    launch(client, signer.token())
    assert list(UsedLaunchToken.objects.values_list("jti", flat=True)) != ["old"]
    assert not UsedLaunchToken.objects.filter(jti="old").exists()


# --- refusals: the token -------------------------------------------------------------------------------------


def test_missing_token(client, db):
    response = client.get("/launch")
    refused(response, 400, "missing_token", "Lien incomplet")
    assert signed_in_user_id(client) is None


def test_malformed_token(client, db):
    refused(launch(client, "pas-un-jeton"), 400, "malformed_token", "Lien illisible")


def test_expired(client, signer):
    now = int(time.time())
    response = launch(client, signer.token(iat=now - 200, exp=now - 60))
    event = refused(response, 401, "expired", "Lien expiré : relancez l'ouverture depuis votre logiciel")
    assert event.details["issuer"] == signer.issuer
    assert signed_in_user_id(client) is None


def test_lifetime_longer_than_five_minutes(client, signer):
    now = int(time.time())
    refused(launch(client, signer.token(iat=now - 600, exp=now + 60)), 401, "lifetime_too_long", "5 minutes")
    refused_again = launch(client, signer.token(iat=now, exp=now + 301))
    assert refused_again.status_code == 401


def test_issued_in_the_future(client, signer):
    now = int(time.time())
    refused(launch(client, signer.token(iat=now + 120, exp=now + 240)), 401, "not_yet_valid", "horloge")


def test_clock_leeway_is_tolerated(client, signer):
    now = int(time.time())
    assert launch(client, signer.token(iat=now + 20, exp=now + 200)).status_code == 302


def test_replayed_token(client, signer, doctor):
    token = signer.token()
    assert launch(client, token).status_code == 302
    client.logout()
    response = launch(client, token)
    assert response.status_code == 401
    assert "Ce lien a déjà été utilisé" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.LAUNCH_REFUSED)
    assert event.details["reason"] == "replayed"
    assert event.details["rpps"] == doctor.practitioner.rpps
    assert signed_in_user_id(client) is None
    assert Patient.objects.count() == 1


def test_signed_by_another_key(client, signer, other_rsa_private):
    refused(launch(client, signer.token(private=other_rsa_private)), 401, "bad_signature", "Signature invalide")


def test_tampered_claims(client, signer):
    header, _, signature = signer.token().split(".")
    _, other_payload, _ = signer.token(sub="10000000999").split(".")
    refused(launch(client, f"{header}.{other_payload}.{signature}"), 401, "bad_signature", "Signature invalide")


def test_alg_none_refused(client, signer):
    token = jwt.encode(signer.claims(), key=None, algorithm="none")
    refused(launch(client, token), 401, "unsupported_algorithm", "Signature invalide")


def test_hs256_with_the_public_key_as_secret_refused(client, signer, rsa_key):
    # The classic confusion attack: HMAC "signed" with the (public) RSA key as the shared secret.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}." \
                    f"{b64(json.dumps(signer.claims()).encode())}"
    mac = hmac.new(rsa_key.public_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    refused(launch(client, f"{signing_input}.{b64(mac)}"), 401, "unsupported_algorithm", "RS256 et ES256")


def test_unknown_issuer(client, signer):
    event = refused(launch(client, signer.token(iss="999999999")), 401, "unknown_issuer",
                    "Établissement inconnu du DCC")
    assert event.details["signature_verified"] is False


def test_deactivated_key(client, signer, rsa_key):
    rsa_key.active = False
    rsa_key.save()
    refused(launch(client, signer.token()), 401, "unknown_issuer", "Établissement inconnu du DCC")


def test_unknown_kid(client, signer):
    refused(launch(client, signer.token(kid="nope")), 401, "unknown_key", "kid")


def test_wrong_audience(client, signer):
    refused(launch(client, signer.token(aud="un-autre-dcc")), 401, "bad_audience", "pas destiné à ce DCC")


def test_missing_jti(client, signer):
    refused(launch(client, signer.token(jti=DROP)), 400, "missing_claims", "jti")


def test_missing_patient(client, signer):
    refused(launch(client, signer.token(patient=DROP)), 400, "missing_claims", "patient")


def test_sub_must_be_an_rpps(client, signer):
    refused(launch(client, signer.token(sub="dr.dupont")), 400, "invalid_claims", "RPPS")


def test_unknown_intent(client, signer):
    refused(launch(client, signer.token(intent="delete")), 400, "invalid_claims", "intent")


def test_numeric_dates_must_be_numbers(client, signer):
    now = int(time.time())
    refused(launch(client, signer.token(iat=str(now), exp=str(now + 60))), 400, "invalid_claims", "NumericDate")


# --- refusals: the doctor -----------------------------------------------------------------------------------


def test_unknown_rpps(client, signer):
    response = launch(client, signer.token(sub="10000000999"))
    refused(response, 403, "unknown_user", "Aucun compte actif OncoDCC pour ce RPPS dans cet établissement")
    assert not Patient.objects.exists()


def test_inactive_user(client, signer, doctor):
    doctor.is_active = False
    doctor.save()
    refused(launch(client, signer.token()), 403, "inactive_user", "Aucun compte actif OncoDCC pour ce RPPS")


def test_user_of_another_hospital(client, signer, doctor):
    doctor.practitioner.organisations.set([f.OrganisationFactory()])
    refused(launch(client, signer.token()), 403, "user_not_in_hospital", "Aucun compte actif OncoDCC pour ce RPPS")
    assert not Patient.objects.exists()
    assert not UsedLaunchToken.objects.exists()


def test_administration_account_is_never_launched(client, signer, doctor):
    doctor.is_staff = True
    doctor.save()
    refused(launch(client, signer.token()), 403, "account_not_allowed", "réservé aux médecins")


def test_refusal_for_another_doctor_signs_the_previous_user_out(client, signer):
    other = f.DoctorFactory()
    client.force_login(other)
    launch(client, signer.token(sub="10000000999"))
    assert signed_in_user_id(client) is None


def test_unverified_request_leaves_the_session_alone(client, signer, other_rsa_private):
    other = f.DoctorFactory()
    client.force_login(other)
    launch(client, signer.token(private=other_rsa_private))
    assert signed_in_user_id(client) == other.pk


# --- refusals: the patient ----------------------------------------------------------------------------------


def test_invalid_ins_is_set_aside_and_the_record_opens(client, signer, doctor):
    """Refuse less, file more (issue 15): the same rule as HL7 and FHIR — the identity is filed without its INS,
    flagged for identity vigilance; the doctor's launch goes on."""
    response = launch(client, signer.token(patient={
        "ipp": "1", "birth_name": f.fake.last_name(), "birth_given_names": "Anne", "birth_date": "1962-03-14",
        "sex": "F", "ins": {"matricule": "262037505600000", "oid": OID_INS_NIR}}))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert patient.ins_matricule == "" and {"DPOT", "DOUT"} <= set(patient.identity_flags)
    assert AuditEvent.objects.get(action=Action.PATIENT_CREATE, patient_id=patient.pk).details["ins_set_aside"] == \
        "invalid_key"


def test_incomplete_identity_for_a_new_patient(client, signer):
    response = launch(client, signer.token(patient={"ipp": "1", "birth_name": f.fake.last_name()}))
    event = refused(response, 400, "bad_patient", "incomplète")
    assert "date de naissance" in event.details["detail"]
    assert not Patient.objects.exists()


def test_malformed_birth_date(client, signer):
    refused(launch(client, signer.token(patient={"ipp": "1", "birth_date": "14/03/1962"})), 400, "bad_patient",
            "AAAA-MM-JJ")


def test_missing_ipp(client, signer):
    refused(launch(client, signer.token(patient={"birth_name": "X"})), 400, "missing_claims", "patient.ipp")


def test_failure_at_the_last_step_leaves_nothing(client, signer, monkeypatch):
    """A refusal raised after the patient, the care team and the jti were written rolls all of them back."""
    from oncodcc.interop.launch import services
    from oncodcc.interop.launch.refusals import LaunchRefused

    real_record = services.audit.record

    def failing_record(**kwargs):
        if kwargs["action"] == Action.LAUNCH:
            raise LaunchRefused("bad_patient", detail="test")
        return real_record(**kwargs)

    monkeypatch.setattr(services.audit, "record", failing_record)
    response = launch(client, signer.token())
    assert response.status_code == 400
    assert not Patient.objects.exists()
    assert not CareTeamMember.objects.exists()
    assert not UsedLaunchToken.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PATIENT_CREATE).exists()
    assert signed_in_user_id(client) is None


def test_no_store(client, signer):
    assert "no-store" in launch(client, signer.token())["Cache-Control"]
    assert "no-store" in launch(client, "x.y.z")["Cache-Control"]
