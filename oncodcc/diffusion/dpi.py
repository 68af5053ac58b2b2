"""DPI channel: the document in HL7 v2 (dpi_message.py) over MLLP to a hospital's receiver, plain or TLS with a
client certificate, one message per connection, original-mode ACK awaited.

- AA (or CA) → delivered; AE → error with the ERR-8 text (the receiver refused the content: no automatic retry);
  AR → error too, except an AR for an application internal error (HL7 0357 code 207: the receiver's own failure),
  which is retried;
- connection refused, TLS failure, timeout, connection closed without ACK, unreadable ACK → retry.
The frame is written with the inbound side's framing (framing.py) and the ACK read with its deframer and parser."""

import socket
import ssl
from pathlib import Path

from django.conf import settings

from oncodcc.interop.hl7v2.framing import Deframer, Frame, frame
from oncodcc.interop.hl7v2.parsing import MessageError, parse, read_header

from . import dpi_message
from .channels import Outcome, OutgoingDocument

MAX_ACK_BYTES = 1024 * 1024
INTERNAL_ERROR = "207"


def patient_ipp(document_id: int, receiver) -> str:
    """The receiving hospital's own IPP of the document's patient ("" when it does not know the patient)."""
    from oncodcc.documents.models import Document
    from oncodcc.patients.models import PatientIdentifier

    organisation = receiver.organisation
    patient_id = Document.objects.filter(pk=document_id).values_list("patient_id", flat=True).first()
    identifier = (PatientIdentifier.objects.filter(patient_id=patient_id, organisation=organisation).first()
                  or PatientIdentifier.objects.filter(patient_id=patient_id, system=organisation.oid).first())
    return identifier.value if identifier is not None else ""


def tls_context(receiver) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=receiver.tls_ca or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if receiver.tls_cert:
        context.load_cert_chain(receiver.tls_cert, receiver.tls_key or None)
    return context


def exchange(host: str, port: int, payload: bytes, *, timeout: float, context: ssl.SSLContext | None = None) -> bytes:
    """Send one framed message, return the first frame answered. Raises OSError (refused, TLS, timeout…)."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock = context.wrap_socket(raw, server_hostname=host) if context is not None else raw
        try:
            sock.settimeout(timeout)
            sock.sendall(frame(payload))
            deframer = Deframer(MAX_ACK_BYTES)
            while True:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("connexion fermée sans acquittement")
                for event in deframer.feed(data):
                    if isinstance(event, Frame):
                        return event.payload
        finally:
            if sock is not raw:
                sock.close()


def read_ack(data: bytes, control_id: str) -> Outcome:
    try:
        header = read_header(data)
        message = parse(data, header)
    except MessageError:
        return Outcome("retry", "Acquittement illisible.", response=data)
    msa = message.first("MSA")
    if msa is None:
        return Outcome("retry", "Acquittement sans segment MSA.", response=data)
    code = msa.get(1).strip().upper()
    if msa.get(2).strip() != control_id:
        return Outcome("retry", "Acquittement d'un autre message (MSA-2).", response=data)
    err = message.first("ERR")
    reason = (err.get(8).strip() if err is not None else "") or msa.get(3).strip()
    error_code = err.get(3).strip() if err is not None else ""
    if code in ("AA", "CA"):
        return Outcome("delivered", "Accepté par le DPI.", response=data)
    if code in ("AR", "CR") and error_code == INTERNAL_ERROR:
        return Outcome("retry", f"Erreur interne du DPI : {reason or 'sans motif'}", response=data)
    if code in ("AE", "AR", "CE", "CR"):
        label = "Refusé" if code in ("AR", "CR") else "Erreur"
        return Outcome("error", f"{label} par le DPI ({code}) : {reason or 'sans motif'}"[:500], response=data)
    return Outcome("retry", f"Code d'acquittement inconnu : {code[:5] or '(vide)'}.", response=data)


def send_dpi(doc: OutgoingDocument, *, receiver, patient_ipp: str, identity_status: str = "",
             timeout: float | None = None) -> Outcome:
    organisation = receiver.organisation
    target = dpi_message.Target(application=receiver.application, facility=receiver.receiving_facility,
                                hospital_oid=organisation.oid, hospital_name=organisation.short_name or organisation.name,
                                ipp=patient_ipp, identity_status=identity_status)
    payload, control_id = dpi_message.build(doc, target, message_type=receiver.message_type)
    timeout = settings.DCC_DPI_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        context = tls_context(receiver) if receiver.tls else None
    except (OSError, ssl.SSLError) as exc:
        return Outcome("retry", f"Configuration TLS du récepteur inutilisable : {_reason(exc)}", request=payload)
    try:
        answer = exchange(receiver.host, receiver.port, payload, timeout=timeout, context=context)
    except ssl.SSLError as exc:
        return Outcome("retry", f"Échec TLS : {_reason(exc)}", request=payload)
    except TimeoutError:
        return Outcome("retry", f"Pas d'acquittement du DPI en {timeout:g} s.", request=payload)
    except ConnectionRefusedError:
        return Outcome("retry", "Le DPI refuse la connexion (récepteur arrêté ?).", request=payload)
    except OSError as exc:
        return Outcome("retry", f"Échec de connexion au DPI : {_reason(exc)}", request=payload)
    outcome = read_ack(answer, control_id)
    return Outcome(outcome.state, outcome.detail, request=payload, response=outcome.response)


def _reason(exc: Exception) -> str:
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return str(text)[:200]


def file_exists(path: str) -> bool:
    return not path or Path(path).is_file()
