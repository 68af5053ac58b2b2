from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "oncodcc.careplans"
    label = "careplans"
    verbose_name = "Programmes personnalisés de soins"

    def ready(self) -> None:
        from . import policy  # noqa: F401  registers careplan.view
