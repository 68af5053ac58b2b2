"""FHIR API clients in the admin, for DSRC and system administrators: the secret is shown once, in the message
after creation (or after « Régénérer le secret »), never again; clients are deactivated, not deleted."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from oncodcc.accounts.models import Role
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.admin import RoleAdmin

from . import services
from .models import ApiClient
from .scopes import InvalidScope, parse_all


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "organisation", "scopes", "active"]

    def clean_scopes(self):
        try:
            parsed = parse_all(self.cleaned_data["scopes"])
        except InvalidScope as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not parsed:
            raise forms.ValidationError("Au moins un scope est nécessaire (p. ex. system/Patient.read).")
        return " ".join(s.text for s in parsed)

    def clean(self):
        data = super().clean()
        scopes = data.get("scopes") or ""
        if not data.get("organisation") and any(s.actions & set("cud") for s in parse_all(scopes)):
            self.add_error("scopes", "Un client régional (sans établissement) ne peut pas écrire.")
        return data


@admin.register(ApiClient)
class ApiClientAdmin(RoleAdmin):
    manager_roles = {Role.ADMIN_DSRC, Role.SYSADMIN}
    form = ApiClientForm
    list_display = ["name", "organisation", "client_id", "active", "last_used_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "created_at", "last_used_at"]
    actions = ["revoke", "regenerate_secret"]
    audit_actions = {**RoleAdmin.audit_actions, "add": services.CLIENT_CREATE, "change": Action.API_CLIENT_UPDATE}

    def audit_details(self, obj) -> dict:
        return {"client": obj.client_id, "scopes": obj.scopes, "active": obj.active}

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        secret = None if change else services.set_secret(obj)
        super().save_model(request, obj, form, change)  # audited by RoleAdmin, with the changed fields
        if secret:
            messages.warning(request, f"Client créé. client_id : {obj.client_id} — client_secret : {secret} — "
                                      f"notez ce secret maintenant : il ne sera plus jamais affiché.")
        if change and not obj.active:
            obj.tokens.all().delete()  # deactivated here: its tokens stop at once

    @admin.action(description="Révoquer (désactiver et invalider les jetons)")
    def revoke(self, request, queryset):
        for client in queryset:
            services.revoke_client(actor=request.user, client=client)
        messages.success(request, f"{queryset.count()} client(s) révoqué(s).")

    @admin.action(description="Régénérer le secret (l'ancien cesse de fonctionner)")
    def regenerate_secret(self, request, queryset):
        for client in queryset:
            with transaction.atomic():
                secret = services.set_secret(client)
                client.save(update_fields=["secret_hash"])
                client.tokens.all().delete()
                audit.record(actor=request.user, action=Action.API_CLIENT_REGENERATE, obj=client,
                             details={"client": client.client_id})
            messages.warning(request, f"{client.name} — client_id : {client.client_id} — nouveau client_secret : "
                                      f"{secret} — il ne sera plus jamais affiché.")
