"""The HL7 v2 message that carries a CDA to a hospital's DPI, per the ANS volet "Transmission d'un document CDA-R2
en HL7v2" (v2.1) — the inverse of what `interop/hl7v2/documents.py` reads:

- ORU^R01^ORU_R01 (HL7 2.5): MSH, PID, PV1, ORC, OBR, OBX (ED: `^text^XML^Base64^<CDA>`, OBX-11 F new / C replace /
  D delete), PRT (SB "send by": the author, RPPS, and his organisation, FINESS), then the MetaDMPMSS OBX rows;
- MDM^T02 (new) / T10 (replace) / T04 (delete) ^MDM_T02 (HL7 2.6): MSH, EVN, PID, PV1, ORC, OBR, TXA, then the same
  OBX/PRT/MetaDMPMSS rows.

PID carries the receiving hospital's own IPP (CX-4 = its OID, CX-5 PI) and, only for a qualified identity, the INS
(CX-5 INS) with PID-32 QUAL; the traits (PID-5 L/D, PID-7, PID-8, PID-11 BDL) come from the CDA recordTarget, so
the message and the document never disagree. The MetaDMPMSS rows say DESTDMP=N and DESTMSSANTE*=N: OncoDCC feeds
the DMP and the MSSanté mailboxes itself, the hospital files the document in its record only. UTF-8 (MSH-18)."""

import base64
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from lxml import etree

from oncodcc.documents.cda.reader import read_cda
from oncodcc.interop.hl7v2 import ack
from oncodcc.interop.hl7v2.parsing import Header
from oncodcc.patients.inbound import INS_OIDS

from .channels import OutgoingDocument

NS = {"h": "urn:hl7-org:v3"}
OBX_STATUS = {"new": "F", "replace": "C", "delete": "D"}
MDM_EVENT = {"new": "T02", "replace": "T10", "delete": "T04"}
SEX = {"F": "F", "M": "M", "I": "U"}
OID_RPPS = "1.2.250.1.71.4.2.1"
OID_FINESS = "1.2.250.1.71.4.2.2"
META = [
    ("MASQUE_PS", "Masqué aux professionnels de Santé"),
    ("INVISIBLE_PATIENT", "Document Non Visible par le patient"),
    ("INVISIBLE_REP_LEGAUX", "Non visible par les représentants Légaux du patient"),
    ("CONNEXION_SECRETE", "Connexion Secrete"),
    ("MODIF_CONF_CODE", "Modification Confidentiality Code"),
    ("DESTDMP", "Destinataire DMP"),
    ("DESTMSSANTEPS", "Destinataire (Professionnel de Santé, organisation ou BAL applicative)"),
    ("DESTMSSANTEPAT", "Destinataire Patient"),
]
_HEADER = Header(usable=True)


@dataclass(frozen=True)
class Target:
    """Where the message goes: the receiver's application and facility, its hospital's OID and name, the IPP."""

    application: str
    facility: str
    hospital_oid: str
    hospital_name: str
    ipp: str
    identity_status: str = ""


def sending_facility() -> str:
    """MSH-4 of our messages, in ASCII (receivers read MSH before knowing its charset): DCC_DPI_FACILITY, else the
    facility of our ACKs (the DSRC's short name) without its accents. Hospitals register this pair
    (DCC_DPI_APPLICATION, sending_facility) as the sender of their interface engine."""
    name = settings.DCC_DPI_FACILITY or ack.facility()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_name.replace("|", " ").replace("^", " ").split())[:100]


def e(value: str) -> str:
    return ack.escape(value or "", _HEADER)


@dataclass
class _Author:
    id: str = ""
    family: str = ""
    given: str = ""
    organisation: str = ""
    finess: str = ""


def _author(cda: bytes) -> _Author:
    root = etree.fromstring(cda, etree.XMLParser(resolve_entities=False, no_network=True))
    assigned = root.find("h:author/h:assignedAuthor", NS)
    if assigned is None:
        return _Author()
    author = _Author()
    for node in assigned.findall("h:id", NS):
        if node.get("root") == OID_RPPS:
            author.id = node.get("extension", "")
    author.family = (assigned.findtext("h:assignedPerson/h:name/h:family", "", NS) or "").strip()
    author.given = (assigned.findtext("h:assignedPerson/h:name/h:given", "", NS) or "").strip()
    org = assigned.find("h:representedOrganization", NS)
    if org is not None:
        author.organisation = (org.findtext("h:name", "", NS) or "").strip()
        for node in org.findall("h:id", NS):
            if node.get("root") == OID_FINESS:
                author.finess = node.get("extension", "")
    return author


def _pid(doc: OutgoingDocument, target: Target) -> str:
    patient = read_cda(doc.cda, max_bytes=len(doc.cda) + 1).patient
    ids = []
    if target.ipp:
        ids.append(f"{e(target.ipp)}^^^{e(target.hospital_name[:20])}&{target.hospital_oid}&ISO^PI")
    if doc.patient_ins and doc.patient_ins_qualified and doc.patient_ins_oid in INS_OIDS:
        ids.append(f"{e(doc.patient_ins)}^^^ASIP-SANTE-INS-NIR&{doc.patient_ins_oid}&ISO^INS")
    names = []
    if patient.birth_name:
        given_list = patient.birth_given_names or patient.first_birth_given_name
        names.append(f"{e(patient.birth_name)}^{e(patient.first_birth_given_name)}^{e(given_list)}^^^^L")
    if patient.used_name:
        names.append(f"{e(patient.used_name)}^{e(patient.used_given_name)}^^^^^D")
    fields = [""] * 33
    fields[0], fields[1], fields[3], fields[5] = "PID", "1", "~".join(ids), "~".join(names)
    fields[7] = f"{patient.birth_date:%Y%m%d}" if patient.birth_date else ""
    fields[8] = SEX.get(patient.sex, "")
    if patient.birthplace_insee:
        fields[11] = f"^^^^^^BDL^^{e(patient.birthplace_insee)}"
    fields[32] = "QUAL" if doc.patient_ins_qualified else target.identity_status
    return "|".join(fields).rstrip("|")


def _xcn(author: _Author) -> str:
    if not author.id:
        return ""
    return f"{e(author.id)}^{e(author.family)}^{e(author.given)}^^^^^^ASIP-SANTE-PS&{OID_RPPS}&ISO^D^^^RPPS"


def _rows(doc: OutgoingDocument, author: _Author) -> list[str]:
    data = base64.b64encode(doc.cda).decode("ascii")
    status = OBX_STATUS[doc.action]
    rows = [f"OBX|1|ED|{e(doc.type_code)}^{e(doc.title)}^LN||^text^XML^Base64^{data}||||||{status}|"]
    if author.id:
        organisation = ""
        if author.finess:
            organisation = (f"{e(author.organisation)}^^^^^ASIP-SANTE-ST&{OID_FINESS}&ISO^FINEG^^^"
                            f"{e(author.finess)}")
        rows.append(f"PRT||UC||SB^Send by^participation|{_xcn(author)}|||{organisation}")
    for n, (code, label) in enumerate(META, start=2):
        rows.append(f"OBX|{n}|CE|{code}^{e(label)}^MetaDMPMSS||N^^expandedYes-NoIndicator||||||F|")
    return rows


def build(doc: OutgoingDocument, target: Target, *, message_type: str = "oru",
          control_id: str | None = None) -> tuple[bytes, str]:
    """The message bytes (segments separated by CR, UTF-8) and its control id (MSH-10)."""
    control_id = control_id or ack.new_control_id()
    now = timezone.localtime().strftime("%Y%m%d%H%M%S")
    author = _author(doc.cda)
    if message_type == "mdm":
        kind, version = f"MDM^{MDM_EVENT[doc.action]}^MDM_T02", "2.6"
    else:
        kind, version = "ORU^R01^ORU_R01", "2.5"
    msh = ["MSH", "^~\\&", e(settings.DCC_DPI_APPLICATION), e(sending_facility()), e(target.application),
           e(target.facility), now, "", kind, control_id, "P", version, "", "", "", "", "FRA", "UNICODE UTF-8"]
    placer = f"{doc.document_id}-{doc.version_number}^{e(settings.DCC_DPI_APPLICATION)}"
    xcn = _xcn(author)
    segments = ["|".join(msh)]
    if message_type == "mdm":
        segments.append(f"EVN||{now}")
    segments += [_pid(doc, target), "PV1|1|N",
                 f"ORC|NW|{placer}|{placer}||CM",
                 f"OBR|1|{placer}|{placer}|{e(doc.type_code)}^{e(doc.title)}^LN|||{now}||||||||||"
                 f"{xcn}|||||||||F"]
    if message_type == "mdm":
        parent = e(doc.replaced_document_id) if doc.action == "replace" else ""
        segments.append(f"TXA|1|{e(doc.type_code)}|TX|{now}|{xcn}||||||{e(_cda_id(doc))}|{parent}||||AU")
    segments += _rows(doc, author)
    return ("\r".join(segments) + "\r").encode("utf-8"), control_id


def _cda_id(doc: OutgoingDocument) -> str:
    from .outgoing import cda_id

    return cda_id(doc.cda)
