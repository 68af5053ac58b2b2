"""Deployment checks of our own, run by `dcc check --deploy`."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def development_defaults_in_production(app_configs, **kwargs):
    errors = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        errors.append(
            checks.Error(
                "DCC_SECRET_KEY n'est pas défini : la clé de développement ne doit jamais servir en production.",
                id="oncodcc.E001",
            )
        )
    if settings.DEMO_MODE and not settings.DEBUG:
        errors.append(
            checks.Warning(
                "DCC_DEMO_MODE est actif hors DEBUG : l'OID INS de test et les données de démonstration sont acceptés.",
                id="oncodcc.W002",
            )
        )
    return errors
