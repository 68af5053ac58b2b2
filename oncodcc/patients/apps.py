from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "oncodcc.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from . import policy  # noqa: F401  registers the patient permissions and relations
