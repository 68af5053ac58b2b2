"""Public keys of the hospitals that sign launch tokens: parse, check against the algorithm, normalise.

A hospital may hand over a bare public key ("BEGIN PUBLIC KEY") or a certificate ("BEGIN CERTIFICATE"): we keep
only the public key, as SubjectPublicKeyInfo PEM, so that what is stored is exactly what verifies."""

import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import load_pem_x509_certificate
from django.core.exceptions import ValidationError

RS256 = "RS256"
ES256 = "ES256"
ALGORITHMS = (RS256, ES256)
RSA_MIN_BITS = 2048


def load_public_key(pem: str | bytes, algorithm: str):
    """The key object for `algorithm`, or ValidationError (French) when the PEM is unreadable or does not fit."""
    if algorithm not in ALGORITHMS:
        raise ValidationError("Algorithme non accepté : RS256 ou ES256.")
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    data = data.strip()
    try:
        if b"BEGIN CERTIFICATE" in data:
            key = load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError(
            "Clé publique illisible : un PEM « BEGIN PUBLIC KEY » (ou un certificat) est attendu, "
            "jamais la clé privée."
        ) from exc
    if algorithm == RS256:
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValidationError("Cette clé n'est pas une clé RSA : elle ne convient pas à RS256.")
        if key.key_size < RSA_MIN_BITS:
            raise ValidationError(f"Clé RSA de {key.key_size} bits : {RSA_MIN_BITS} bits au moins.")
    elif not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("ES256 exige une clé à courbe elliptique P-256 (secp256r1).")
    return key


def normalise(pem: str | bytes, algorithm: str) -> str:
    """The public key as SubjectPublicKeyInfo PEM text (what we store)."""
    key = load_public_key(pem, algorithm)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(pem: str) -> str:
    """SHA-256 of the DER public key, in hex: what `openssl pkey -pubin -in key.pem -outform DER | sha256sum` prints
    on the hospital's side, to check that the key registered is theirs."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return ""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()
