"""XDS metadata of a CDA R2 document, derived from its header (CI-SIS annex "lien entre l'en-tête CDA et les
métadonnées XDS"). One derivation shared by the MSSanté channel (IHE XDM, METADATA.XML) and the DMP channel (IHE
XDS.b); the ebRIM serialisation is in `oncodcc.diffusion.ebrim`.

The CDA is parsed, never the ORM: what is sent is what the document says. The mapping table is in
docs/diffusion-mssante-dmp.md.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from lxml import etree

NS = {"h": "urn:hl7-org:v3"}
H = "{urn:hl7-org:v3}"

OID_LOINC = "2.16.840.1.113883.6.1"
OID_RPPS = "1.2.250.1.71.4.2.1"
OID_FINESS = "1.2.250.1.71.4.2.2"
OID_CLASS_CODE = "1.2.250.1.213.1.1.4.1"          # TRE_A03-ClasseDocument (JDV_J06-XdsClassCode-CISIS)
OID_FORMAT_CODE = "1.2.250.1.213.1.1.4.2.282"     # TRE_A06-FormatCodeComplementaire (JDV_J10-XdsFormatCode-CISIS)
OID_PRACTICE_SETTING = "1.2.250.1.213.1.1.4.9"    # TRE_A00-ProducteurDocNonPS (JDV_J04-XdsPracticeSettingCode-CISIS)
OID_FACILITY_TYPE = "1.2.250.1.71.4.2.4"          # TRE_R02-SecteurActivite (JDV_J02-XdsHealthcareFacilityTypeCode)
INS_OIDS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}

# formatCode from the volet's templateId (ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS).
FORMAT_CODES = {
    "1.2.250.1.213.1.1.1.8": ("urn:asip:ci-sis:frcp:2011", "Fiche de réunion de concertation pluridisciplinaire"),
    "1.2.250.1.213.1.1.1.26": ("urn:asip:ci-sis:pps-cancer:2017", "Programme Personnalisé de Soins - Cancer"),
}
# A level-1 CDA ("Structuration minimale") whose body is a PDF/A (ASS_A11: XDS-SD PDF).
FORMAT_PDF_BODY = ("urn:ihe:iti:xds-sd:pdf:2008", "Document à corps non structuré en Pdf/A-1")
FORMAT_OTHER = ("urn:asipSante:modelesHorsProfils:2011",
                "formatCode à prendre pour les documents utilisant un modèle non référencé dans le CI-SIS")
# classCode from the typeCode (ASS_X04-CorrespondanceType-Classe-CISIS).
CLASS_CODES = {
    "34794-8": ("10", "Compte rendu"),
    "18776-5": ("44", "Plan de soins, protocole de soins"),
}
CLASS_OTHER = ("10", "Compte rendu")
FACILITY_TYPES = {"SA01": "Etablissement public de santé", "SA03": "Etablissement privé PSPH",
                  "SA04": "Etablissement privé non PSPH", "SA36": "Centre anti-cancer",
                  "SA57": "Structure de coopération avec mission de coordination de soins"}
PRACTICE_DEFAULT = ("ETABLISSEMENT", OID_PRACTICE_SETTING, "Etablissement de santé")
SOURCE_NAMESPACE = uuid.UUID("6f1d2d4e-3c1b-5a7e-9a40-0a0dcc011011")  # fixed: derived ids stay stable


class MetadataError(ValueError):
    """The CDA lacks what the XDS metadata needs; the message is French."""


@dataclass(frozen=True)
class Code:
    code: str
    scheme: str
    display: str


@dataclass(frozen=True)
class XdsMetadata:
    """One document entry and its submission set (values already in their XDS/HL7 v2 string forms)."""
    # Document entry.
    entry_uuid: str                 # urn:uuid:… (deterministic from uniqueId: a replacement can point at it)
    unique_id: str                  # ClinicalDocument/id root[^extension]
    set_id: str
    version: int
    patient_id: str                 # CX: matricule^^^&OID&ISO (the INS)
    source_patient_id: str          # CX of the same INS as held by the source
    source_patient_info: tuple[str, ...]  # PID-5, PID-7, PID-8 (and PID-11 when the birthplace is known)
    title: str
    creation_time: str              # UTC, YYYYMMDDHHMMSS
    service_start: str
    service_stop: str
    language_code: str
    mime_type: str
    hash: str                       # SHA-1 hex of the CDA as sent
    size: int
    legal_authenticator: str        # XCN
    author_person: str              # XCN
    author_institution: str         # XON
    author_role: str
    author_specialty: str
    class_code: Code
    type_code: Code
    format_code: Code
    practice_setting: Code
    facility_type: Code
    confidentiality: tuple[Code, ...]
    event_codes: tuple[Code, ...]
    # Submission set.
    submission_unique_id: str       # OID (2.25.x, deterministic per document and action)
    submission_time: str            # UTC, YYYYMMDDHHMMSS
    source_id: str                  # OID of the sending system
    content_type: Code
    replaces_entry_uuid: str = ""   # urn:uuid of the entry replaced (RPLC), "" otherwise


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


def _text(element) -> str:
    return " ".join(" ".join(element.itertext()).split()) if element is not None else ""


def _ii(element) -> str:
    if element is None or not element.get("root"):
        return ""
    root, ext = element.get("root").strip(), (element.get("extension") or "").strip()
    return f"{root}^{ext}" if ext else root


def utc_ts(value: str | None) -> str:
    """An HL7 TS as the XDS DTM in UTC (YYYYMMDDHHMMSS); a date alone stays a date (YYYYMMDD)."""
    value = (value or "").strip()
    if len(value) < 8 or not value[:8].isdigit():
        return ""
    digits, offset = value, ""
    for sign in "+-":
        if sign in value[8:]:
            digits, offset = value[: value.index(sign, 8)], value[value.index(sign, 8):]
            break
    digits = digits.split(".")[0]
    if len(digits) <= 8 or not offset:
        return digits[:14]
    moment = datetime.strptime(digits[:14].ljust(14, "0") + offset, "%Y%m%d%H%M%S%z")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def entry_uuid(unique_id: str) -> str:
    """The entryUUID of a document entry: derived from its uniqueId, so that a later version can name the entry it
    replaces (RPLC) without any state."""
    return f"urn:uuid:{uuid.uuid5(SOURCE_NAMESPACE, 'entry:' + unique_id)}"


def oid_of(seed: str) -> str:
    """A globally unique OID (2.25 arc, ITU-T X.667) derived from a seed."""
    return f"2.25.{uuid.uuid5(SOURCE_NAMESPACE, seed).int}"


def cx(extension: str, oid: str) -> str:
    return f"{extension}^^^&{oid}&ISO"


def _code(element, default: Code | None = None) -> Code | None:
    if element is None or not element.get("code"):
        return default
    return Code(element.get("code"), element.get("codeSystem") or "", element.get("displayName") or "")


def _person(entity) -> str:
    """XCN of an assignedAuthor / assignedEntity: id^FAMILY^Given^^^^^^&OID&ISO^D^^^IDNPS."""
    if entity is None:
        return ""
    ident = entity.find("h:id", NS)
    name = entity.find("h:assignedPerson/h:name", NS)
    family = " ".join(_text(f) for f in name.findall("h:family", NS)) if name is not None else ""
    given = " ".join(_text(g) for g in name.findall("h:given", NS)) if name is not None else ""
    if ident is not None and ident.get("extension"):
        kind = "EI" if "/" in ident.get("extension") else "IDNPS"
        return f"{ident.get('extension')}^{family}^{given}^^^^^^&{ident.get('root')}&ISO^D^^^{kind}"
    return f"^{family}^{given}"


def _author_organisation(root, author):
    """The author's organisation; a fiche signed by a doctor whose hospital the header does not name is the
    document of the organisation that keeps it (custodian: the DSRC or 3C), which XDS requires as authorInstitution."""
    org = author.find("h:representedOrganization", NS) if author is not None else None
    if org is None:
        org = root.find("h:custodian/h:assignedCustodian/h:representedCustodianOrganization", NS)
    return org


def _institution(org) -> str:
    """XON: Name^^^^^&OID&ISO^IDNST^^^id."""
    if org is None:
        return ""
    name = _text(org.find("h:name", NS))
    ident = org.find("h:id", NS)
    if ident is not None and ident.get("extension"):
        return f"{name}^^^^^&{ident.get('root')}&ISO^IDNST^^^{ident.get('extension')}"
    return name


def _patient(root, ins: str, ins_oid: str) -> tuple[str, tuple[str, ...]]:
    role = root.find("h:recordTarget/h:patientRole", NS)
    if role is None:
        raise MetadataError("Le document CDA n'a pas de patient (recordTarget).")
    ids = [(i.get("root"), i.get("extension")) for i in role.findall("h:id", NS) if i.get("extension")]
    found = next(((r, e) for r, e in ids if r in INS_OIDS), None)
    if ins and ins_oid:
        if found is not None and found != (ins_oid, ins):
            raise MetadataError("L'INS du document CDA ne correspond pas à celui du patient.")
        found = (ins_oid, ins)
    if found is None:
        raise MetadataError("Le document CDA ne porte pas l'INS du patient.")
    person = role.find("h:patient", NS)
    info = []
    if person is not None:
        name = person.find("h:name", NS)
        family = given = ""
        if name is not None:
            family = next((_text(f) for f in name.findall("h:family", NS) if f.get("qualifier") in (None, "BR")), "")
            given = next((_text(g) for g in name.findall("h:given", NS) if g.get("qualifier") == "BR"), "") or \
                next((_text(g) for g in name.findall("h:given", NS)), "")
        info.append(f"PID-5|{family}^{given}^^^^^L")
        birth = person.find("h:birthTime", NS)
        if birth is not None and birth.get("value"):
            info.append(f"PID-7|{birth.get('value')[:8]}")
        gender = person.find("h:administrativeGenderCode", NS)
        sex = {"F": "F", "M": "M"}.get(gender.get("code") if gender is not None else "", "U")
        info.append(f"PID-8|{sex}")
        county = person.find("h:birthplace/h:place/h:addr/h:county", NS)
        if county is not None and _text(county):
            info.append(f"PID-11|^^^^^^^^{_text(county)}")
    return cx(found[1], found[0]), tuple(info)


def xds_metadata(cda: bytes, *, patient_ins: str = "", patient_ins_oid: str = "", replaced_document_id: str = "",
                 action: str = "new", now: datetime | None = None) -> XdsMetadata:
    """The XDS document entry and submission set metadata of a CDA R2 document (FRCP, PPS, PPAC…)."""
    try:
        root = etree.fromstring(cda, _parser())
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"Document CDA illisible ({exc.msg}).") from exc
    if root.tag != f"{H}ClinicalDocument":
        raise MetadataError("Le contenu n'est pas un document CDA R2.")
    unique_id = _ii(root.find("h:id", NS))
    type_code = _code(root.find("h:code", NS))
    if not unique_id or type_code is None:
        raise MetadataError("Le document CDA n'a pas d'identifiant ou de type.")
    patient_id, patient_info = _patient(root, patient_ins, patient_ins_oid)
    templates = [t.get("root") for t in root.findall("h:templateId", NS)]
    fmt = next((FORMAT_CODES[t] for t in templates if t in FORMAT_CODES), None)
    if fmt is None:
        body = root.find("h:component/h:nonXMLBody/h:text", NS)
        fmt = FORMAT_PDF_BODY if body is not None and body.get("mediaType") == "application/pdf" else FORMAT_OTHER
    klass = CLASS_CODES.get(type_code.code, CLASS_OTHER)
    author = root.find("h:author/h:assignedAuthor", NS)
    author_fn = _code(root.find("h:author/h:functionCode", NS))
    specialty = _code(author.find("h:code", NS)) if author is not None else None
    practice = (_code(root.find("h:documentationOf/h:serviceEvent/h:performer/h:assignedEntity/"
                                "h:representedOrganization/h:standardIndustryClassCode", NS))
                or _code(root.find("h:author/h:assignedAuthor/h:representedOrganization/"
                                   "h:standardIndustryClassCode", NS))
                or Code(*PRACTICE_DEFAULT))
    default_facility = getattr(settings, "DCC_XDS_HEALTHCARE_FACILITY_TYPE", "SA01")
    facility = _code(root.find("h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code", NS),
                     Code(default_facility, OID_FACILITY_TYPE, FACILITY_TYPES.get(default_facility, default_facility)))
    event_codes = tuple(c for c in (_code(e) for e in root.findall("h:documentationOf/h:serviceEvent/h:code", NS))
                        if c is not None)
    times = root.findall("h:documentationOf/h:serviceEvent/h:effectiveTime", NS)
    low = next((t.find("h:low", NS).get("value") for t in times if t.find("h:low", NS) is not None), "")
    high = next((t.find("h:high", NS).get("value") for t in times if t.find("h:high", NS) is not None), "")
    language = root.find("h:languageCode", NS)
    set_el, version_el = root.find("h:setId", NS), root.find("h:versionNumber", NS)
    title = _text(root.find("h:title", NS)) or type_code.display
    effective = root.find("h:effectiveTime", NS)
    source_id = getattr(settings, "DCC_XDS_SOURCE_OID", "") or oid_of("oncodcc-source")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return XdsMetadata(
        entry_uuid=entry_uuid(unique_id), unique_id=unique_id, set_id=_ii(set_el),
        version=int(version_el.get("value")) if version_el is not None and version_el.get("value") else 1,
        patient_id=patient_id, source_patient_id=patient_id, source_patient_info=patient_info, title=title,
        creation_time=utc_ts(effective.get("value") if effective is not None else ""),
        service_start=utc_ts(low), service_stop=utc_ts(high),
        language_code=language.get("code") if language is not None else "fr-FR", mime_type="text/xml",
        hash=hashlib.sha1(cda).hexdigest(), size=len(cda),  # noqa: S324 - the XDS hash slot is SHA-1 by definition
        legal_authenticator=_person(root.find("h:legalAuthenticator/h:assignedEntity", NS)),
        author_person=_person(author),
        author_institution=_institution(_author_organisation(root, author)),
        author_role=f"{author_fn.code}^{author_fn.display}^{author_fn.scheme}" if author_fn else "",
        author_specialty=f"{specialty.code}^{specialty.display}^{specialty.scheme}" if specialty else "",
        class_code=Code(klass[0], OID_CLASS_CODE, klass[1]), type_code=Code(type_code.code, OID_LOINC,
                                                                            type_code.display),
        format_code=Code(fmt[0], OID_FORMAT_CODE, fmt[1]), practice_setting=practice, facility_type=facility,
        confidentiality=tuple(c for c in (_code(e) for e in root.findall("h:confidentialityCode", NS)) if c),
        event_codes=event_codes,
        submission_unique_id=oid_of(f"submission:{unique_id}:{action}"),
        submission_time=moment.strftime("%Y%m%d%H%M%S"), source_id=source_id,
        content_type=Code(type_code.code, OID_LOINC, type_code.display),
        replaces_entry_uuid=entry_uuid(replaced_document_id) if replaced_document_id else "",
    )
