from django.apps import AppConfig


class TerminologyConfig(AppConfig):
    name = "oncodcc.terminology"
    label = "terminology"
    verbose_name = "Terminologies"
