from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "oncodcc.imaging"
    label = "imaging"
    verbose_name = "Imagerie"

    def ready(self) -> None:
        from . import policy  # noqa: F401  registers imaging.view_studies and imaging.pin
