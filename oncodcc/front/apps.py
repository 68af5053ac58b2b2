from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "oncodcc.front"
    label = "front"
    verbose_name = "Pages d'accueil et dossier patient"
