from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "oncodcc.trials"
    label = "trials"
    verbose_name = "Essais cliniques"

    def ready(self) -> None:
        from . import policy  # noqa: F401  registers trial.prescreen
