"""Writing audit events and verifying the chain.

Each event's hash covers its content and the previous event's hash. Writers serialise on the chain head
(a row lock on the chain head; SQLite transactions are already serial), inside the caller's transaction,
so an event exists exactly when the business write it records does.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import context
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


class Action:
    """Audit actions. Reads of patient data end with `.view`/`.search`; writes with a verb."""

    PATIENT_SEARCH = "patient.search"
    PATIENT_LIST = "patient.list"
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    PATIENT_MERGE = "patient.merge"
    PATIENT_ACCESS_HISTORY_VIEW = "patient.access_history.view"
    BREAK_GLASS = "patient.break_glass"
    ACCESS_DENIED = "patient.access_denied"
    REGISTRATION_CREATE = "registration.create"
    REGISTRATION_UPDATE = "registration.update"
    REGISTRATION_MOVE = "registration.move"
    REGISTRATION_WITHDRAW = "registration.withdraw"
    REGISTRATION_VIEW = "registration.view"
    FICHE_CREATE = "fiche.create"
    FICHE_UPDATE = "fiche.update"
    FICHE_VIEW = "fiche.view"
    FICHE_PRINT = "fiche.print"
    FICHE_VALIDATE = "fiche.validate"
    FICHE_CORRECT = "fiche.correct"
    CAREPLAN_CREATE = "careplan.create"
    CAREPLAN_UPDATE = "careplan.update"
    CAREPLAN_VALIDATE = "careplan.validate"
    CAREPLAN_HANDOVER = "careplan.handover"
    CAREPLAN_NEW_VERSION = "careplan.new_version"
    CAREPLAN_VIEW = "careplan.view"
    DOCUMENT_DOWNLOAD = "document.download"
    DOCUMENT_EXPORT = "document.export"
    FHIR_READ = "fhir.read"
    FHIR_WRITE = "fhir.write"
    DOCUMENT_RECEIVE = "document.receive"
    DOCUMENT_REPLACE = "document.replace"
    DOCUMENT_DELETE = "document.delete"
    DOCUMENT_VIEW = "document.view"
    HL7_MESSAGE = "hl7.message"
    HL7_REPLAY = "hl7.replay"
    LAUNCH = "launch.open"
    LAUNCH_REFUSED = "launch.refused"
    # Configuration of the interoperability channels (no patient: never in a patient's access history).
    HL7_SENDER_REGISTER = "hl7.sender_register"
    HL7_SENDER_UPDATE = "hl7.sender_update"
    API_CLIENT_CREATE = "api_client.create"
    API_CLIENT_UPDATE = "api_client.update"
    API_CLIENT_REGENERATE = "api_client.secret"  # a new secret was issued
    API_CLIENT_REVOKE = "api_client.revoke"
    LAUNCH_KEY_REGISTER = "launch.key_register"
    MEETING_VIEW = "meeting.view"
    MEETING_UPDATE = "meeting.update"
    ATTENDANCE_UPDATE = "meeting.attendance"
    LOGIN = "auth.login"
    LOGOUT = "auth.logout"
    LOGIN_FAILED = "auth.login_failed"
    DEMO_DATA = "system.demo_data"


def _digest(event: AuditEvent) -> str:
    payload = {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "action": event.action,
        "patient_id": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "reason": event.reason,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    *,
    actor,
    action: str,
    patient=None,
    patient_id: int | None = None,
    obj=None,
    reason: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the write it records."""
    ctx = context.current()
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=str(actor) if actor is not None else "système",
            actor_role=getattr(actor, "role", "") or "",
            action=action,
            patient_id=patient.pk if patient is not None else patient_id,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            ip_address=ctx.ip_address,
            user_agent=ctx.user_agent,
            reason=reason,
            details=json.loads(json.dumps(details or {}, default=str)),
            prev_hash=head.last_hash,
        )
        event.hash = _digest(event)
        event.save()
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_event_id=event.id, last_hash=event.hash, count=head.count + 1
        )
    return event


def _locked_head() -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update().get(pk=1)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        return AuditChainHead.objects.select_for_update().get(pk=1)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first event whose content or link does not match."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            head = AuditChainHead.objects.filter(pk=1).first()
            head_hash = head.last_hash if head else GENESIS
            if head_hash != expected_prev or (head and head.count != checked):
                return VerifyResult(
                    False, checked, head.last_event_id if head else None,
                    "fin de chaîne manquante (des événements récents ont été supprimés)",
                )
            return VerifyResult(ok=True, checked=checked)
        for event in batch:
            if event.prev_hash != expected_prev:
                return VerifyResult(False, checked, event.id, "lien rompu (un événement précédent a été supprimé ou modifié)")
            if _digest(event) != event.hash:
                return VerifyResult(False, checked, event.id, "contenu modifié (empreinte différente)")
            expected_prev = event.hash
            checked += 1
            last_id = event.id
