"""HL7 v2 in the admin, for the DSRC administrator and the system administrator only (messages hold identities):
the registered senders, and the message log — read-only, each opening of a message about a patient audited, with
the "Rejouer" action."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from oncodcc.accounts.models import Role
from oncodcc.audit.services import Action
from oncodcc.core.admin import PayloadLogAdmin, RoleAdmin
from oncodcc.directory.models import Organisation

from . import services
from .models import Hl7Message, Hl7Sender

HL7_ADMINS = {Role.ADMIN_DSRC, Role.SYSADMIN}
# Segments longer than this (a base64 CDA) are shortened on the detail page.
SHOWN_SEGMENT_CHARS = 600


class Hl7SenderForm(forms.ModelForm):
    class Meta:
        model = Hl7Sender
        fields = ["application", "facility", "organisation", "active", "cert_fingerprint", "cert_subject",
                  "allowed_networks"]
        help_texts = {
            "application": "Valeur exacte de MSH-3 (premier composant) dans les messages de l'établissement.",
            "facility": "Valeur exacte de MSH-4 (premier composant).",
            "organisation": "Son OID est l'autorité d'affectation des IPP reçus de cet émetteur.",
        }
        widgets = {"allowed_networks": forms.Textarea(attrs={"rows": 3})}


@admin.register(Hl7Sender)
class Hl7SenderAdmin(RoleAdmin):
    form = Hl7SenderForm
    manager_roles = HL7_ADMINS
    list_display = ("application", "facility", "organisation", "organisation_oid", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("application", "facility", "organisation__name", "organisation__oid")

    @admin.display(description="OID")
    def organisation_oid(self, obj):
        return obj.organisation.oid

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.exclude(Q(oid="")).filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the message log refers to senders

    # A sender decides whose identities the DCC accepts: every change is evidence, in the audit chain (RoleAdmin).
    audit_actions = {**RoleAdmin.audit_actions, "add": Action.HL7_SENDER_REGISTER, "change": Action.HL7_SENDER_UPDATE}

    def audit_details(self, obj) -> dict:
        return {"sender": str(obj), "organisation": obj.organisation_id, "active": obj.active}


@admin.register(Hl7Message)
class Hl7MessageAdmin(PayloadLogAdmin):
    # The raw message shows the patient's identity: an access like opening the record.
    payload_action = Action.PATIENT_VIEW
    payload_reason = "Journal des messages HL7 (administration)"

    manager_roles = HL7_ADMINS
    list_display = ("received_at", "message_type", "control_id", "sender_label", "state", "ack_code",
                    "short_error", "size", "replay_of")
    list_filter = ("state", "message_type", "sender", "ack_code")
    date_hierarchy = "received_at"
    search_fields = ("=control_id",)
    list_select_related = ("sender",)
    actions = ["replay"]
    fields = ("received_at", "peer", "sender", "sending_application", "sending_facility", "control_id",
              "message_type", "encoding", "notes", "size", "state", "ack_code", "error", "patient_link",
              "document_id", "processed_at", "replay_of", "raw_message", "ack_message")
    readonly_fields = fields
    show_full_result_count = False  # the log grows large: no COUNT(*) of the whole table on each page

    @admin.display(description="émetteur")
    def sender_label(self, obj):
        return obj.sender or f"{obj.sending_application}/{obj.sending_facility} (inconnu)"

    @admin.display(description="motif")
    def short_error(self, obj):
        return obj.error[:80] + ("…" if len(obj.error) > 80 else "")

    @admin.display(description="patient")
    def patient_link(self, obj):
        if not obj.patient_id:
            return "—"
        return format_html('<a href="{}">Dossier n° {}</a>', reverse("patients:detail", args=[obj.patient_id]),
                           obj.patient_id)

    @admin.display(description="message brut (décodé pour la lecture)")
    def raw_message(self, obj):
        lines = []
        for line in obj.raw_text().split("\n"):
            if len(line) > SHOWN_SEGMENT_CHARS:
                line = f"{line[:SHOWN_SEGMENT_CHARS]}… ({len(line)} caractères)"
            lines.append(line)
        return format_html('<pre style="white-space: pre-wrap; word-break: break-all">{}</pre>', "\n".join(lines))

    @admin.display(description="acquittement envoyé")
    def ack_message(self, obj):
        return format_html("<pre>{}</pre>", obj.ack_text())

    def payload_patient(self, object_id):
        message = Hl7Message.objects.filter(pk=object_id).only("pk", "patient_id").first()
        if message is None:
            return None, None, {}
        return message, message.patient_id, {"hl7_message": message.pk}

    @admin.action(description="Rejouer les messages sélectionnés")
    def replay(self, request, queryset):
        for message in queryset.order_by("pk")[:100]:
            try:
                new = services.replay(actor=request.user, message=message)
            except services.ReplayRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            level = messages.SUCCESS if new.ack_code == "AA" else messages.WARNING
            self.message_user(request, f"Message n° {message.pk} rejoué : nouveau message n° {new.pk}, "
                              f"{new.get_state_display()} ({new.ack_code})"
                              + (f" — {new.error}" if new.error else ""), level)
