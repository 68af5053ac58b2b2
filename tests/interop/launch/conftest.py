"""Launch tests: one hospital (EJ with an OID) with a registered RS256 key and an ES256 key (kid "es-1"),
a doctor of that hospital, and `make_token(...)` to sign tokens the way a hospital record would."""

import time
import uuid
from dataclasses import dataclass

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from oncodcc.directory.models import Organisation
from oncodcc.interop.launch.models import LaunchKey
from tests import factories as f


def public_pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="session")
def rsa_private():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_private():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_private():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def hospital(db):
    return f.OrganisationFactory(kind=Organisation.Kind.LEGAL_ENTITY, name="CH de Test-sur-Mer")


@pytest.fixture
def rsa_key(hospital, rsa_private):
    return LaunchKey.objects.create(organisation=hospital, issuer=hospital.finess, algorithm="RS256",
                                    public_key=public_pem(rsa_private))


@pytest.fixture
def ec_key(hospital, ec_private, rsa_key):
    return LaunchKey.objects.create(organisation=hospital, issuer=hospital.finess, algorithm="ES256", kid="es-1",
                                    public_key=public_pem(ec_private))


@pytest.fixture
def doctor(hospital):
    user = f.DoctorFactory()
    user.practitioner.organisations.add(hospital)
    return user


@dataclass
class Signer:
    issuer: str
    rpps: str
    private: object
    algorithm: str = "RS256"
    kid: str | None = None

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": "oncodcc", "iat": now, "exp": now + 120, "jti": str(uuid.uuid4()),
            "sub": self.rpps, "intent": "view",
            "patient": {"ipp": f"IPP{uuid.uuid4().hex[:8]}", "birth_name": f.fake.last_name(),
                        "birth_given_names": f"{f.fake.first_name_female()} {f.fake.first_name_female()}",
                        "birth_date": "1962-03-14", "sex": "F", "birthplace_insee": "75056"},
        }
        for name, value in overrides.items():
            if value is DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def token(self, *, private=None, algorithm=None, kid=None, headers=None, **overrides) -> str:
        kid = kid if kid is not None else self.kid
        header = {**({"kid": kid} if kid else {}), **(headers or {})}
        return jwt.encode(self.claims(**overrides), private or self.private, algorithm=algorithm or self.algorithm,
                          headers=header or None)


DROP = object()


@pytest.fixture
def signer(rsa_key, doctor, rsa_private) -> Signer:
    return Signer(issuer=rsa_key.issuer, rpps=doctor.practitioner.rpps, private=rsa_private)
