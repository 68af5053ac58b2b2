"""DMP channel: IHE XDS.b Provide and Register Document Set-b (ITI-41), SOAP 1.2 + WS-Addressing + MTOM/XOP, over
HTTPS with a client certificate, with the document entry and submission set metadata derived from the CDA header
(`xdsmeta`), only for a patient whose INS is qualified.

A new version is registered with an RPLC association to the entry of the version it replaces (entry UUIDs are
derived from the CDA ids, see xdsmeta.entry_uuid). A withdrawn document is unpublished as the DMP does it (TD3.3c,
logical deletion): IHE XDS Metadata Update (ITI-57, Update Document Set) moving the entry of that version from
Approved to urn:asip:ci-sis:2010:StatusType:Deleted, sent to the registry endpoint (DCC_DMP_REGISTRY_URL, by
default the same as DCC_DMP_URL).

Outcome: RegistryResponse Success (or PartialSuccess) → delivered; Failure → error with the registry's errors;
SOAP fault from the sender side, HTTP 4xx, untrusted certificate → error; connection refused, timeout, HTTP 5xx
without a sender fault → retry.
"""

from __future__ import annotations

import http.client
import ssl
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from lxml import etree

from . import ebrim, mtom
from .channels import Outcome, OutgoingDocument
from .xdsmeta import MetadataError, XdsMetadata, xds_metadata

ACTION = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
RESPONSE_ACTION = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"
UPDATE_ACTION = "urn:ihe:iti:2010:UpdateDocumentSet"
UPDATE_RESPONSE_ACTION = "urn:ihe:iti:2010:UpdateDocumentSetResponse"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
PARTIAL = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"


def build_request(doc: OutgoingDocument, *, to: str, meta: XdsMetadata | None = None) -> mtom.Mtom:
    """The ITI-41 request as an MTOM message: the CDA is the binary part the xdsb:Document includes."""
    meta = meta or xds_metadata(doc.cda, patient_ins=doc.patient_ins, patient_ins_oid=doc.patient_ins_oid,
                                replaced_document_id=doc.replaced_document_id, action=doc.action)
    request = etree.Element(f"{{{ebrim.XDSB}}}ProvideAndRegisterDocumentSetRequest",
                            nsmap={"xdsb": ebrim.XDSB, "xop": mtom.XOP})
    request.append(ebrim.submit_objects(meta))
    cid = f"doc1.{uuid.uuid4().hex}@oncodcc"
    document = etree.SubElement(request, f"{{{ebrim.XDSB}}}Document", id=meta.entry_uuid)
    etree.SubElement(document, f"{{{mtom.XOP}}}Include", href=f"cid:{cid}")
    env = mtom.envelope(ACTION, request, to=to, message_id=f"urn:uuid:{uuid.uuid4()}")
    return mtom.package(env, {cid: ("text/xml", doc.cda)}, ACTION)


def build_unpublish_request(doc: OutgoingDocument, *, to: str, meta: XdsMetadata | None = None) -> mtom.Mtom:
    """The ITI-57 request unpublishing the entry of the withdrawn version (its metadata from the same CDA)."""
    meta = meta or xds_metadata(doc.cda, patient_ins=doc.patient_ins, patient_ins_oid=doc.patient_ins_oid,
                                action=doc.action)
    env = mtom.envelope(UPDATE_ACTION, ebrim.update_availability(meta, original=ebrim.APPROVED,
                                                                 new=ebrim.DMP_DELETED),
                        to=to, message_id=f"urn:uuid:{uuid.uuid4()}")
    return mtom.package(env, {}, UPDATE_ACTION)


def read_response(status: int, content_type: str, body: bytes, *, unpublish: bool = False) -> tuple[str, str]:
    """(state, French detail) of the repository's answer."""
    try:
        root_xml, _ = mtom.split(content_type, body)
        env = etree.fromstring(root_xml, mtom.xml_parser())
    except (ValueError, etree.XMLSyntaxError):
        if status >= 500:
            return "retry", f"DMP indisponible (HTTP {status})."
        return "error", f"Réponse du DMP illisible (HTTP {status})."
    found = mtom.fault(env)
    if found is not None:
        code, reason = found
        if code.endswith(":Receiver") or code.endswith("Receiver"):
            return "retry", f"Erreur temporaire du DMP : {reason or code}"[:500]
        return "error", f"Requête refusée par le DMP : {reason or code}"[:500]
    response = env.find(f".//{{{ebrim.RS}}}RegistryResponse")
    if response is None:
        return ("retry", f"DMP indisponible (HTTP {status}).") if status >= 500 else \
            ("error", f"Réponse du DMP sans RegistryResponse (HTTP {status}).")
    errors = [(e.get("errorCode") or "", e.get("codeContext") or "")
              for e in response.iterfind(f".//{{{ebrim.RS}}}RegistryError")]
    if response.get("status") in (SUCCESS, PARTIAL):
        warnings = "; ".join(f"{c} : {t}" for c, t in errors)
        done = "Dépublié du DMP." if unpublish else "Déposé dans le DMP."
        return "delivered", (done + (f" Avertissements : {warnings}" if warnings else ""))[:500]
    listed = "; ".join(f"{c} : {t}" if t else c for c, t in errors) or "aucune erreur détaillée"
    return "error", f"Refus du DMP — {listed}"[:500]


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    timeout = float(getattr(settings, "DCC_DMP_TIMEOUT", 30))
    if parts.scheme == "http":
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    context = ssl.create_default_context(cafile=getattr(settings, "DCC_DMP_CA", "") or None)
    cert = getattr(settings, "DCC_DMP_CERT", "")
    if cert:
        context.load_cert_chain(cert, getattr(settings, "DCC_DMP_KEY", "") or None)
    return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)


def send_dmp(doc: OutgoingDocument) -> Outcome:
    """Register one document in the patient's DMP (or its local double)."""
    if not (doc.patient_ins and doc.patient_ins_oid):
        return Outcome("error", "Pas d'INS : le document n'est pas envoyé au DMP.")
    if not doc.patient_ins_qualified:
        return Outcome("error", "INS non qualifiée : le document n'est pas envoyé au DMP.")
    unpublish = doc.action == "delete"
    url = getattr(settings, "DCC_DMP_URL", "")
    if unpublish:
        url = getattr(settings, "DCC_DMP_REGISTRY_URL", "") or url
    if not url:
        return Outcome("error", "DMP non configuré (DCC_DMP_URL).")
    action = UPDATE_ACTION if unpublish else ACTION
    try:
        message = build_unpublish_request(doc, to=url) if unpublish else build_request(doc, to=url)
    except MetadataError as exc:
        return Outcome("error", str(exc))
    path = urlsplit(url).path or "/"
    try:
        connection = _connection(url)
    except (OSError, ssl.SSLError) as exc:
        return Outcome("error", f"Certificat client du DMP inutilisable ({type(exc).__name__}).", message.body)
    try:
        connection.request("POST", path, body=message.body, headers={
            "Content-Type": message.content_type, "SOAPAction": f'"{action}"', "MIME-Version": "1.0"})
        answer = connection.getresponse()
        body = answer.read()
        status, content_type = answer.status, answer.getheader("Content-Type", "")
    except ssl.SSLCertVerificationError as exc:
        return Outcome("error", f"Certificat du DMP refusé ({exc.verify_message}).", message.body)
    except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timeout, TLS, closed early
        return Outcome("retry", f"DMP injoignable ({type(exc).__name__}).", message.body)
    finally:
        connection.close()
    if 400 <= status < 500 and "xml" not in content_type:
        return Outcome("error", f"Requête refusée par le DMP (HTTP {status}).", message.body, body)
    state, detail = read_response(status, content_type, body, unpublish=unpublish)
    return Outcome(state, detail, message.body, body)
