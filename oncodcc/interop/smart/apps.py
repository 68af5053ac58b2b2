from django.apps import AppConfig


class SmartConfig(AppConfig):
    name = "oncodcc.interop.smart"
    label = "smart"
    verbose_name = "API FHIR — clients (SMART backend services)"

    def ready(self) -> None:
        from . import access  # noqa: F401  registers the machine-client permission
