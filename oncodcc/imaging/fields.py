"""A secret OncoDCC must send (a PACS password or token), so it cannot be hashed: stored encrypted (Fernet), with a
key derived from the Django secret key, so that a database dump or backup alone does not hand out the region's
PACS credentials. Changing the secret key makes the stored secrets unreadable: they read as empty (the panel then
reports the source's refusal) and are typed again in the admin."""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)
PREFIX = "fernet:"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"oncodcc.imaging.source-secret\x00" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class EncryptedSecretField(models.TextField):
    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        if not value.startswith(PREFIX):
            return value
        try:
            return _fernet().decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            logger.warning("An image source secret cannot be decrypted (the secret key changed?): type it again.")
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return PREFIX + _fernet().encrypt(value.encode()).decode()
