from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "oncodcc.audit"
    label = "audit"
