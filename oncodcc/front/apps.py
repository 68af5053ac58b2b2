from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "oncodcc.front"
    label = "front"
