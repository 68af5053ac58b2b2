from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "oncodcc.audit"
    label = "audit"
    verbose_name = "Traçabilité"

    def ready(self):
        # After django.contrib.admin's autodiscovery (listed earlier in INSTALLED_APPS): every admin is audited.
        from django.contrib import admin

        from oncodcc.core.admin import audit_every_admin

        audit_every_admin(admin.site)
