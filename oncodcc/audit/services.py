"""Writing audit events and verifying the chain.

Each event's hash is an HMAC (audit key, ADR 0006) of its content and the previous event's hash. Writers serialise on the chain head
(a row lock on the chain head; SQLite transactions are already serial), inside the caller's transaction,
so an event exists exactly when the business write it records does.
"""

import json

from django.db import transaction
from django.utils import timezone

from . import chain, context
from .chain import GENESIS, VerifyResult, verify_chain  # noqa: F401 (the audit API)
from .models import AuditChainHead, AuditEvent


class Action:
    """Audit actions. Reads of patient data end with `.view`/`.search`; writes with a verb."""

    PATIENT_SEARCH = "patient.search"
    PATIENT_LIST = "patient.list"
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    PATIENT_MERGE = "patient.merge"
    PATIENT_UNMERGE = "patient.unmerge"
    IDENTITY_INDICATORS = "identity.indicators"  # identity vigilance counts read or exported (no patient)
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
    FICHE_FIRST_SIGN = "fiche.first_sign"  # double signature: the first of the two signers
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
    DOCUMENT_WITHDRAW = "document.withdraw"  # a generated document withdrawn (entered in error)
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
    # Any other change made in the Django admin (accounts, rights, directory, boards and their members…).
    ADMIN_ADD = "admin.add"
    ADMIN_CHANGE = "admin.change"
    ADMIN_DELETE = "admin.delete"
    MEETING_VIEW = "meeting.view"
    MEETING_UPDATE = "meeting.update"
    MEETING_CLOSE = "meeting.close"  # closing with the undiscussed cases postponed, withdrawn or kept
    ATTENDANCE_UPDATE = "meeting.attendance"
    LOGIN = "auth.login"
    LOGOUT = "auth.logout"
    LOGIN_FAILED = "auth.login_failed"
    DEMO_DATA = "system.demo_data"
    TRIAL_PRESCREEN_VIEW = "trial.prescreen.view"  # the possible trials of a case shown (reads its fiche)
    TRIAL_IMPORT = "trial.import"  # the regional trials registry imported (CSV or FHIR Bundle)
    # Imaging (oncodcc.imaging): the patient's studies listed from the PACS, one opened in the viewer, a study
    # pinned to (or unpinned from) a registration, an image source registered by `dcc imaging register-source`.
    IMAGING_STUDIES_VIEW = "imaging.studies.view"
    IMAGING_STUDY_VIEW = "imaging.study.view"
    IMAGING_STUDY_PIN = "imaging.study.pin"
    IMAGING_STUDY_UNPIN = "imaging.study.unpin"
    IMAGING_SOURCE_REGISTER = "imaging.source.register"
    # Diffusion out (oncodcc.diffusion): a manual resend, the patient's objection to the DMP, reading the raw
    # payloads of the attempt log, a DPI receiver registered.
    DIFFUSION_RESEND = "diffusion.resend"
    DIFFUSION_PAYLOAD_VIEW = "diffusion.payload.view"
    DMP_OPPOSITION = "patient.dmp_opposition"
    # Infocentre: the search over fiches (one event per patient shown or exported) and the saved searches.
    FICHE_SEARCH = "fiche.search"
    FICHE_SEARCH_EXPORT = "fiche.search_export"
    SAVED_SEARCH_CREATE = "infocentre.saved_search_create"
    SAVED_SEARCH_DELETE = "infocentre.saved_search_delete"
    HL7_RECEIVER_REGISTER = "hl7.receiver_register"
    # Accounts (issue 10): requests, activation, second factor, Pro Santé Connect, lifecycle and access reviews.
    ACCOUNT_REQUEST = "account.request"
    ACCOUNT_REQUEST_ACCEPT = "account.request_accept"
    ACCOUNT_REQUEST_REFUSE = "account.request_refuse"
    ACCOUNT_REQUEST_VIEW = "account.request_view"  # a request opened on the worklist (a professional's details)
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_ACTIVATE = "account.activate"
    ACCOUNT_PASSWORD_RESET = "account.password_reset"  # noqa: S105 (an action name)
    ACCOUNT_DEACTIVATE = "account.deactivate"
    ACCOUNT_INACTIVITY_WARNING = "account.inactivity_warning"
    ACCOUNT_REVIEW = "account.review"
    ACCOUNT_BOARDS_LOST = "account.boards_lost"
    OTP_ENROL = "auth.otp_enrol"
    OTP_RESET = "auth.otp_reset"
    OTP_FAILED = "auth.otp_failed"
    OTP_VERIFIED = "auth.otp_verified"  # the second step of a password sign-in (a TOTP code)
    RECOVERY_CODE_USED = "auth.recovery_code"
    PSC_LOGIN = "auth.psc_login"
    PSC_REFUSED = "auth.psc_refused"
    # Notifications (oncodcc.notifications): emails queued about a patient's fiche or a meeting's cases, and the
    # users' calendar feeds (no patient data: never in a patient's access history).
    NOTIFICATION_FICHE_VALIDATED = "notification.fiche_validated"
    NOTIFICATION_MEETING_REMINDER = "notification.meeting_reminder"
    CALENDAR_FEED_CREATE = "calendar.feed_create"
    CALENDAR_FEED_REVOKE = "calendar.feed_revoke"


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
        chain.seal(event)
        event.save()
        count = head.count + 1
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_event_id=event.id, last_hash=event.hash, count=count,
            **chain.sign_head(event.id, count, event.hash),
        )
    return event


def record_many(*, actor, action: str, patient_ids: list[int], obj=None, details: dict | None = None,
                per_patient: dict | None = None) -> int:
    """Append one event per patient in a single insert: a list page (search results, a meeting's cases) names
    each patient shown without one round trip per event. Same chain, same seal as `record`."""
    if not patient_ids:
        return 0
    ctx = context.current()
    now = timezone.now()
    with transaction.atomic():
        head = _locked_head()
        prev = head.last_hash
        events = []
        for patient_id in patient_ids:
            event = AuditEvent(
                occurred_at=now,
                actor_id=getattr(actor, "pk", None),
                actor_label=str(actor) if actor is not None else "système",
                actor_role=getattr(actor, "role", "") or "",
                action=action,
                patient_id=patient_id,
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None else "",
                ip_address=ctx.ip_address,
                user_agent=ctx.user_agent,
                details=json.loads(json.dumps({**(details or {}), **((per_patient or {}).get(patient_id) or {})},
                                              default=str)),
                prev_hash=prev,
            )
            chain.seal(event)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        last_id = events[-1].pk
        if last_id is None:  # a backend that does not return ids: read the last one back
            last_id = AuditEvent.objects.filter(hash=prev).values_list("pk", flat=True).get()
        count = head.count + len(events)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_event_id=last_id, last_hash=prev, count=count, **chain.sign_head(last_id, count, prev),
        )
    return len(events)


def _locked_head() -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update().get(pk=1)
    except AuditChainHead.DoesNotExist:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        return AuditChainHead.objects.select_for_update().get(pk=1)
