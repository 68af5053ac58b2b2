from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "oncodcc.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self):
        from . import policy  # noqa: F401  registers document.withdraw
