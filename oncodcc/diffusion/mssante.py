"""MSSanté channel: the document to a doctor's secure mailbox, as an email through the region's MSSanté operator
relay (SMTP, STARTTLS or TLS, authentication) carrying an IHE XDM archive (IHE_XDM.ZIP: INDEX.HTM, README.TXT,
IHE_XDM/SUBSET01/METADATA.XML and the CDA as IHE_XDM/SUBSET01/DOC0001.XML) and the PDF.

The subject names the kind of document only (no patient identity); the body, in French, says what is attached.
A withdrawn document (action "delete") is announced by a message without attachment.
Outcome: delivered on 250 after DATA; retry on connection errors, timeouts and 4xx; error on 5xx (authentication
refused included) and when the relay is not configured.
"""

from __future__ import annotations

import io
import smtplib
import ssl
import zipfile
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from django.conf import settings
from lxml import etree

from . import ebrim
from .channels import Outcome, OutgoingDocument
from .xdsmeta import MetadataError, XdsMetadata, xds_metadata

KIND_LABELS = {"frcp": "Fiche RCP", "pps": "Programme personnalisé de soins (PPS)",
               "ppac": "Programme personnalisé de l'après-cancer (PPAC)"}
ACTION_LABELS = {"new": "nouveau document", "replace": "nouvelle version", "delete": "document retiré"}
DOC_NAME = "DOC0001.XML"
SUBSET = "IHE_XDM/SUBSET01"


# --- the XDM archive ---------------------------------------------------------------------------------------------

def _readme(meta: XdsMetadata, sender: str) -> str:
    return (
        "Archive IHE XDM (Cross-Enterprise Document Media Interchange)\r\n"
        "==============================================================\r\n\r\n"
        f"Émetteur : OncoDCC, dossier communicant de cancérologie ({sender})\r\n"
        f"Date de constitution : {meta.submission_time} (UTC)\r\n\r\n"
        "Contenu :\r\n"
        "- INDEX.HTM : la page d'accueil de l'archive ;\r\n"
        "- README.TXT : ce fichier ;\r\n"
        f"- {SUBSET}/METADATA.XML : les métadonnées XDS du lot de soumission et du document ;\r\n"
        f"- {SUBSET}/{DOC_NAME} : le document CDA R2 (« {meta.title} », version {meta.version}).\r\n\r\n"
        "Le document CDA s'intègre dans le dossier du patient d'un logiciel compatible CI-SIS ; il s'affiche aussi "
        "dans un navigateur avec la feuille de style CDA de l'ANS.\r\n"
    )


def _index(meta: XdsMetadata) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Archive IHE XDM</title></head>"
        "<body><h1>Archive IHE XDM — OncoDCC</h1>"
        "<p>Cette archive contient un document médical au format CDA R2 et ses métadonnées XDS.</p><ul>"
        f"<li><a href=\"{SUBSET}/{DOC_NAME}\">{escape(meta.title)}</a> (version {meta.version})</li>"
        f"<li><a href=\"{SUBSET}/METADATA.XML\">Métadonnées XDS</a></li>"
        "<li><a href=\"README.TXT\">README.TXT</a></li></ul></body></html>\n"
    )


def build_xdm(doc: OutgoingDocument, *, to: str, sender: str, meta: XdsMetadata | None = None) -> bytes:
    """IHE_XDM.ZIP of one document for one recipient (intendedRecipient = the MSSanté address)."""
    meta = meta or xds_metadata(doc.cda, patient_ins=doc.patient_ins, patient_ins_oid=doc.patient_ins_oid,
                                replaced_document_id=doc.replaced_document_id, action=doc.action)
    request = ebrim.submit_objects(meta, uri=DOC_NAME, intended_recipients=(f"||^^Internet^{to}",))
    metadata = etree.tostring(request, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("INDEX.HTM", _index(meta).encode())
        archive.writestr("README.TXT", _readme(meta, sender).encode())
        archive.writestr(f"{SUBSET}/METADATA.XML", metadata)
        archive.writestr(f"{SUBSET}/{DOC_NAME}", doc.cda)
    return buffer.getvalue()


# --- the email ---------------------------------------------------------------------------------------------------

def _patient_line(meta: XdsMetadata) -> str:
    info = dict(v.split("|", 1) for v in meta.source_patient_info if "|" in v)
    family, given = [*info.get("PID-5", "^").split("^"), ""][:2]
    born, sex = info.get("PID-7", ""), info.get("PID-8", "")
    word = {"F": "née", "M": "né"}.get(sex, "né(e)")
    born = f", {word} le {born[6:8]}/{born[4:6]}/{born[:4]}" if len(born) >= 8 else ""
    return f"{given} {family}{born}".strip()


def subject(doc: OutgoingDocument) -> str:
    """Patient-neutral: the kind of document and what happened to it."""
    label = KIND_LABELS.get(doc.kind, doc.title)
    return f"[OncoDCC] {label} — {ACTION_LABELS.get(doc.action, 'document')}"


def body(doc: OutgoingDocument, meta: XdsMetadata, recipient_label: str) -> str:
    label = KIND_LABELS.get(doc.kind, doc.title)
    greeting = f"Bonjour {recipient_label},".replace(" ,", ",") if recipient_label else "Bonjour,"
    patient = _patient_line(meta)
    if doc.action == "delete":
        what = (f"Le document « {meta.title} » ({label}, version {doc.version_number}) concernant {patient} a été "
                "retiré du dossier communicant de cancérologie. Il ne doit plus être utilisé ; si vous l'avez "
                "intégré au dossier du patient, merci de le retirer ou de le marquer comme invalide.")
    else:
        first = ("Une nouvelle version du document" if doc.action == "replace" else "Le document")
        what = (f"{first} « {meta.title} » ({label}, version {doc.version_number}) concernant {patient} est "
                "joint à ce message :\n"
                "- IHE_XDM.ZIP : le document structuré (CDA R2) et ses métadonnées, à intégrer dans votre logiciel ;\n"
                + ("- le PDF : la version lisible du document.\n" if doc.pdf else ""))
        if doc.action == "replace":
            what += "Cette version remplace la précédente, qui ne doit plus être utilisée.\n"
    return (f"{greeting}\n\n{what}\n\nCe message a été envoyé automatiquement par OncoDCC, dossier communicant de "
            "cancérologie, par messagerie sécurisée de santé. Merci de ne pas y répondre.\n")


def build_message(doc: OutgoingDocument, *, to: str, sender: str, recipient_label: str = "",
                  meta: XdsMetadata | None = None) -> EmailMessage:
    meta = meta or xds_metadata(doc.cda, patient_ins=doc.patient_ins, patient_ins_oid=doc.patient_ins_oid,
                                replaced_document_id=doc.replaced_document_id, action=doc.action)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject(doc)
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(idstring=f"dcc-{doc.document_id}-{doc.version_number}-{doc.action}")
    message["Content-Language"] = "fr"
    message.set_content(body(doc, meta, recipient_label), charset="utf-8")
    if doc.action != "delete":
        message.add_attachment(build_xdm(doc, to=to, sender=sender, meta=meta), maintype="application",
                               subtype="zip", filename="IHE_XDM.ZIP")
        if doc.pdf:
            message.add_attachment(doc.pdf, maintype="application", subtype="pdf",
                                   filename=f"{doc.kind.upper()}-v{doc.version_number}.pdf")
    return message


# --- sending -------------------------------------------------------------------------------------------------------

def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=getattr(settings, "DCC_MSSANTE_SMTP_CA", "") or None)


def _connect() -> smtplib.SMTP:
    host = getattr(settings, "DCC_MSSANTE_SMTP_HOST", "")
    port = int(getattr(settings, "DCC_MSSANTE_SMTP_PORT", 587))
    mode = getattr(settings, "DCC_MSSANTE_SMTP_TLS", "starttls")
    timeout = float(getattr(settings, "DCC_MSSANTE_SMTP_TIMEOUT", 30))
    if mode == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    smtp.ehlo()
    if mode == "starttls":
        smtp.starttls(context=_tls_context())
        smtp.ehlo()
    user = getattr(settings, "DCC_MSSANTE_SMTP_USER", "")
    if user:
        smtp.login(user, getattr(settings, "DCC_MSSANTE_SMTP_PASSWORD", ""))
    return smtp


def _reply(code: int, text: bytes | str) -> bytes:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".encode()


def _by_code(code: int, text, raw: bytes, what: str) -> Outcome:
    state = "retry" if 400 <= code < 500 else "error"
    detail = f"{what} : refus temporaire du relais MSSanté ({code})" if state == "retry" else \
        f"{what} : refus du relais MSSanté ({code})"
    return Outcome(state, detail, raw, _reply(code, text))


def send_mssante(doc: OutgoingDocument, *, to: str, sender: str, recipient_label: str) -> Outcome:
    """Send one document to one MSSanté address through the configured relay."""
    sender = sender or getattr(settings, "DCC_MSSANTE_FROM", "")
    if not getattr(settings, "DCC_MSSANTE_SMTP_HOST", "") or not sender:
        return Outcome("error", "Relais MSSanté non configuré (DCC_MSSANTE_SMTP_HOST, DCC_MSSANTE_FROM).")
    if not to:
        return Outcome("error", "Le destinataire n'a pas d'adresse MSSanté.")
    try:
        message = build_message(doc, to=to, sender=sender, recipient_label=recipient_label)
        raw = message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as smtplib sends bytes unchanged
    except MetadataError as exc:
        return Outcome("error", str(exc))
    try:
        smtp = _connect()
    except smtplib.SMTPAuthenticationError as exc:
        return Outcome("error", f"Authentification refusée par le relais MSSanté ({exc.smtp_code}).", raw,
                       _reply(exc.smtp_code, exc.smtp_error))
    except smtplib.SMTPNotSupportedError:
        return Outcome("error", "Le relais MSSanté ne propose pas STARTTLS ou l'authentification.", raw)
    except ssl.SSLCertVerificationError as exc:
        return Outcome("error", f"Certificat du relais MSSanté refusé ({exc.verify_message}).", raw)
    except smtplib.SMTPResponseException as exc:
        return _by_code(exc.smtp_code, exc.smtp_error, raw, "Connexion")
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timeout, TLS handshake, disconnect
        return Outcome("retry", f"Relais MSSanté injoignable ({type(exc).__name__}).", raw)
    try:
        with smtp:
            code, text = smtp.mail(sender)
            if code != 250:
                return _by_code(code, text, raw, "Expéditeur")
            code, text = smtp.rcpt(to)
            if code not in (250, 251):
                return _by_code(code, text, raw, "Destinataire")
            code, text = smtp.data(raw)
            if code != 250:
                return _by_code(code, text, raw, "Message")
            return Outcome("delivered", "Remis au relais MSSanté.", raw, _reply(code, text))
    except smtplib.SMTPResponseException as exc:
        return _by_code(exc.smtp_code, exc.smtp_error, raw, "Message")
    except (OSError, smtplib.SMTPException) as exc:  # TimeoutError is an OSError
        return Outcome("retry", f"Connexion au relais MSSanté interrompue ({type(exc).__name__}).", raw)
