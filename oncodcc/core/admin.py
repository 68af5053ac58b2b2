"""Role-based rights in the Django admin (directory, boards, accounts), instead of per-user permissions:
the 3C administrator manages the boards of their 3C, the DSRC administrator those of the region's 3Cs,
the system administrator everything. The DPO and clinicians have no admin access.

Every admin of ours inherits `RoleAdmin`, whose base `AuditedAdmin` writes each add, change and delete into the
audit chain (not only Django's editable `django_admin_log`): once, here, with the inline rows and many-to-many
links. Other packages' admins are wrapped with it at start-up (`audit_every_admin`)."""

from django.contrib import admin
from django.db import transaction

from oncodcc.accounts.models import Role
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import is_signed_in, register

from . import admin_audit

MANAGERS = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}


class AuditedAdmin(admin.ModelAdmin):
    """Writes each add, change and delete made through this admin into the audit chain."""

    # Actions of the events (an app may name its own, e.g. "hl7.sender_register"), and extra details per object.
    audit_actions = {"add": Action.ADMIN_ADD, "change": Action.ADMIN_CHANGE, "delete": Action.ADMIN_DELETE}
    audit_value_fields = admin_audit.RIGHTS_FIELDS

    def audit_details(self, obj) -> dict:
        return {}

    def record_admin_event(self, request, obj, op: str, details: dict) -> None:
        """One event in the chain, inside the admin's transaction."""
        audit.record(actor=request.user, action=self.audit_actions[op], obj=obj,
                     details={"admin": op, "label": str(obj)[:200], **details, **self.audit_details(obj)})
        request.audited_admin_objects = {*getattr(request, "audited_admin_objects", ()), (obj._meta.label, obj.pk)}

    def save_formset(self, request, form, formset, change):
        admin_audit.remember_deletions(formset, self.audit_value_fields)
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        # After the many-to-many links and the inline rows are saved: the event describes all of them.
        super().save_related(request, form, formsets, change)
        details = admin_audit.form_changes(form, self.audit_value_fields)
        inlines = admin_audit.formset_changes(formsets, self.audit_value_fields)
        if inlines:
            details["inlines"] = inlines
        self.record_admin_event(request, form.instance, "change" if change else "add", details)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if (obj._meta.label, obj.pk) not in getattr(request, "audited_admin_objects", ()):
            # A change saved outside the change form (e.g. the password form): its fields, from Django's message.
            changed = [field for part in message if isinstance(part, dict)
                       for field in part.get("changed", {}).get("fields", [])]
            self.record_admin_event(request, obj, "change", {"fields": admin_audit.field_names(changed)})
        return entry

    def delete_model(self, request, obj):
        with transaction.atomic():
            self.record_admin_event(request, obj, "delete", {"values": admin_audit.snapshot(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The "delete selected" action: not in a transaction of Django's own.
        with transaction.atomic():
            for obj in queryset:
                self.record_admin_event(request, obj, "delete", {"values": admin_audit.snapshot(obj)})
            super().delete_queryset(request, queryset)


@register("admin.access", "Accéder à l'administration (structures, RCP, comptes, configuration)")
def is_manager(user, obj=None) -> bool:
    return is_signed_in(user) and user.is_staff and (user.is_superuser or user.role in MANAGERS)


class RoleAdmin(AuditedAdmin):
    """Admin rights from the role. `manager_roles` narrows who may manage a model."""

    manager_roles = MANAGERS

    def _allowed(self, request) -> bool:
        user = request.user
        return is_manager(user) and (user.is_superuser or user.role in self.manager_roles)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        # Records are deactivated, not deleted (history, audit, fiches refer to them).
        return request.user.is_superuser


def audit_every_admin(site) -> None:
    """Admins of other packages (django-axes' lockouts, django-tasks' results) keep their own rights and are
    audited too: each is re-registered as a subclass with the audited base. Called once all admins are loaded."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {})
        site.unregister(model)
        site.register(model, audited)


def organisation_scope(user) -> dict | None:
    """Filter kwargs on a 3C field for scoped administrators, or None for the whole region."""
    if user.is_superuser or user.role == Role.SYSADMIN:
        return None
    if user.role == Role.ADMIN_3C:
        return {"pk": user.organisation_id}
    if user.role == Role.ADMIN_DSRC:
        return {"parent_id": user.organisation_id}
    return {"pk__in": []}


class PayloadLogAdmin(RoleAdmin):
    """A log of raw exchanges kept as evidence (HL7 messages received, documents sent): never added, changed or
    deleted from the admin; opening one shows a patient's identity and data, so it is an access audited in that
    patient's history. Subclasses define `payload_patient(object_id) -> (entry, patient id, audit details)` and say
    how the access is recorded."""

    payload_action = ""  # the audit action of opening an entry
    payload_reason = ""  # French, shown in the patient's access history

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            entry, patient_id, details = self.payload_patient(object_id)
            if entry is not None and patient_id:
                audit.record(actor=request.user, action=self.payload_action, patient_id=patient_id, obj=entry,
                             reason=self.payload_reason, details=details)
        return response
