from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "oncodcc.documents"
    label = "documents"
    verbose_name = "Documents"
