from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "oncodcc.directory"
    label = "directory"
    verbose_name = "Annuaire"
