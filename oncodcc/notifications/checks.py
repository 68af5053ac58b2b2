"""Deployment check of the notifications: the links in the emails need the application's public address."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def site_url_in_production(app_configs, **kwargs):
    if settings.DEBUG or settings.DCC_SITE_URL.startswith("https://"):
        return []
    return [checks.Warning(
        "DCC_SITE_URL n'est pas une adresse https : les liens des courriels (fiches validées, rappels de séance) "
        "doivent mener à l'adresse publique de l'application (par exemple https://dcc.region.fr).",
        id="oncodcc.W030",
    )]
