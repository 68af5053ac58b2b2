"""Deployment check of the links in emails: every email built outside a request (account activation by a command,
notifications of validated fiches, meeting reminders) links to DCC_SITE_URL, which must be the site's public https
address in production."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@checks.register(checks.Tags.security, deploy=True)
def site_url(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    parts = urlsplit(settings.DCC_SITE_URL)
    if parts.scheme == "https" and parts.hostname and parts.hostname not in LOOPBACK:
        return []
    return [checks.Warning(
        f"DCC_SITE_URL ({settings.DCC_SITE_URL}) n'est pas l'adresse https publique du site : les liens des "
        "courriels (activation de compte, fiches validées, rappels de séance) n'y mèneront pas.", id="oncodcc.W030")]
