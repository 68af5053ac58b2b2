"""Processing of one HL7 v2 message: the contract of the MLLP listener is `handle_message(payload) -> ACK bytes`.

Order (ARCHITECTURE §3 "inbound messages"): the raw bytes are persisted first in their own transaction; the
message is then processed in ONE transaction, and the answer is AA only once that transaction has committed.
Anything else gets AE (correct and resend) or AR (rejected as such) with an ERR segment and a French reason.

Dedupe: a message whose (application, facility, control id) matches an earlier ACCEPTED one gets that message's
ACK bytes back unchanged (state "duplicate") and is not processed again. It is race-safe: the row is claimed as
"accepted" first thing in the processing transaction, under a conditional unique constraint; the loser of a race
waits for the winner's commit, fails on the constraint, rolls back and answers the winner's ACK."""

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor
from oncodcc.core.text import strip_control_chars
from oncodcc.documents.received import DocumentRefused
from oncodcc.patients.inbound import IdentityError, incidents_recorded, warnings_collected
from oncodcc.patients.merge import MergeRefused
from oncodcc.patients.models import Patient

from . import ack
from .ack import Problem, Refused
from .channel import Channel, refusal
from .models import Hl7Message, Hl7Sender
from .parsing import CHARSETS, Header, Message, MessageError, parse, read_header

logger = logging.getLogger(__name__)
State = Hl7Message.State
INTERNAL_REASON = "Erreur interne du DCC : le message est conservé ; renvoyez-le ou demandez son rejeu."
# Of a message refused before processing (unknown sender, not authenticated, no MSH), at most this much is kept.
HEAD_STORED_BYTES = 512


@dataclass
class Context:
    message: Message
    sender: Hl7Sender
    actor: SystemActor
    log: Hl7Message

    @property
    def organisation(self):
        return self.sender.organisation


@dataclass
class Outcome:
    patient_id: int | None = None
    document_id: int | None = None


Handler = Callable[[Context], Outcome]
# message code (MSH-9.1) → trigger event (MSH-9.2) → handler; filled by `register` in pam.py and documents.py.
HANDLERS: dict[str, dict[str, Handler]] = {}


def register(code: str, *events: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        for event in events:
            HANDLERS.setdefault(code, {})[event] = handler
        return handler

    return decorator


def max_message_bytes() -> int:
    return settings.MLLP_MAX_FRAME_BYTES


def handle_message(payload: bytes, *, peer: str = "", channel: Channel | None = None) -> bytes:
    """Process one message (bytes as framed by MLLP, without <VT> and <FS><CR>) and return the ACK bytes.
    `channel`: the connection it came by (address, TLS client certificate), checked against the sender's
    authentication (channel.refusal); None only for callers that are not a network connection.

    Thread-safe and never raises: whatever the input, the answer is an ACK (AA, AE or AR). Database connections
    are the caller's business, as around a web request (the listener closes old ones in its worker threads)."""
    try:
        if not isinstance(payload, bytes | bytearray | memoryview):
            payload = str(payload).encode("utf-8")
        return bytes(receive(bytes(payload), peer=str(peer)[:100], channel=channel).ack)
    except Exception as exc:  # the listener must always get an answer
        _log_unexpected(exc, None)
        try:
            header = read_header(bytes(payload) if isinstance(payload, bytes | bytearray) else b"")
        except Exception:
            header = Header()
        return ack.build(header, "AE", problem=Problem("AE", ack.INTERNAL_ERROR, INTERNAL_REASON))


def receive(payload: bytes, *, peer: str = "", channel: Channel | None = None,
            replay_of: Hl7Message | None = None) -> Hl7Message:
    """Log, process and answer one message; returns its log row (with `ack` set). Used by the listener and replay.
    A message that does not come from a registered sender authenticated on `channel` is refused (AR) before any
    processing, and only its header and size are logged: junk and unknown senders do not fill the database."""
    header = read_header(payload)
    sender, problem = admit(header, channel)
    row = _persist(payload, header, peer=peer, replay_of=replay_of, whole=problem is None)
    return finish(row, payload, header, sender, problem)


def finish(row: Hl7Message, payload: bytes, header: Header, sender: Hl7Sender | None,
           problem: Problem | None = None) -> Hl7Message:
    """Process a logged row (or refuse it with `problem`) and save its outcome: the path of every message, also
    of one recovered after an interruption (recovery.py)."""
    try:
        if problem is not None:
            codec = _codec_for_answer(payload, header) if header.usable else "utf-8"
            result = _refused(row, header, problem, codec, State.REJECTED)
        else:
            result = _process(row, payload, header, sender)
    except _AlreadyHandled:  # finished meanwhile by another process: its outcome stands
        row.refresh_from_db()
        return row
    except Exception as exc:  # unexpected: the transaction has rolled back, the raw row is kept
        _log_unexpected(exc, row)
        codec = _codec_for_answer(payload, header) if header.usable else "utf-8"
        result = _refused(row, header, Problem("AE", ack.INTERNAL_ERROR, INTERNAL_REASON), codec, State.ERROR)
    if result is not None:  # accepted rows were finished inside their transaction
        row.save(update_fields=["state", "ack_code", "ack", "error", "processed_at", "sender", "encoding", "notes",
                                "patient_id", "document_id"])
    return row


def admit(header: Header, channel: Channel | None) -> tuple[Hl7Sender | None, Problem | None]:
    """The registered, active sender named by MSH-3/MSH-4 and authenticated on this channel, or why not."""
    if not header.usable:
        return None, Problem("AR", ack.SEGMENT_SEQUENCE, header.problem, "MSH")
    sender = (Hl7Sender.objects.select_related("organisation")
              .filter(application=header.sending_application, facility=header.sending_facility, active=True).first())
    if sender is None or not sender.organisation.oid:
        reason = (f"Émetteur inconnu : {header.sending_application}/{header.sending_facility} — à enregistrer par "
                  "l'administrateur")
        return None, Problem("AR", ack.UNKNOWN_KEY, reason, "MSH", 1, 4)
    reason = refusal(sender, channel)
    if reason is not None:
        return None, Problem("AR", ack.INTERNAL_ERROR, reason, "MSH", 1, 3)
    return sender, None


def _persist(payload: bytes, header: Header, *, peer: str, replay_of: Hl7Message | None,
             whole: bool = True) -> Hl7Message:
    """The raw message, in its own (autocommit) transaction, before anything else. Not `whole` (refused before
    processing: unknown sender, not authenticated, no MSH): its first segment only, at most HEAD_STORED_BYTES."""
    limit = max_message_bytes()
    if whole:
        raw = payload[:limit]
        notes = "message tronqué à la taille maximale" if len(payload) > limit else ""
    else:
        raw = payload[:HEAD_STORED_BYTES].replace(b"\n", b"\r").split(b"\r", 1)[0]
        notes = "en-tête seul conservé (message refusé avant traitement)" if len(raw) < len(payload) else ""
    return Hl7Message.objects.create(
        received_at=timezone.now(), peer=strip_control_chars(peer), raw=raw, size=len(payload),
        sending_application=header.sending_application[:100], sending_facility=header.sending_facility[:100],
        control_id=header.control_id[:100], message_type=header.message_type[:30],
        encoding=CHARSETS.get(header.charset, header.charset)[:40], replay_of=replay_of, notes=notes,
    )


def _refused(row: Hl7Message, header: Header, problem: Problem, codec: str, state: str | None = None) -> bool:
    row.state = state or (State.REJECTED if problem.ack_code == "AR" else State.ERROR)
    row.ack_code = problem.ack_code
    row.error = strip_control_chars(problem.reason)[:2000]  # reasons may echo bad input (PostgreSQL: no NUL)
    row.ack = ack.build(header, problem.ack_code, codec=codec, problem=problem)
    row.processed_at = timezone.now()
    row.patient_id = row.document_id = None
    return True


def _process(row: Hl7Message, payload: bytes, header: Header, sender: Hl7Sender) -> bool | None:
    """Fill the row's outcome (the sender admitted). Returns None when the row was already saved in the
    processing transaction."""
    row.sender = sender
    if len(payload) > max_message_bytes():
        return _refused(row, header, Problem("AR", ack.DATA_TYPE_ERROR, "Message trop volumineux."), "utf-8")
    codec = _codec_for_answer(payload, header)
    if not header.control_id:
        return _refused(row, header, Problem("AR", ack.REQUIRED_FIELD_MISSING,
                                             "Identifiant du message (MSH-10) absent.", "MSH", 1, 10), codec)
    # A repeated control id is found by _claim (the unique constraint on accepted messages), inside the
    # transaction: no separate lookup on every message of a busy feed.
    handlers = HANDLERS.get(header.message_code)
    if handlers is None:
        return _refused(row, header, Problem("AR", ack.UNSUPPORTED_MESSAGE_TYPE,
                                             f"Type de message non pris en charge : {header.message_code or '(vide)'}.",
                                             "MSH", 1, 9), codec)
    handler = handlers.get(header.trigger_event)
    if handler is None:
        return _refused(row, header, Problem("AR", ack.UNSUPPORTED_EVENT,
                                             f"Événement non pris en charge : {header.message_type or '(vide)'}.",
                                             "MSH", 1, 9), codec)
    try:
        message = parse(payload, header)
    except MessageError as exc:
        code = ack.TABLE_VALUE_NOT_FOUND if "MSH-18" in str(exc) else ack.DATA_TYPE_ERROR
        return _refused(row, header, Problem("AR" if code == ack.TABLE_VALUE_NOT_FOUND else "AE", code, str(exc),
                                             "MSH", 1, 18 if code == ack.TABLE_VALUE_NOT_FOUND else None), codec)
    row.encoding, row.notes = message.codec, message.note or row.notes
    actor = SystemActor(label=sender.actor_label, role="hl7", organisation=sender.organisation)
    context = Context(message=message, sender=sender, actor=actor, log=row)
    try:
        # An identity incident (INS with discordant traits…) is recorded once this transaction has rolled back.
        with incidents_recorded(), warnings_collected() as warnings, transaction.atomic():
            _claim(row)
            outcome = handler(context)
            row.state, row.ack_code, row.error = State.ACCEPTED, "AA", ""
            row.patient_id, row.document_id = outcome.patient_id, outcome.document_id
            row.processed_at = timezone.now()
            # Accepted with a warning (an INS set aside, the identity filed without it): the sender is told in
            # an ERR of severity W; the warning stays with the message's log too.
            warning = ack.warning(" ".join(warnings)) if warnings else None
            if warning is not None:
                row.error = warning.reason[:1000]
            # The AA is prepared here so that it is stored atomically with the accepted state (a duplicate or the
            # loser of a race gets these exact bytes), but it leaves this module only after the commit below.
            row.ack = ack.build(header, "AA", codec=message.codec, problem=warning)
            row.save(update_fields=["state", "ack_code", "ack", "error", "processed_at", "sender", "encoding",
                                    "notes", "patient_id", "document_id"])
            audit.record(actor=actor, action=Action.HL7_MESSAGE, patient_id=outcome.patient_id, obj=row,
                         details={"type": header.message_type, "control_id": header.control_id,
                                  "document": outcome.document_id, "replay_of": row.replay_of_id})
        return None
    except _LostRace:
        original = _accepted_original(row)
        if original is None:  # the winner vanished (cannot happen: accepted rows are never deleted)
            raise
        _mark_duplicate(row, original)
        return True
    except Refused as exc:
        return _refused(row, header, exc.problem, message.codec)
    except IdentityError as exc:
        return _refused(row, header, Problem("AE", ack.DATA_TYPE_ERROR, str(exc), "PID", 1), message.codec)
    except Patient.DoesNotExist as exc:
        return _refused(row, header, Problem("AE", ack.UNKNOWN_KEY, str(exc) or "Patient inconnu.", "PID", 1, 3),
                        message.codec)
    except MergeRefused as exc:
        return _refused(row, header, Problem("AE", ack.INTERNAL_ERROR, " ".join(exc.messages), "MRG", 1, 1),
                        message.codec)
    except DocumentRefused as exc:
        code = {"not-found": ack.UNKNOWN_KEY, "conflict": ack.DUPLICATE_KEY}.get(exc.code, ack.DATA_TYPE_ERROR)
        return _refused(row, header, Problem("AE", code, str(exc), "OBX", 1, 5), message.codec)


class _LostRace(Exception):
    pass


class _AlreadyHandled(Exception):
    """The row is no longer "received": another process finished it (see recovery.py)."""


def _claim(row: Hl7Message) -> None:
    """Take the (application, facility, control id) as accepted before doing anything else. Only a row still
    "received" is claimed: a row recovered after an interruption is never processed twice."""
    try:
        with transaction.atomic():
            claimed = Hl7Message.objects.filter(pk=row.pk, state=State.RECEIVED).update(state=State.ACCEPTED)
    except IntegrityError as exc:
        if row.replay_of_id is None:
            raise _LostRace from exc
        raise
    if not claimed:
        raise _AlreadyHandled


def _accepted_original(row: Hl7Message) -> Hl7Message | None:
    return (Hl7Message.objects.filter(sending_application=row.sending_application,
                                      sending_facility=row.sending_facility, control_id=row.control_id,
                                      state=State.ACCEPTED).exclude(pk=row.pk).order_by("pk").first())


def _mark_duplicate(row: Hl7Message, original: Hl7Message) -> None:
    row.state, row.ack_code, row.ack = State.DUPLICATE, original.ack_code, bytes(original.ack)
    row.error = f"Doublon du message n° {original.pk} (déjà accepté) : non retraité."
    row.patient_id, row.document_id = original.patient_id, original.document_id
    row.processed_at = timezone.now()


def _codec_for_answer(payload: bytes, header: Header) -> str:
    """The charset to answer in when the message is refused before being decoded."""
    codec = CHARSETS.get(header.charset, "utf-8")
    if codec == "utf-8":
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            return "iso-8859-1"
    return codec


def _log_unexpected(exc: BaseException, row: Hl7Message | None) -> None:
    """No identities in application logs: the exception type and the code locations only, never its message."""
    frames = "\n".join(f"  {frame.filename}:{frame.lineno} in {frame.name}"
                        for frame in traceback.extract_tb(exc.__traceback__)[-8:])
    logger.error("HL7 : erreur inattendue %s (message n° %s)\n%s", type(exc).__name__,
                 row.pk if row is not None else "non enregistré", frames)
