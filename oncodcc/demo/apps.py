from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "oncodcc.demo"
    label = "demo"
    verbose_name = "Données de démonstration"
