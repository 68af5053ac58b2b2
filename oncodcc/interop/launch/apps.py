from django.apps import AppConfig


class LaunchConfig(AppConfig):
    name = "oncodcc.interop.launch"
    label = "launch"
    verbose_name = "Appel contextuel"
