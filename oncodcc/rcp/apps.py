from django.apps import AppConfig


class RcpConfig(AppConfig):
    name = "oncodcc.rcp"
    label = "rcp"

    def ready(self) -> None:
        from . import policy  # noqa: F401  registers the board permissions and the RCP's relations to patients
