from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "oncodcc.notifications"
    label = "notifications"
    verbose_name = "Notifications et calendrier"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  the deploy check; the RCP's fiche_validated signal
