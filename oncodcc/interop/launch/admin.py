"""Hospitals' launch keys in the admin: DSRC and system administrators paste or upload the public key PEM,
see its SHA-256 fingerprint, deactivate it. Keys are deactivated, never deleted (audit refers to them)."""

from django import forms
from django.contrib import admin, messages

from oncodcc.accounts.models import Role
from oncodcc.core.actors import SystemActor
from oncodcc.core.admin import RoleAdmin

from . import services
from .models import LaunchKey

MAX_PEM_BYTES = 64 * 1024


class LaunchKeyForm(forms.ModelForm):
    public_key_file = forms.FileField(
        label="… ou fichier PEM", required=False,
        help_text="Fichier .pem de la clé publique (ou du certificat) : remplace le texte collé.",
    )

    class Meta:
        model = LaunchKey
        fields = ("organisation", "issuer", "algorithm", "kid", "public_key", "public_key_file", "active")
        widgets = {"public_key": forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "public_key" in self.fields:  # read-only (absent) once the key is registered
            self.fields["public_key"].required = False

    def clean(self):
        data = super().clean()
        upload = data.get("public_key_file")
        if upload:
            if upload.size > MAX_PEM_BYTES:
                self.add_error("public_key_file", "Fichier trop gros pour une clé publique PEM.")
            else:
                try:
                    data["public_key"] = upload.read().decode("ascii")
                except UnicodeDecodeError:
                    self.add_error("public_key_file", "Un fichier PEM (texte) est attendu, pas une clé DER.")
                self.instance.public_key = data.get("public_key", "")
        if self.instance.pk is None and not data.get("public_key") and not self.has_error("public_key_file"):
            self.add_error("public_key", "Collez la clé publique PEM ou choisissez son fichier.")
        return data


@admin.register(LaunchKey)
class LaunchKeyAdmin(RoleAdmin):
    form = LaunchKeyForm
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}
    list_display = ("issuer", "kid", "organisation", "algorithm", "active", "created_at")
    list_filter = ("active", "algorithm")
    search_fields = ("issuer", "kid", "organisation__name", "organisation__finess")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("fingerprint", "created_at")
    actions = ("deactivate",)

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["organisation", "issuer", "algorithm", "kid", "public_key", "fingerprint", "active", "created_at"]
        return ["organisation", "issuer", "algorithm", "kid", "public_key", "public_key_file", "active"]

    def get_readonly_fields(self, request, obj=None):
        # A registered key is never edited in place (a new key is registered, the old one deactivated): what
        # verified yesterday's launches stays readable.
        if obj is not None:
            return ("organisation", "issuer", "algorithm", "kid", "public_key", "fingerprint", "created_at")
        return super().get_readonly_fields(request, obj)

    # Registrations and changes go into the audit chain through RoleAdmin, with the key's fingerprint.
    audit_actions = {**RoleAdmin.audit_actions, "add": services.KEY_REGISTER, "change": services.KEY_REGISTER}

    def audit_details(self, obj) -> dict:
        return {"organisation": obj.organisation_id, "issuer": obj.issuer, "kid": obj.kid,
                "algorithm": obj.algorithm, "active": obj.active, "sha256": obj.fingerprint, "via": "admin"}

    @admin.display(description="empreinte SHA-256 de la clé")
    def fingerprint(self, obj):
        return obj.fingerprint

    @admin.action(description="Désactiver les clés sélectionnées")
    def deactivate(self, request, queryset):
        actor = _actor(request)
        for key in queryset:
            services.deactivate_key(actor=actor, key=key)
        messages.success(request, f"{queryset.count()} clé(s) désactivée(s).")


def _actor(request):
    return request.user if request.user.is_authenticated else SystemActor(label="administration", role="launch")
