"""Contextual launch in a real browser: a fresh browser (nobody signed in) opens a signed launch URL, gives the
doctor's second factor, lands on the patient's record with the patient's name; opening the same URL again is
refused in French."""

import re
import time
import uuid
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from oncodcc.directory.models import Organisation
from oncodcc.interop.launch.models import LaunchKey
from tests import factories as f
from tests.auth import enrol, totp


def test_signed_launch_url_opens_the_patient_record(page, live_server, transactional_db):
    hospital = f.OrganisationFactory(kind=Organisation.Kind.LEGAL_ENTITY, name="CH du Littoral")
    private = ec.generate_private_key(ec.SECP256R1())
    LaunchKey.objects.create(
        organisation=hospital, issuer=hospital.finess, algorithm="ES256", kid="k1",
        public_key=private.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    doctor = f.DoctorFactory()
    doctor.practitioner.organisations.add(hospital)
    birth_name, given = f.fake.last_name(), f.fake.first_name_female()
    now = int(time.time())
    token = jwt.encode({
        "iss": hospital.finess, "aud": "oncodcc", "iat": now, "exp": now + 120, "jti": str(uuid.uuid4()),
        "sub": doctor.practitioner.rpps,
        "patient": {"ipp": "E2E-1", "birth_name": birth_name, "birth_given_names": given, "birth_date": "1966-05-20",
                    "sex": "F"},
    }, private, algorithm="ES256", headers={"kid": "k1"})
    url = f"{live_server.url}/launch?{urlencode({'token': token})}"

    secret, _ = enrol(doctor)
    page.goto(url)
    # Signed in by the hospital's token, the doctor still gives their second factor; then the record opens.
    expect(page).to_have_url(re.compile(r"/comptes/double-facteur/\?next=%2Fpatients%2F\d+%2F$"))
    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/patients/\d+/$"))
    expect(page.get_by_text(birth_name.upper()).first).to_be_visible()
    expect(page.get_by_text("Dossier ouvert depuis CH du Littoral (appel contextuel).")).to_be_visible()
    expect(page.locator("nav .navbar-text")).to_contain_text(str(doctor))  # signed in as the doctor

    response = page.goto(url)
    assert response.status == 401
    expect(page.get_by_role("heading", name="Lien déjà utilisé")).to_be_visible()
