from django.apps import AppConfig


class Hl7v2Config(AppConfig):
    name = "oncodcc.interop.hl7v2"
    label = "hl7v2"
    verbose_name = "HL7 v2 (MLLP)"

    def ready(self) -> None:
        from . import handlers  # noqa: F401 - registers the ADT/ORU/MDM handlers
