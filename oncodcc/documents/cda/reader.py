"""Reading a received CDA R2 document: header (ids, type, dates, author), patient (recordTarget), body level
(1 = PDF inside a nonXMLBody, 3 = structured) and the conclusion of a report.

The parser refuses DTDs, entities and network access (a CDA is untrusted input) and answers InvalidCda with a
French reason that the HL7 ACK or the FHIR OperationOutcome carries back to the sender."""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from lxml import etree

NS = {"h": "urn:hl7-org:v3"}
H = "{urn:hl7-org:v3}"
LOINC = "2.16.840.1.113883.6.1"
# Sections holding the conclusion of a report: LOINC "Conclusion - Diagnostic" (CR-ACP, CR-GM), "Conclusions",
# "Impression" (imaging); otherwise a section whose title says "conclusion".
CONCLUSION_SECTION_CODES = ("22637-3", "55110-1", "19005-8", "30954-2")
CONCLUSION_MAX = 4000
GENDER = {"F": "F", "M": "M", "U": "I", "UN": "I"}


class InvalidCda(ValueError):
    """The content is not a CDA R2 document we can file; the message is French and goes back to the sender."""


@dataclass
class CdaPatient:
    ids: list[tuple[str, str]] = field(default_factory=list)  # (root OID, extension)
    birth_name: str = ""
    birth_given_names: str = ""
    first_birth_given_name: str = ""
    used_name: str = ""
    used_given_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    birthplace_insee: str = ""


@dataclass
class ReceivedCda:
    id: str
    set_id: str
    version: int
    type_code: str
    title: str
    effective_at: datetime | None
    level: int
    patient: CdaPatient
    pdf: bytes | None = None
    conclusion: str = ""
    author_label: str = ""
    replaces: str = ""  # id of the parent document of a replacement (relatedDocument RPLC)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True)


def _ii(element) -> str:
    if element is None:
        return ""
    root, extension = (element.get("root") or "").strip(), (element.get("extension") or "").strip()
    return f"{root}^{extension}" if extension else root


def _text(element) -> str:
    return " ".join(" ".join(element.itertext()).split()) if element is not None else ""


def parse_ts(value: str | None) -> datetime | None:
    """An HL7 TS (YYYYMMDD[HHMM[SS]][±ZZZZ]) as an aware datetime; a date alone is midnight in Europe/Paris."""
    value = (value or "").strip()
    if len(value) < 8 or not value[:8].isdigit():
        return None
    digits, offset = value, ""
    for sign in "+-":
        if sign in value[8:]:
            digits, offset = value.split(sign, 1)[0], sign + value.split(sign, 1)[1]
            break
    digits = digits.split(".")[0]
    try:
        moment = datetime.strptime(digits[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
        if offset and len(offset) == 5 and offset[1:].isdigit():
            return datetime.strptime(digits[:14].ljust(14, "0") + offset, "%Y%m%d%H%M%S%z")
    except ValueError:
        return None
    return timezone.make_aware(moment)


def parse_date(value: str | None) -> date | None:
    value = (value or "").strip()
    if len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _patient(root) -> CdaPatient:
    role = root.find("h:recordTarget/h:patientRole", NS)
    if role is None:
        raise InvalidCda("Le document CDA n'a pas de patient (recordTarget/patientRole).")
    patient = CdaPatient()
    for ident in role.findall("h:id", NS):
        if ident.get("root") and ident.get("extension"):
            patient.ids.append((ident.get("root").strip(), ident.get("extension").strip()))
    person = role.find("h:patient", NS)
    if person is None:
        return patient
    name = person.find("h:name", NS)
    if name is not None:
        full_given = ""
        for part in name:
            if not isinstance(part.tag, str):
                continue
            qualifier = (part.get("qualifier") or "").upper()
            value = _text(part)
            if part.tag == f"{H}family":
                if qualifier in {"", "BR"} and not patient.birth_name:
                    patient.birth_name = value
                elif qualifier in {"SP", "CL"}:
                    patient.used_name = value
            elif part.tag == f"{H}given":
                if qualifier == "BR":
                    patient.first_birth_given_name = value
                elif qualifier == "CL":
                    patient.used_given_name = value
                elif not full_given:
                    full_given = value
        patient.birth_given_names = full_given or patient.first_birth_given_name
        if not patient.first_birth_given_name and patient.birth_given_names:
            patient.first_birth_given_name = patient.birth_given_names.split(" ")[0]
    gender = person.find("h:administrativeGenderCode", NS)
    if gender is not None:
        patient.sex = GENDER.get((gender.get("code") or "").upper(), "")
    birth = person.find("h:birthTime", NS)
    if birth is not None:
        patient.birth_date = parse_date(birth.get("value"))
    county = person.find("h:birthplace/h:place/h:addr/h:county", NS)
    if county is not None and county.text:
        patient.birthplace_insee = county.text.strip()[:5]
    return patient


def _author(root) -> str:
    author = root.find("h:author/h:assignedAuthor", NS)
    if author is None:
        return ""
    name = author.find("h:assignedPerson/h:name", NS)
    parts = []
    if name is not None:
        given = " ".join(_text(g) for g in name.findall("h:given", NS))
        family = " ".join(_text(f) for f in name.findall("h:family", NS))
        parts.append(" ".join(p for p in (given, family.upper()) if p))
    organisation = author.find("h:representedOrganization/h:name", NS)
    if organisation is not None and _text(organisation):
        parts.append(_text(organisation))
    return " — ".join(p for p in parts if p)[:300]


def _conclusion(body) -> str:
    sections = list(body.iter(f"{H}section"))
    for codes_first in (True, False):
        for section in sections:
            code = section.find("h:code", NS)
            title = _text(section.find("h:title", NS)).lower()
            hit = (code is not None and code.get("code") in CONCLUSION_SECTION_CODES) if codes_first else (
                "conclusion" in title)
            if hit:
                text = _text(section.find("h:text", NS))
                if text:
                    return text[:CONCLUSION_MAX]
    return ""


def read_cda(content: bytes, *, max_bytes: int) -> ReceivedCda:
    if len(content) > max_bytes:
        raise InvalidCda(f"Document CDA trop volumineux ({len(content) // 1024} Ko ; maximum {max_bytes // 1024} Ko).")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidCda(f"Document CDA illisible (XML mal formé : {exc.msg}).") from exc
    if root.tag != f"{H}ClinicalDocument":
        raise InvalidCda("Le contenu n'est pas un document CDA R2 (élément racine ClinicalDocument attendu).")
    doc_id = _ii(root.find("h:id", NS))
    if not doc_id:
        raise InvalidCda("Le document CDA n'a pas d'identifiant (ClinicalDocument/id).")
    code = root.find("h:code", NS)
    if code is None or not code.get("code"):
        raise InvalidCda("Le document CDA n'a pas de type (ClinicalDocument/code).")
    version_el = root.find("h:versionNumber", NS)
    try:
        version = int(version_el.get("value")) if version_el is not None else 1
    except (TypeError, ValueError) as exc:
        raise InvalidCda("Numéro de version du document CDA invalide (versionNumber).") from exc
    if version < 1:
        raise InvalidCda("Numéro de version du document CDA invalide (versionNumber).")
    effective = root.find("h:effectiveTime", NS)
    parent = root.find("h:relatedDocument[@typeCode='RPLC']/h:parentDocument/h:id", NS)
    received = ReceivedCda(
        id=doc_id[:200], set_id=(_ii(root.find("h:setId", NS)) or doc_id)[:200], version=version,
        type_code=code.get("code").strip()[:20], title=_text(root.find("h:title", NS))[:300]
        or (code.get("displayName") or "").strip()[:300],
        effective_at=parse_ts(effective.get("value")) if effective is not None else None,
        level=3, patient=_patient(root), author_label=_author(root), replaces=_ii(parent)[:200],
    )
    body = root.find("h:component/h:nonXMLBody", NS)
    if body is not None:
        received.level = 1
        text = body.find("h:text", NS)
        if text is None or not (text.text or "").strip():
            raise InvalidCda("Le corps non structuré du document CDA (nonXMLBody/text) est vide.")
        media_type = (text.get("mediaType") or "").lower()
        if (text.get("representation") or "").upper() == "B64":
            try:
                payload = base64.b64decode("".join(text.text.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidCda("Le corps du document CDA n'est pas un base64 valide.") from exc
            if media_type == "application/pdf":
                if not payload.startswith(b"%PDF"):
                    raise InvalidCda("Le corps du document CDA annonce un PDF mais n'en contient pas.")
                received.pdf = payload
        return received
    structured = root.find("h:component/h:structuredBody", NS)
    if structured is None:
        raise InvalidCda("Le document CDA n'a pas de corps (structuredBody ou nonXMLBody).")
    received.conclusion = _conclusion(structured)
    return received
