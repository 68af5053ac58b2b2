"""The ebRIM 3.0 form of the XDS metadata (IHE ITI TF-3 §4.2): lcm:SubmitObjectsRequest with the document entry
(ExtrinsicObject), the submission set (RegistryPackage), their HasMember association and, for a new version, the
RPLC association. Used by METADATA.XML (IHE XDM) and by Provide and Register Document Set-b (IHE XDS.b); the
reading helpers serve the XDS.b repository double and the tests.
"""

from __future__ import annotations

from lxml import etree

from .xdsmeta import Code, XdsMetadata

RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
XDSB = "urn:ihe:iti:xds-b:2007"
NSMAP = {"rim": RIM, "lcm": LCM, "rs": RS, "xdsb": XDSB}

STABLE_DOCUMENT = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
UPDATE_AVAILABILITY = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
# The DMP's own status of an unpublished document (TRE_R270-AvailabilityStatus, "Version dépubliée").
DMP_DELETED = "urn:asip:ci-sis:2010:StatusType:Deleted"
# Classification schemes and external identifiers of the document entry (DE) and the submission set (SS).
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_EVENT = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SUBMISSION_ID = "SubmissionSet01"

SCHEME_NAMES = {
    DE_CLASS: "classCode", DE_CONFIDENTIALITY: "confidentialityCode", DE_EVENT: "eventCodeList",
    DE_FORMAT: "formatCode", DE_FACILITY: "healthcareFacilityTypeCode", DE_PRACTICE: "practiceSettingCode",
    DE_TYPE: "typeCode", SS_CONTENT_TYPE: "contentTypeCode",
}


def _rim(parent, tag: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{RIM}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def slot(parent, name: str, *values: str) -> None:
    values = [v for v in values if v]
    if not values:
        return
    value_list = _rim(_rim(parent, "Slot", name=name), "ValueList")
    for v in values:
        _rim(value_list, "Value").text = v


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CLASSIFICATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
EXTERNAL_ID = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"


def localized(parent, tag: str, text: str) -> None:
    _rim(_rim(parent, tag), "LocalizedString", value=text, charset="UTF-8", **{XML_LANG: "fr-FR"})


def coded(parent, scheme: str, obj: str, ident: str, code: Code) -> None:
    node = _rim(parent, "Classification", id=ident, classificationScheme=scheme, classifiedObject=obj,
                nodeRepresentation=code.code, objectType=CLASSIFICATION)
    slot(node, "codingScheme", code.scheme)
    localized(node, "Name", code.display or code.code)


def external_id(parent, scheme: str, obj: str, ident: str, value: str, name: str) -> None:
    node = _rim(parent, "ExternalIdentifier", id=ident, identificationScheme=scheme, registryObject=obj, value=value,
                objectType=EXTERNAL_ID)
    localized(node, "Name", name)


def _author(parent, scheme: str, obj: str, ident: str, meta: XdsMetadata) -> None:
    node = _rim(parent, "Classification", id=ident, classificationScheme=scheme, classifiedObject=obj,
                nodeRepresentation="")
    slot(node, "authorPerson", meta.author_person)
    slot(node, "authorInstitution", meta.author_institution)
    slot(node, "authorRole", meta.author_role)
    slot(node, "authorSpecialty", meta.author_specialty)


def submit_objects(meta: XdsMetadata, *, uri: str = "", intended_recipients: tuple[str, ...] = (),
                   with_hash: bool = True) -> etree._Element:
    """lcm:SubmitObjectsRequest for one document. `uri`: the file name inside an XDM archive (XDM only);
    `intended_recipients`: XCN/XTN forms of the recipients (XDM, optional for XDS.b)."""
    request = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM})
    objects = _rim(request, "RegistryObjectList")
    doc = meta.entry_uuid
    eo = _rim(objects, "ExtrinsicObject", id=doc, mimeType=meta.mime_type,
              objectType=STABLE_DOCUMENT, status=APPROVED)
    slot(eo, "creationTime", meta.creation_time)
    if with_hash:
        slot(eo, "hash", meta.hash)
        slot(eo, "size", str(meta.size))
    slot(eo, "languageCode", meta.language_code)
    slot(eo, "legalAuthenticator", meta.legal_authenticator)
    slot(eo, "serviceStartTime", meta.service_start)
    slot(eo, "serviceStopTime", meta.service_stop)
    slot(eo, "sourcePatientId", meta.source_patient_id)
    slot(eo, "sourcePatientInfo", *meta.source_patient_info)
    slot(eo, "URI", uri)
    localized(eo, "Name", meta.title)
    _rim(eo, "VersionInfo", versionName=str(meta.version))
    _author(eo, DE_AUTHOR, doc, "cl01", meta)
    coded(eo, DE_CLASS, doc, "cl02", meta.class_code)
    for i, code in enumerate(meta.confidentiality, 1):
        coded(eo, DE_CONFIDENTIALITY, doc, f"cl03-{i}", code)
    for i, code in enumerate(meta.event_codes, 1):
        coded(eo, DE_EVENT, doc, f"cl04-{i}", code)
    coded(eo, DE_FORMAT, doc, "cl05", meta.format_code)
    coded(eo, DE_FACILITY, doc, "cl06", meta.facility_type)
    coded(eo, DE_PRACTICE, doc, "cl07", meta.practice_setting)
    coded(eo, DE_TYPE, doc, "cl08", meta.type_code)
    external_id(eo, DE_PATIENT_ID, doc, "ei01", meta.patient_id, "XDSDocumentEntry.patientId")
    external_id(eo, DE_UNIQUE_ID, doc, "ei02", meta.unique_id, "XDSDocumentEntry.uniqueId")

    ss = _submission_set(objects, meta, intended_recipients)
    member = _rim(objects, "Association", id="as01", associationType=HAS_MEMBER, sourceObject=ss, targetObject=doc)
    slot(member, "SubmissionSetStatus", "Original")
    if meta.replaces_entry_uuid:
        _rim(objects, "Association", id="as02", associationType=RPLC, sourceObject=doc,
             targetObject=meta.replaces_entry_uuid)
    return request


def _submission_set(objects, meta: XdsMetadata, intended_recipients: tuple[str, ...] = ()) -> str:
    """The submission set (RegistryPackage) of a request, with its classification; returns its id."""
    ss = SUBMISSION_ID
    package = _rim(objects, "RegistryPackage", id=ss, objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:"
                   "RegistryObject:RegistryPackage")
    slot(package, "submissionTime", meta.submission_time)
    slot(package, "intendedRecipient", *intended_recipients)
    localized(package, "Name", meta.title)
    _author(package, SS_AUTHOR, ss, "cl10", meta)
    coded(package, SS_CONTENT_TYPE, ss, "cl11", meta.content_type)
    external_id(package, SS_UNIQUE_ID, ss, "ei03", meta.submission_unique_id, "XDSSubmissionSet.uniqueId")
    external_id(package, SS_SOURCE_ID, ss, "ei04", meta.source_id, "XDSSubmissionSet.sourceId")
    external_id(package, SS_PATIENT_ID, ss, "ei05", meta.patient_id, "XDSSubmissionSet.patientId")
    _rim(objects, "Classification", id="cl12", classifiedObject=ss, classificationNode=SUBMISSION_SET_NODE)
    return ss


def update_availability(meta: XdsMetadata, *, original: str, new: str) -> etree._Element:
    """lcm:SubmitObjectsRequest of IHE XDS Metadata Update (ITI-57) changing the availability status of the
    document entry `meta.entry_uuid`: a submission set and its UpdateAvailabilityStatus association. The DMP
    "unpublishes" (TD3.3c, logical deletion) with new = DMP_DELETED."""
    request = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM})
    objects = _rim(request, "RegistryObjectList")
    ss = _submission_set(objects, meta)
    update = _rim(objects, "Association", id="as01", associationType=UPDATE_AVAILABILITY, sourceObject=ss,
                  targetObject=meta.entry_uuid)
    slot(update, "OriginalStatus", original)
    slot(update, "NewStatus", new)
    return request


# --- reading (the XDS.b double, the tests) ---------------------------------------------------------------------

def slots(obj) -> dict[str, list[str]]:
    """The slots of a registry object, by name."""
    return {s.get("name"): [v.text or "" for v in s.iterfind(f"{{{RIM}}}ValueList/{{{RIM}}}Value")]
            for s in obj.iterfind(f"{{{RIM}}}Slot")}


def classifications(obj) -> dict[str, list[Code]]:
    """The coded classifications of a registry object, by scheme name (classCode, typeCode…)."""
    found: dict[str, list[Code]] = {}
    for c in obj.iterfind(f"{{{RIM}}}Classification"):
        name = SCHEME_NAMES.get(c.get("classificationScheme"))
        if name is None:
            continue
        scheme = slots(c).get("codingScheme", [""])[0]
        label = c.find(f"{{{RIM}}}Name/{{{RIM}}}LocalizedString")
        found.setdefault(name, []).append(Code(c.get("nodeRepresentation") or "", scheme,
                                               label.get("value") if label is not None else ""))
    return found


def author_slots(obj, scheme: str) -> dict[str, list[str]]:
    node = next((c for c in obj.iterfind(f"{{{RIM}}}Classification") if c.get("classificationScheme") == scheme),
                None)
    return slots(node) if node is not None else {}


def external_ids(obj) -> dict[str, str]:
    """The external identifiers of a registry object, by identification scheme."""
    return {e.get("identificationScheme"): e.get("value") for e in obj.iterfind(f"{{{RIM}}}ExternalIdentifier")}
