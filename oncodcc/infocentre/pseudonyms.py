"""Stable pseudonyms of patients for the epidemiologist's rows: an HMAC-SHA256 of the patient's id under a key
of the deployment, so the same patient gets the same pseudonym in every search and export, and nobody without
the key can go back from a pseudonym to the record. The key is DCC_PSEUDONYM_KEY, else one derived from the
secret key (rotating it changes every pseudonym)."""

import hashlib
import hmac

from django.conf import settings


def _key() -> bytes:
    explicit = getattr(settings, "DCC_PSEUDONYM_KEY", "")
    if explicit:
        return explicit.encode("utf-8")
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), b"oncodcc.infocentre.pseudonym", hashlib.sha256).digest()


def pseudonym(patient_id: int) -> str:
    digest = hmac.new(_key(), f"patient:{patient_id}".encode("ascii"), hashlib.sha256).hexdigest()
    return f"P-{digest[:16].upper()}"
