"""Deployment checks of our own, run by `dcc check --deploy`."""

from django.conf import settings
from django.core import checks

from oncodcc.audit.keys import MIN_KEY_LENGTH


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
    if not settings.DCC_AUDIT_KEY_FROM_ENV or len(settings.DCC_AUDIT_KEY) < MIN_KEY_LENGTH:
        errors.append(
            checks.Error(
                f"DCC_AUDIT_KEY n'est pas défini (ou fait moins de {MIN_KEY_LENGTH} caractères) : la piste d'audit "
                "doit être signée avec une clé gardée hors de la base, jamais avec une clé de développement.",
                id="oncodcc.E003",
            )
        )
    if not settings.DCC_REQUIRE_OTP and not settings.DEBUG:
        errors.append(
            checks.Error(
                "DCC_REQUIRE_OTP est désactivé hors DEBUG : la connexion par mot de passe seul est interdite pour "
                "accéder à des données de santé (second facteur ou Pro Santé Connect obligatoires). Ne le "
                "désactivez qu'en développement (DCC_DEBUG=1).",
                id="oncodcc.E010",
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
