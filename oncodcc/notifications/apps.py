from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "oncodcc.notifications"
    label = "notifications"
    verbose_name = "Notifications et calendrier"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  the RCP's fiche_validated signal (DCC_SITE_URL: oncodcc.accounts.checks)
