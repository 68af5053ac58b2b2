from django.apps import AppConfig


class InfocentreConfig(AppConfig):
    name = "oncodcc.infocentre"
    label = "infocentre"
    verbose_name = "Infocentre (statistiques régionales)"

    def ready(self) -> None:
        from . import policy, receivers  # noqa: F401
