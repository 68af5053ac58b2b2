from django.apps import AppConfig


class SmartConfig(AppConfig):
    name = "oncodcc.interop.smart"
    label = "smart"
    verbose_name = "API FHIR — clients (SMART backend services)"
