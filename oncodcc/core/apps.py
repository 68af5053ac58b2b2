from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "oncodcc.core"
    label = "core"
    verbose_name = "OncoDCC"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
