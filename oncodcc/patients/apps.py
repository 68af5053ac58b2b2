from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "oncodcc.patients"
    label = "patients"
