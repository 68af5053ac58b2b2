"""Building blocks of a CI-SIS CDA R2 document (header and entry helpers), shared by the FRCP and PPS volets.

The structure follows the ANS examples of the CI-SIS test kit (see docs/cda.md for the mapping of our fields).
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime

from lxml import etree

from oncodcc.terminology import valuesets as vs

NS = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
NSMAP = {None: NS, "xsi": XSI}
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# OIDs (DOMAIN.md §3.2, §6, §7).
OID_RPPS = "1.2.250.1.71.4.2.1"
OID_FINESS = "1.2.250.1.71.4.2.2"
OID_SPECIALTY = "1.2.250.1.213.1.1.4.5"
OID_LOINC = "2.16.840.1.113883.6.1"
OID_SNOMED = "2.16.840.1.113883.6.96"
OID_TA_ASIP = "1.2.250.1.213.1.1.4.322"
OID_CIM10 = "2.16.840.1.113883.6.3"
OID_CIMO3 = "2.16.840.1.113883.6.43.1"
OID_TNM = "2.16.840.1.113883.15.6"
OID_NCIT = "2.16.840.1.113883.3.26.1.1"
OID_GENDER = "2.16.840.1.113883.5.1"
OID_CONFIDENTIALITY = "2.16.840.1.113883.5.25"
OID_ACT_CODE = "2.16.840.1.113883.5.4"
OID_PARTICIPATION_FUNCTION = "2.16.840.1.113883.5.88"
OID_FUNCTION_TEAM = "1.2.250.1.213.1.6.1.107"
OID_FUNCTION_CORRESPONDENT = "1.2.250.1.213.1.1.4.2.280"
OID_PRACTICE_SETTING = "1.2.250.1.213.1.1.4.9"
OID_NATIONAL_DSRC = "1.2.250.1.161.1.20.1.1"
OID_NATIONAL_3C = "1.2.250.1.161.1.20.2.1"
OID_NATIONAL_RCP = "1.2.250.1.161.1.20.3.1"

CODE_SYSTEM_NAMES = {
    OID_LOINC: "LOINC", OID_SNOMED: "SNOMED CT", OID_TA_ASIP: "TA_ASIP", OID_CIM10: "CIM-10", OID_CIMO3: "CIM-O",
    OID_TNM: "TNM_UICC", OID_NCIT: "NCIT",
}
GENDER = {"F": ("F", "Féminin"), "M": ("M", "Masculin"), "I": ("UN", "Indéterminé")}

# Templates of the simple observation and the comment entries (IHE PCC + CI-SIS).
T_SIMPLE_OBS = ("1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.2.250.1.213.1.1.3.48")
T_COMMENT = ("2.16.840.1.113883.10.20.1.40", "1.3.6.1.4.1.19376.1.5.3.1.4.2", "1.2.250.1.213.1.1.3.32")


# --- low level -------------------------------------------------------------------------------------------------

def el(parent: etree._Element | None, tag: str, attrs: dict | None = None, text: str | None = None,
       **kw) -> etree._Element:
    """An element of the HL7 v3 namespace; attributes whose value is None are left out."""
    values = {**(attrs or {}), **kw}
    clean = {k: str(v) for k, v in values.items() if v is not None}
    node = etree.Element(f"{{{NS}}}{tag}", clean, nsmap=NSMAP) if parent is None else \
        etree.SubElement(parent, f"{{{NS}}}{tag}", clean)
    if text is not None:
        node.text = text
    return node


def templates(parent: etree._Element, *roots: str) -> None:
    for root in roots:
        el(parent, "templateId", root=root)


def ts(value: datetime | date | None) -> str | None:
    """HL7 TS: yyyyMMddHHmmss+zzzz in Europe/Paris for a datetime, yyyyMMdd for a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value.astimezone(PARIS) if value.tzinfo else value.replace(tzinfo=PARIS)
        return local.strftime("%Y%m%d%H%M%S%z")
    return value.strftime("%Y%m%d")


def fr_date(value: datetime | date | None) -> str:
    if value is None:
        return "non renseignée"
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def yes_no(value: bool | None) -> str:
    return "Non renseigné" if value is None else ("Oui" if value else "Non")


def effective_time(parent: etree._Element, value: datetime | date | None, *, low: bool = False,
                   null: str = "UNK") -> etree._Element:
    if value is None:
        return el(parent, "effectiveTime", nullFlavor=null)
    if low:
        node = el(parent, "effectiveTime")
        el(node, "low", value=ts(value))
        return node
    return el(parent, "effectiveTime", value=ts(value))


def code(parent: etree._Element, tag: str, code_value: str, system: str, display: str | None = None,
         **attrs) -> etree._Element:
    return el(parent, tag, {"code": code_value, "displayName": display, "codeSystem": system,
                            "codeSystemName": CODE_SYSTEM_NAMES.get(system), **attrs})


def concept(valueset: str, code_value: str) -> vs.Concept:
    """The concept of a national value set (its own code system OID and label); unknown codes keep their code as
    label and the value set's first code system (a data error caught by the validator)."""
    found = vs.get(valueset).by_code.get(code_value)
    if found is not None:
        return found
    first = vs.get(valueset).concepts[0]
    return vs.Concept(code_value, first.system, code_value)


def coded(parent: etree._Element, tag: str, valueset: str, code_value: str, **attrs) -> etree._Element:
    c = concept(valueset, code_value)
    return code(parent, tag, c.code, c.system, c.display, **attrs)


def cd_value(parent: etree._Element, valueset: str, code_value: str) -> etree._Element:
    return coded(parent, "value", valueset, code_value, **{XSI_TYPE: "CD"})


def bl_value(parent: etree._Element, value: bool | None) -> etree._Element:
    if value is None:
        return el(parent, "value", {XSI_TYPE: "BL", "nullFlavor": "UNK"})
    return el(parent, "value", {XSI_TYPE: "BL", "value": "true" if value else "false"})


def reference(parent: etree._Element, tag: str, ref: str) -> etree._Element:
    node = el(parent, tag)
    el(node, "reference", value=f"#{ref}")
    return node


def upper_uuid(value: uuid.UUID | str) -> str:
    return str(value).upper()


class Ids:
    """Deterministic UUIDs for the document's sections and entries (stable for a given document version)."""

    def __init__(self, seed: uuid.UUID):
        self.seed = seed
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return upper_uuid(uuid.uuid5(self.seed, f"entry-{self.count}"))

    def id(self, parent: etree._Element) -> etree._Element:
        return el(parent, "id", root=self.next())


# --- narrative ---------------------------------------------------------------------------------------------------

class Narrative:
    """A section's <text>: tables of (label, value) rows; values may carry an ID referenced by the entries."""

    def __init__(self, section: etree._Element):
        self.text = el(section, "text")
        self._tables = 0

    def table(self, title: str, headers: Iterable[str] = (), colspan: int = 2) -> etree._Element:
        if self._tables:
            el(self.text, "br")
        self._tables += 1
        table = el(self.text, "table", border="0")
        thead = el(table, "thead")
        el(el(thead, "tr"), "th", {"colspan": str(colspan) if colspan > 1 else None}, title)
        headers = list(headers)
        if headers:
            tr = el(thead, "tr")
            for h in headers:
                el(tr, "th", text=h)
        return el(table, "tbody")

    @staticmethod
    def row(tbody: etree._Element, *cells: str | tuple[str, str]) -> etree._Element:
        """Cells are plain strings or (ID, text) pairs rendered as <content ID=…>."""
        tr = el(tbody, "tr")
        for cell in cells:
            td = el(tr, "td")
            if isinstance(cell, tuple):
                el(td, "content", ID=cell[0], text=cell[1] or "-")
            else:
                td.text = cell or "-"
        return tr


def paragraphs(parent: etree._Element, text: str) -> None:
    """Free text kept line by line (<br/> between lines)."""
    lines = (text or "").splitlines() or [""]
    parent.text = lines[0]
    for line in lines[1:]:
        br = el(parent, "br")
        br.tail = line


# --- simple observation and comment entries --------------------------------------------------------------------

def simple_observation(parent: etree._Element, ids: Ids, code_value: str, display: str, ref: str, *,
                       system: str = OID_TA_ASIP, when=None, when_low: bool = False, null_time: str = "NAV",
                       tag: str = "observation", **attrs) -> etree._Element:
    obs = el(parent, tag, {"classCode": "OBS", "moodCode": "EVN", **attrs})
    templates(obs, *T_SIMPLE_OBS)
    ids.id(obs)
    code(obs, "code", code_value, system, display)
    reference(obs, "text", ref)
    el(obs, "statusCode", code="completed")
    effective_time(obs, when, low=when_low, null=null_time)
    return obs


def comment_act(parent: etree._Element, ids: Ids | None, ref: str, *, when=None) -> etree._Element:
    act = el(parent, "act", classCode="ACT", moodCode="EVN")
    templates(act, *T_COMMENT)
    if ids is not None:
        ids.id(act)
    code(act, "code", "48767-8", OID_LOINC, "Commentaire")
    reference(act, "text", ref)
    el(act, "statusCode", code="completed")
    if when is not None:
        effective_time(act, when)
    return act


# --- people and organisations ------------------------------------------------------------------------------------

def finess_ext(finess: str) -> str:
    """The national structure id of a FINESS establishment, as in the ANS examples: "1" + FINESS."""
    return f"1{finess}"


def rpps_ext(rpps: str) -> str:
    """The national person id of an RPPS practitioner, as in the ANS examples: "8" + RPPS."""
    return f"8{rpps}"


def split_name(full: str) -> tuple[str, str, str]:
    """(title, given, family) from a display name such as "Dr Jeanne MARTIN"."""
    parts = (full or "").split()
    title = ""
    if parts and parts[0].rstrip(".").lower() in {"dr", "pr", "m", "mme"}:
        title, parts = parts[0], parts[1:]
    family = [p for p in parts if p.isupper() and len(p) > 1]
    given = [p for p in parts if p not in family]
    if not family and parts:
        family, given = parts[-1:], parts[:-1]
    return title, " ".join(given), " ".join(family)


def person_name(parent: etree._Element, *, given: str, family: str, title: str = "") -> etree._Element:
    name = el(parent, "name")
    if given:
        el(name, "given", text=given)
    el(name, "family", text=family or "-")
    if title.rstrip(".").lower() in {"dr", "pr"}:
        el(name, "suffix", text=title.rstrip(".").upper())
    return name


def address(parent: etree._Element, text: str | None) -> etree._Element:
    text = " ".join((text or "").split())
    if not text:
        return el(parent, "addr", nullFlavor="UNK")
    addr = el(parent, "addr")
    m = re.search(r"\b(\d{5})\s+(.+)$", text)
    if m:
        street = text[: m.start()].strip(" ,")
        if street:
            el(addr, "streetAddressLine", text=street)
        el(addr, "postalCode", text=m.group(1))
        el(addr, "city", text=m.group(2).strip())
    else:
        el(addr, "streetAddressLine", text=text)
    return addr


def telecom(parent: etree._Element, phone: str | None, use: str = "WP") -> None:
    digits = re.sub(r"[^0-9+]", "", phone or "")
    if digits:
        el(parent, "telecom", value=f"tel:{digits}", use=use)


def organisation(parent: etree._Element, tag: str, org, *, with_class: bool = True) -> etree._Element:
    """representedOrganization / scopingOrganization / representedCustodianOrganization."""
    node = el(parent, tag)
    if org is None:
        return node
    if org.finess:
        el(node, "id", root=OID_FINESS, extension=finess_ext(org.finess))
    el(node, "name", text=org.name)
    if tag == "representedCustodianOrganization":
        telecom(node, org.phone, "WP")
        address(node, org.address)
        return node
    telecom(node, org.phone, "WP")
    address(node, org.address)
    if with_class:
        el(node, "standardIndustryClassCode", code="ETABLISSEMENT", displayName="Etablissement de santé",
           codeSystem=OID_PRACTICE_SETTING, codeSystemName="practiceSettingCode")
    return node


def specialty_code(parent: etree._Element, specialty: str) -> etree._Element | None:
    if not specialty:
        return None
    c = concept(vs.SPECIALTY, specialty)
    return el(parent, "code", code=c.code, codeSystem=OID_SPECIALTY, displayName=c.display)


def practitioner_entity(parent: etree._Element, entity_tag: str, person_tag: str, org_tag: str, *,
                        practitioner=None, name: str = "", rpps: str = "", specialty: str = "", org=None,
                        with_contact: bool = True) -> etree._Element:
    """assignedAuthor / assignedEntity / associatedEntity for a practitioner of the directory, or a person known
    only by name (participants frozen at validation)."""
    attrs = {"classCode": "PROV"} if entity_tag == "associatedEntity" else {}
    entity = el(parent, entity_tag, attrs)
    rpps = rpps or (practitioner.rpps if practitioner is not None else "")
    specialty = specialty or (practitioner.specialty if practitioner is not None else "")
    if rpps:
        el(entity, "id", root=OID_RPPS, extension=rpps_ext(rpps))
    specialty_code(entity, specialty)
    if with_contact and practitioner is not None:
        address(entity, None if org is None else org.address)
        telecom(entity, practitioner.phone)
    person = el(entity, person_tag)
    if practitioner is not None:
        person_name(person, given=practitioner.first_name, family=practitioner.last_name.upper(),
                    title=practitioner.title)
    else:
        title, given, family = split_name(name)
        person_name(person, given=given, family=family, title=title)
    if org is not None:
        organisation(entity, org_tag, org)
    return entity


def first_finess_org(practitioner):
    if practitioner is None:
        return None
    orgs = list(practitioner.organisations.all())
    return next((o for o in orgs if o.finess), orgs[0] if orgs else None)


# --- header --------------------------------------------------------------------------------------------------------

def document_start(*, template_id: str, template_ext: str, doc_id: str, loinc: str, loinc_display: str, title: str,
                   effective: datetime, set_id: str, version: int) -> etree._Element:
    root = el(None, "ClinicalDocument")
    el(root, "realmCode", code="FR")
    el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    el(root, "templateId", root="2.16.840.1.113883.2.8.2.1")
    el(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    if template_id:  # the volet's own template; none for a "Structuration minimale" document
        el(root, "templateId", root=template_id, extension=template_ext)
    el(root, "id", root=doc_id)
    code(root, "code", loinc, OID_LOINC, loinc_display)
    el(root, "title", text=title)
    el(root, "effectiveTime", value=ts(effective))
    el(root, "confidentialityCode", code="N", codeSystem=OID_CONFIDENTIALITY, codeSystemName="Confidentiality",
       displayName="Normal")
    el(root, "languageCode", code="fr-FR")
    el(root, "setId", root=set_id)
    el(root, "versionNumber", value=str(version))
    return root


def record_target(root: etree._Element, patient) -> etree._Element:
    """recordTarget: INS (when known) then the IPPs, names with their qualifiers, gender, birth date and place."""
    rt = el(root, "recordTarget")
    role = el(rt, "patientRole")
    if patient.ins_matricule and patient.ins_oid:
        el(role, "id", root=patient.ins_oid, extension=patient.ins_matricule)
    for ident in patient.identifiers.all().order_by("id"):
        el(role, "id", root=ident.system, extension=ident.value)
    if not patient.identifiers.exists() and not (patient.ins_matricule and patient.ins_oid):
        el(role, "id", nullFlavor="UNK")
    p = el(role, "patient", classCode="PSN")
    name = el(p, "name")
    el(name, "family", text=patient.birth_name.upper(), qualifier="BR")
    el(name, "given", text=patient.birth_given_names)
    el(name, "given", text=patient.first_birth_given_name, qualifier="BR")
    if patient.used_name:
        el(name, "family", text=patient.used_name.upper(), qualifier="CL")
    if patient.used_given_name:
        el(name, "given", text=patient.used_given_name, qualifier="CL")
    gender, label = GENDER.get(patient.sex, ("UN", "Indéterminé"))
    el(p, "administrativeGenderCode", code=gender, displayName=label, codeSystem=OID_GENDER)
    el(p, "birthTime", value=ts(patient.birth_date))
    if patient.birthplace_insee:
        addr = el(el(el(p, "birthplace"), "place"), "addr")
        el(addr, "county", text=patient.birthplace_insee)
    return rt


def author(root: etree._Element, practitioner, org, when: datetime, *, comment: str = "") -> etree._Element:
    node = el(root, "author")
    fc = el(node, "functionCode", code="353", displayName="Membre de l'équipe de soins", codeSystem=OID_FUNCTION_TEAM)
    if comment:
        el(fc, "originalText", text=comment)
    el(node, "time", value=ts(when))
    practitioner_entity(node, "assignedAuthor", "assignedPerson", "representedOrganization",
                        practitioner=practitioner, org=org)
    return node


def custodian(root: etree._Element, org) -> etree._Element:
    node = el(root, "custodian")
    rco = el(el(node, "assignedCustodian"), "representedCustodianOrganization")
    if org.finess:
        el(rco, "id", root=OID_FINESS, extension=finess_ext(org.finess))
    elif org.national_id and org.kind == "DSRC":
        el(rco, "id", root=OID_NATIONAL_DSRC, extension=org.national_id)
    elif org.oid:
        el(rco, "id", root=org.oid)
    else:
        el(rco, "id", nullFlavor="UNK")
    el(rco, "name", text=org.name)
    telecom(rco, org.phone, "WP")
    address(rco, org.address)
    return node


def legal_authenticator(root: etree._Element, practitioner, org, when: datetime) -> etree._Element:
    node = el(root, "legalAuthenticator")
    el(node, "time", value=ts(when))
    el(node, "signatureCode", code="S")
    practitioner_entity(node, "assignedEntity", "assignedPerson", "representedOrganization",
                        practitioner=practitioner, org=org)
    return node


def participant(root: etree._Element, type_code: str, *, function: tuple[str, str, str] | None, comment: str,
                practitioner=None, name: str = "", rpps: str = "", specialty: str = "", org=None,
                null_entity: bool = False) -> etree._Element:
    """A header participant; function = (code, displayName, codeSystem) or None (functionCode nullFlavor NA)."""
    node = el(root, "participant", typeCode=type_code)
    if function is None:
        fc = el(node, "functionCode", nullFlavor="NA")
    else:
        fc = el(node, "functionCode", code=function[0], displayName=function[1], codeSystem=function[2])
    el(fc, "originalText", text=comment)
    el(node, "time", nullFlavor="UNK")
    if null_entity:
        el(node, "associatedEntity", classCode="PROV", nullFlavor="NA")
        return node
    practitioner_entity(node, "associatedEntity", "associatedPerson", "scopingOrganization",
                        practitioner=practitioner, name=name, rpps=rpps, specialty=specialty, org=org,
                        with_contact=False)
    return node


OID_FACILITY_TYPE = "1.2.250.1.71.4.2.4"  # TRE_R02-SecteurActivite (JDV_J02-XdsHealthcareFacilityTypeCode-CISIS)
FACILITY_TYPES = {"SA01": "Etablissement public de santé", "SA03": "Etablissement privé PSPH",
                  "SA04": "Etablissement privé non PSPH", "SA36": "Centre anti-cancer",
                  "SA57": "Structure de coopération avec mission de coordination de soins"}


def facility_code(facility: etree._Element) -> etree._Element:
    """healthCareFacility/code: the sector of activity (DCC_XDS_HEALTHCARE_FACILITY_TYPE), which the XDS
    healthcareFacilityTypeCode of the DMP and the XDM archive is taken from."""
    from django.conf import settings

    kind = getattr(settings, "DCC_XDS_HEALTHCARE_FACILITY_TYPE", "SA01")
    return el(facility, "code", code=kind, displayName=FACILITY_TYPES.get(kind, kind), codeSystem=OID_FACILITY_TYPE,
              codeSystemName="healthCareFacilityTypeCode")


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- helpers added for the PPS volet (used by pps.py) --------------------------------------------------------------

def translation(parent: etree._Element, code_value: str, display: str, system: str = OID_TA_ASIP) -> etree._Element:
    """A <translation> of a coded element (e.g. the TA_ASIP role of a PPS header participant)."""
    return code(parent, "translation", code_value, system, display)


def organisation_ids(parent: etree._Element, org) -> None:
    """The ids of a structure: FINESS, else its national id (DSRC / 3C directory), else its OID."""
    if org.finess:
        el(parent, "id", root=OID_FINESS, extension=finess_ext(org.finess))
    elif org.national_id and org.kind == "DSRC":
        el(parent, "id", root=OID_NATIONAL_DSRC, extension=org.national_id)
    elif org.national_id and org.kind == "3C":
        el(parent, "id", root=OID_NATIONAL_3C, extension=org.national_id)
    elif org.oid:
        el(parent, "id", root=org.oid)


def structure_participant(root: etree._Element, type_code: str, *, function: tuple[str, str, str] | None,
                          role: tuple[str, str] | None, comment: str, org=None, name: str = "",
                          phone: str = "", email: str = "", class_code: str = "PROV") -> etree._Element:
    """A header participant that is a structure (3C, RRC, hospital, support service) or a contact known only by
    name: associatedEntity with address, telecom and scopingOrganization; `role` = (TA_ASIP code, display) goes
    in functionCode/translation."""
    node = el(root, "participant", typeCode=type_code)
    if function is None:
        fc = el(node, "functionCode", nullFlavor="NA")
    else:
        fc = el(node, "functionCode", code=function[0], displayName=function[1], codeSystem=function[2])
    el(fc, "originalText", text=comment)
    if role is not None:
        translation(fc, role[0], role[1])
    el(node, "time", {XSI_TYPE: "IVL_TS", "nullFlavor": "UNK"})
    entity = el(node, "associatedEntity", classCode=class_code)
    address(entity, org.address if org is not None else None)
    telecom(entity, phone or (org.phone if org is not None else ""))
    if email:
        el(entity, "telecom", value=f"mailto:{email}")
    scoping = el(entity, "scopingOrganization")
    if org is not None:
        organisation_ids(scoping, org)
    el(scoping, "name", text=(org.name if org is not None else name) or "-")
    return node


def external_document(parent: etree._Element, *, doc_id: str, set_id: str | None = None, version: int | None = None,
                      label: str = "", ref: str | None = None) -> etree._Element:
    """reference/externalDocument of a 'Documents référencés' act: id, text (reference to the narrative), setId,
    versionNumber."""
    ext = el(el(parent, "reference", typeCode="REFR"), "externalDocument", classCode="DOC", moodCode="EVN")
    el(ext, "id", root=doc_id)
    if ref:
        reference(ext, "text", ref)
    elif label:
        el(ext, "text", text=label)
    if set_id:
        el(ext, "setId", root=set_id)
    if version is not None:
        el(ext, "versionNumber", value=str(version))
    return ext
