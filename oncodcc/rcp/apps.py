from django.apps import AppConfig


class RcpConfig(AppConfig):
    name = "oncodcc.rcp"
    label = "rcp"
