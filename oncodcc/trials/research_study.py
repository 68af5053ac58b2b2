"""A trial as a FHIR R4 ResearchStudy, and back (the import of a Bundle). One mapping for both directions so that
an exported trial re-imports unchanged (docs/trials.md, "FHIR ResearchStudy").

- identifiers: EU CT number, NCT id, national id, each with its system (below);
- status: open → active, suspended → temporarily-closed-to-accrual, closed → closed-to-accrual (on import every
  other status is *closed*: the trial stops matching);
- condition: the organs (JDV_RCP_Organe) and CIM-10 topography prefixes — what `condition=` searches;
- site: the opening hospitals as logical references (FINESS identifier), with the local investigator and contact
  as extensions;
- the structured criteria the pre-screening checks travel in one extension, `urn:oncodcc:extension:trial-criteria`.
"""

from oncodcc.directory.models import OID_FINESS
from oncodcc.terminology import valuesets as vs

from .models import Trial

SYSTEM_EU_CT = "https://euclinicaltrials.eu"
SYSTEM_NCT = "https://clinicaltrials.gov"
SYSTEM_NATIONAL = "urn:oncodcc:trial-national-id"
SYSTEM_FINESS = f"urn:oid:{OID_FINESS}"
SYSTEM_CIM10 = "http://hl7.org/fhir/sid/icd-10"
SYSTEM_PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
EXT_CRITERIA = "urn:oncodcc:extension:trial-criteria"
EXT_ACRONYM = "urn:oncodcc:extension:trial-acronym"
EXT_INVESTIGATOR = "urn:oncodcc:extension:trial-site-investigator"
EXT_CONTACT = "urn:oncodcc:extension:trial-site-contact"

IDENTIFIERS = (("eu_ct_number", SYSTEM_EU_CT), ("nct_id", SYSTEM_NCT), ("national_id", SYSTEM_NATIONAL))
STATUS = {Trial.Status.OPEN: "active", Trial.Status.SUSPENDED: "temporarily-closed-to-accrual",
          Trial.Status.CLOSED: "closed-to-accrual"}
STATUS_IN = {"active": Trial.Status.OPEN, "temporarily-closed-to-accrual": Trial.Status.SUSPENDED,
             "temporarily-closed-to-accrual-and-intervention": Trial.Status.SUSPENDED}
PHASE = {"I": "phase-1", "I/II": "phase-1-phase-2", "II": "phase-2", "II/III": "phase-2-phase-3",
         "III": "phase-3", "IV": "phase-4", "NA": "n-a"}
PHASE_IN = {code: phase for phase, code in PHASE.items()}
# Criteria lists and bounds: (model field, extension url, value type).
LISTS = (("topographies", "topography"), ("morphologies", "morphology"), ("stages", "stage"), ("lines", "line"),
         ("biomarkers", "biomarker"))
BOUNDS = (("min_age", "minAge"), ("max_age", "maxAge"), ("max_performance_status", "maxPerformanceStatus"))


def _organ_coding(code: str) -> dict:
    concept = vs.get(vs.ORGAN).by_code.get(code)
    system = f"urn:oid:{concept.system}" if concept else f"urn:oid:{vs.get(vs.ORGAN).oid}"
    return {"system": system, "code": code, **({"display": concept.display} if concept else {})}


def research_study(trial: Trial) -> dict:
    criteria = [{"url": "organ", "valueCoding": _organ_coding(code)} for code in trial.organs]
    for name, url in LISTS:
        criteria += [{"url": url, "valueString": value} for value in getattr(trial, name)]
    for name, url in BOUNDS:
        if getattr(trial, name) is not None:
            criteria.append({"url": url, "valueInteger": getattr(trial, name)})
    if trial.other_criteria:
        criteria.append({"url": "otherCriteria", "valueString": trial.other_criteria})
    extensions = [{"url": EXT_ACRONYM, "valueString": trial.acronym}] if trial.acronym else []
    if criteria:
        extensions.append({"url": EXT_CRITERIA, "extension": criteria})
    conditions = [{"coding": [_organ_coding(code)]} for code in trial.organs]
    conditions += [{"coding": [{"system": SYSTEM_CIM10, "code": prefix}]} for prefix in trial.topographies]
    resource = {
        "resourceType": "ResearchStudy",
        "id": str(trial.pk),
        "meta": {"lastUpdated": trial.updated_at.isoformat()} if trial.updated_at else None,
        "extension": extensions or None,
        "identifier": [{"use": "usual" if value == trial.identifier else "secondary", "system": system,
                        "value": value} for name, system in IDENTIFIERS if (value := getattr(trial, name))],
        "title": trial.title,
        "status": STATUS[trial.status],
        "phase": {"coding": [{"system": SYSTEM_PHASE, "code": PHASE[trial.phase]}]},
        "condition": conditions or None,
        "sponsor": {"display": trial.sponsor} if trial.sponsor else None,
        "site": [_site(site) for site in trial.sites.all()] or None,
    }
    return {key: value for key, value in resource.items() if value is not None}


def _site(site) -> dict:
    organisation = site.organisation
    reference: dict = {"reference": f"Organization/{organisation.pk}", "display": organisation.name}
    if organisation.finess:
        reference["identifier"] = {"system": SYSTEM_FINESS, "value": organisation.finess}
    extensions = [{"url": url, "valueString": value}
                  for url, value in ((EXT_INVESTIGATOR, site.investigator), (EXT_CONTACT, site.contact)) if value]
    return {"extension": extensions, **reference} if extensions else reference


def _ext(element: dict, url: str) -> list[dict]:
    return [e for e in element.get("extension") or [] if e.get("url") == url]


def record_fields(resource: dict) -> tuple[dict, list[tuple[str, str, str]]]:
    """The model fields of a ResearchStudy and its sites as (FINESS, investigator, contact). Raises ValueError with
    the element at fault."""
    if resource.get("resourceType") != "ResearchStudy":
        raise ValueError(f"resourceType : « {resource.get('resourceType')} » au lieu de ResearchStudy.")
    fields: dict = {name: "" for name, _system in IDENTIFIERS}
    by_system = {system: name for name, system in IDENTIFIERS}
    for identifier in resource.get("identifier") or []:
        name = by_system.get(identifier.get("system"))
        if name:
            fields[name] = str(identifier.get("value") or "").strip()
    fields["title"] = resource.get("title") or ""
    fields["status"] = STATUS_IN.get(resource.get("status"), Trial.Status.CLOSED)
    phase_codes = [c.get("code") for c in (resource.get("phase") or {}).get("coding") or []
                   if c.get("system") == SYSTEM_PHASE]
    fields["phase"] = PHASE_IN.get(phase_codes[0], "NA") if phase_codes else "NA"
    fields["sponsor"] = (resource.get("sponsor") or {}).get("display", "")
    acronym = _ext(resource, EXT_ACRONYM)
    fields["acronym"] = acronym[0].get("valueString", "") if acronym else ""
    criteria = (_ext(resource, EXT_CRITERIA) or [{}])[0].get("extension") or []
    fields["organs"] = [c["valueCoding"]["code"] for c in criteria if c.get("url") == "organ"]
    for name, url in LISTS:
        fields[name] = [c.get("valueString", "") for c in criteria if c.get("url") == url]
    for name, url in BOUNDS:
        values = [c.get("valueInteger") for c in criteria if c.get("url") == url]
        fields[name] = values[0] if values else None
    fields["other_criteria"] = next((c.get("valueString", "") for c in criteria if c.get("url") == "otherCriteria"),
                                    "")
    sites = []
    for site in resource.get("site") or []:
        identifier = site.get("identifier") or {}
        if identifier.get("system") != SYSTEM_FINESS or not identifier.get("value"):
            raise ValueError(f"site « {site.get('display', '')} » : identifiant FINESS ({SYSTEM_FINESS}) attendu.")
        investigator = (_ext(site, EXT_INVESTIGATOR) or [{}])[0].get("valueString", "")
        contact = (_ext(site, EXT_CONTACT) or [{}])[0].get("valueString", "")
        sites.append((identifier["value"], investigator, contact))
    return fields, sites
