"""Patient ⇄ FHIR R4 Patient, in the FR Core style: INS identifier typed INS-NIR/INS-NIA (fr-core-cs-v2-0203),
IPPs typed PI under `urn:oid:<hospital OID>`, the official name = birth name with the list of birth given names
(fr-core-patient-birth-list-given-name), the usual name = used name, the birthplace as the standard
`patient-birthPlace` extension with the FR Core INSEE-code extension, and the identity status (RNIV PROV, RECUP,
VALI, QUAL) with its attributes (DPOT, DOUA…) in the FR Core identity-reliability extension."""

import re
from datetime import date

from oncodcc.patients.inbound import INS_OIDS, IncomingIdentity
from oncodcc.patients.models import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_DEMO,
    OID_INS_NIR_TEST,
    IdentityStatus,
    Patient,
)

from .outcomes import instant, invalid, unprocessable
from .resources import prune

FR_CORE = "https://hl7.fr/ig/fhir/core"
IDENTIFIER_TYPE_FR = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203"
IDENTIFIER_TYPE_V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
INS_TYPE = {OID_INS_NIR: "INS-NIR", OID_INS_NIA: "INS-NIA", OID_INS_NIR_TEST: "INS-NIR-TEST",
            OID_INS_NIR_DEMO: "INS-NIR-DEMO"}
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_CODE = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
INSEE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
BIRTH_LIST_GIVEN = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
STATUS_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-identity-status"
COMMENT_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"
GENDER_OUT = {"F": "female", "M": "male", "I": "other"}
GENDER_IN = {"female": "F", "male": "M", "other": "I", "unknown": "I"}
INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def oid_uri(oid: str) -> str:
    return f"urn:oid:{oid}"


def _identifiers(patient: Patient) -> list[dict]:
    identifiers = []
    if patient.ins_matricule:
        identifiers.append({
            "use": "official",
            "type": {"coding": [{"system": IDENTIFIER_TYPE_FR, "code": INS_TYPE.get(patient.ins_oid, "INS-NIR")}]},
            "system": oid_uri(patient.ins_oid), "value": patient.ins_matricule,
        })
    for identifier in patient.identifiers.all():
        assigner = ({"reference": f"Organization/{identifier.organisation_id}", "display": str(identifier.organisation)}
                    if identifier.organisation_id else None)
        identifiers.append({
            "use": "usual", "type": {"coding": [{"system": IDENTIFIER_TYPE_V2, "code": "PI"}]},
            "system": oid_uri(identifier.system), "value": identifier.value, "assigner": assigner,
        })
    return identifiers


def _names(patient: Patient) -> list[dict]:
    names = [{
        "extension": [{"url": BIRTH_LIST_GIVEN, "valueString": patient.birth_given_names}],
        "use": "official", "family": patient.birth_name, "given": [patient.first_birth_given_name],
    }]
    if patient.used_name or patient.used_given_name:
        names.append({"use": "usual", "family": patient.used_name or patient.birth_name,
                      "given": [patient.used_given_name or patient.first_birth_given_name]})
    return names


def _extensions(patient: Patient) -> list[dict]:
    extensions = []
    if patient.birthplace_insee:
        extensions.append({"url": BIRTH_PLACE, "valueAddress": {"extension": [
            {"url": INSEE_CODE, "valueCoding": {"system": INSEE_SYSTEM, "code": patient.birthplace_insee}}]}})
    reliability = [{"url": "identityStatus", "valueCoding": {
        "system": STATUS_SYSTEM, "code": patient.identity_status, "display": patient.get_identity_status_display()}}]
    reliability += [{"url": "comment", "valueCoding": {"system": COMMENT_SYSTEM, "code": flag}}
                    for flag in patient.identity_flags or [] if isinstance(flag, str) and flag]
    extensions.append({"url": RELIABILITY, "extension": reliability})
    return extensions


def patient_resource(patient: Patient) -> dict:
    """The record as FHIR. Prefetch `identifiers__organisation`."""
    resource = {
        "resourceType": "Patient", "id": str(patient.pk), "meta": {"lastUpdated": instant(patient.updated_at)},
        "extension": _extensions(patient), "identifier": _identifiers(patient),
        "active": not patient.is_merged, "name": _names(patient), "gender": GENDER_OUT.get(patient.sex, "unknown"),
        "birthDate": patient.birth_date.isoformat(),
        "deceasedDateTime": patient.deceased_date.isoformat() if patient.deceased_date else None,
    }
    if patient.is_merged:
        resource["link"] = [{"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}]
    return prune(resource)


# --- FHIR → IncomingIdentity ---

def identity_parts(data: dict, organisation) -> tuple[str, str, str]:
    """(IPP of the client's organisation, INS matricule, INS OID). Identifiers of other authorities are ignored:
    a hospital assigns only its own IPPs."""
    own = oid_uri(organisation.oid) if organisation is not None and organisation.oid else None
    ipps, ins = set(), set()
    for identifier in data.get("identifier") or []:
        system, value = identifier.get("system") or "", (identifier.get("value") or "").strip()
        if not value:
            continue
        if own and system == own:
            ipps.add(value)
        elif system.startswith("urn:oid:") and system.removeprefix("urn:oid:") in INS_OIDS:
            ins.add((value.replace(" ", ""), system.removeprefix("urn:oid:")))
        elif system.startswith("urn:oid:1.2.250.1.213.1.4."):
            raise unprocessable(f"OID d'INS non reconnu : {system}.")
    if len(ipps) > 1:
        raise unprocessable("Plusieurs IPP de votre établissement dans la même ressource.")
    if len(ins) > 1:
        raise unprocessable("Plusieurs INS différents dans la même ressource.")
    matricule, oid = next(iter(ins), ("", ""))
    return next(iter(ipps), ""), matricule, oid


def _name(data: dict, use: str) -> dict | None:
    names = data.get("name") or []
    chosen = next((n for n in names if n.get("use") == use), None)
    if chosen is None and use == "official":
        chosen = next((n for n in names if not n.get("use")), None)
    return chosen


def _birthplace(data: dict) -> str:
    for extension in data.get("extension") or []:
        if extension.get("url") != BIRTH_PLACE:
            continue
        address = extension.get("valueAddress") or {}
        for inner in address.get("extension") or []:
            if inner.get("url") == INSEE_CODE:
                code = (inner.get("valueCoding") or {}).get("code") or ""
                if not INSEE.match(code):
                    raise unprocessable(f"Code INSEE du lieu de naissance invalide : « {code} ».")
                return code
        district = (address.get("district") or "").strip()
        if INSEE.match(district):
            return district
    return ""


def _identity_status(data: dict) -> str:
    for extension in data.get("extension") or []:
        if extension.get("url") == RELIABILITY:
            for inner in extension.get("extension") or []:
                code = (inner.get("valueCoding") or {}).get("code")
                if inner.get("url") == "identityStatus" and code in IdentityStatus.values:
                    return code
    return ""


def _birth_date(data: dict) -> date | None:
    raw = data.get("birthDate")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise unprocessable("Date de naissance complète attendue (AAAA-MM-JJ).") from exc


def _deceased(data: dict) -> date | None:
    raw = data.get("deceasedDateTime")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise unprocessable("Date de décès complète attendue (AAAA-MM-JJ).") from exc


def incoming_identity(data: dict, *, organisation) -> IncomingIdentity:
    """What a hospital's Patient resource says, for `patients.inbound.resolve`."""
    ipp, matricule, oid = identity_parts(data, organisation)
    incoming = IncomingIdentity(ipp=ipp, ins_matricule=matricule, ins_oid=oid)
    official = _name(data, "official")
    if official:
        given = [g for g in official.get("given") or [] if g]
        listed = next((e.get("valueString") for e in official.get("extension") or []
                       if e.get("url") == BIRTH_LIST_GIVEN and e.get("valueString")), "")
        incoming.birth_name = official.get("family") or ""
        incoming.birth_given_names = listed or " ".join(given)
        incoming.first_birth_given_name = given[0] if given else ""
    usual = _name(data, "usual")
    if usual:
        incoming.used_name = usual.get("family") or ""
        incoming.used_given_name = next((g for g in usual.get("given") or [] if g), "")
    gender = data.get("gender") or ""
    if gender and gender not in GENDER_IN:
        raise invalid("gender : female, male, other ou unknown attendu (administrative-gender).")
    incoming.sex = GENDER_IN.get(gender, "")
    incoming.birth_date = _birth_date(data)
    incoming.birthplace_insee = _birthplace(data)
    incoming.identity_status = _identity_status(data)
    incoming.deceased_date = _deceased(data)
    return incoming
