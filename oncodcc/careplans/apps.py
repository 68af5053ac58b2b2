from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "oncodcc.careplans"
    label = "careplans"
    verbose_name = "Programmes personnalisés de soins"
