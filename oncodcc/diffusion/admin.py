"""Diffusion in the admin, for the DSRC administrator and the system administrator: the DPI receivers (changes
audited), and the delivery log — read-only; opening a delivery shows its attempts with the raw payloads (the
patient's identity): each opening is audited as an access to the record, like the inbound message log."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from oncodcc.accounts.models import Role
from oncodcc.audit.services import Action
from oncodcc.core.admin import PayloadLogAdmin, RoleAdmin
from oncodcc.directory.models import Organisation

from .models import Delivery, DeliveryAttempt, Receiver

DIFFUSION_ADMINS = {Role.ADMIN_DSRC, Role.SYSADMIN}
SHOWN_SEGMENT_CHARS = 600


@admin.register(Receiver)
class ReceiverAdmin(RoleAdmin):
    manager_roles = DIFFUSION_ADMINS
    list_display = ("organisation", "host", "port", "message_type", "tls", "active", "created_at")
    list_filter = ("active", "message_type", "tls")
    search_fields = ("organisation__name", "organisation__finess", "host")
    fields = ("organisation", "application", "facility", "host", "port", "message_type", "tls", "tls_ca",
              "tls_cert", "tls_key", "active")
    audit_actions = {**RoleAdmin.audit_actions, "add": Action.HL7_RECEIVER_REGISTER}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.exclude(oid="").filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: deliveries refer to receivers

    def audit_details(self, obj) -> dict:
        return {"organisation": obj.organisation_id, "host": obj.host, "port": obj.port, "tls": obj.tls,
                "active": obj.active}


def _pre(text: str) -> str:
    lines = [f"{line[:SHOWN_SEGMENT_CHARS]}… ({len(line)} caractères)" if len(line) > SHOWN_SEGMENT_CHARS else line
             for line in text.split("\n")]
    return format_html('<pre style="white-space: pre-wrap; word-break: break-all">{}</pre>', "\n".join(lines))


class AttemptInline(admin.StackedInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("started_at", "ended_at", "outcome", "detail", "request_payload", "response_payload")
    readonly_fields = fields

    @admin.display(description="message envoyé")
    def request_payload(self, obj):
        return _pre(obj.request_text())

    @admin.display(description="réponse reçue")
    def response_payload(self, obj):
        return _pre(obj.response_text())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(PayloadLogAdmin):
    # The raw payloads show the patient's identity and the document: an access like opening the record.
    payload_action = Action.DIFFUSION_PAYLOAD_VIEW
    payload_reason = "Journal des envois (administration)"

    manager_roles = DIFFUSION_ADMINS
    list_display = ("created_at", "channel", "recipient_label", "action", "state", "attempts", "next_attempt_at",
                    "short_error")
    list_filter = ("state", "channel", "action")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [AttemptInline]
    fields = ("document_link", "channel", "recipient_label", "receiver", "mssante_address", "action", "sequence",
              "state", "attempts", "next_attempt_at", "claimed_at", "last_error", "created_at", "delivered_at")
    readonly_fields = fields

    @admin.display(description="erreur")
    def short_error(self, obj):
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    @admin.display(description="document")
    def document_link(self, obj):
        document = obj.document
        return format_html('{} v{} — <a href="{}">dossier n° {}</a>', document.get_kind_display(),
                           document.version_number, reverse("patients:detail", args=[document.patient_id]),
                           document.patient_id)

    def payload_patient(self, object_id):
        delivery = Delivery.objects.filter(pk=object_id).select_related("document").first()
        if delivery is None:
            return None, None, {}
        return delivery, delivery.document.patient_id, {"delivery": delivery.pk}
