"""Our records as FHIR R4 resources: logical ids, Questionnaire (a published form version) and
QuestionnaireResponse (the organ answers of a fiche)."""

import copy
import re

from oncodcc.questionnaires.models import FicheAnswers, Questionnaire
from oncodcc.rcp.models import Fiche

from .outcomes import instant

URL_PREFIX = "urn:oncodcc:questionnaire:"
# `<slug>-<major>-<minor>-<patch>`: versions always have three numbers (definition.VERSION), so the split is unique.
QUESTIONNAIRE_ID = re.compile(r"^(?P<slug>[a-z0-9-]+)-(?P<major>\d+)-(?P<minor>\d+)-(?P<patch>\d+)$")
RESPONSE_ID = re.compile(r"^fiche-(?P<pk>[1-9][0-9]{0,17})$")
# FHIR QuestionnaireResponse.status of a fiche's answers, by fiche status.
RESPONSE_STATUS = {
    Fiche.Status.DRAFT: "in-progress",
    Fiche.Status.VALIDATED: "completed",
    Fiche.Status.SUPERSEDED: "completed",
}


def questionnaire_id(questionnaire: Questionnaire) -> str:
    slug = questionnaire.url.rsplit(":", 1)[-1]
    return f"{slug}-{questionnaire.version.replace('.', '-')}"


def parse_questionnaire_id(logical_id: str) -> tuple[str, str] | None:
    """`sein-1-0-0` → ("urn:oncodcc:questionnaire:sein", "1.0.0"), or None."""
    match = QUESTIONNAIRE_ID.match(logical_id or "")
    if match is None:
        return None
    return URL_PREFIX + match["slug"], f"{match['major']}.{match['minor']}.{match['patch']}"


def parse_response_id(logical_id: str) -> int | None:
    match = RESPONSE_ID.match(logical_id or "")
    return int(match["pk"]) if match else None


def questionnaire_resource(questionnaire: Questionnaire) -> dict:
    """The published definition with its logical id, last update and current status (a version may be retired
    after publication; its content never changes)."""
    resource = copy.deepcopy(questionnaire.definition)
    resource["id"] = questionnaire_id(questionnaire)
    resource["meta"] = {**(resource.get("meta") or {}), "lastUpdated": instant(questionnaire.published_at)}
    resource["status"] = questionnaire.status
    return _ordered(resource)


def response_resource(record: FicheAnswers) -> dict:
    """The stored QuestionnaireResponse of a fiche, with what the record says about it authoritative: subject,
    pinned questionnaire version, status from the fiche's status."""
    fiche = record.fiche
    resource = copy.deepcopy(record.response) if isinstance(record.response, dict) else {}
    resource["resourceType"] = "QuestionnaireResponse"
    resource["id"] = f"fiche-{fiche.pk}"
    updated = max(d for d in (record.updated_at, fiche.updated_at, fiche.validated_at) if d is not None)
    resource["meta"] = {**(resource.get("meta") or {}), "lastUpdated": instant(updated)}
    resource["questionnaire"] = record.questionnaire.canonical
    resource["status"] = RESPONSE_STATUS.get(fiche.status, "in-progress")
    resource["subject"] = {"reference": f"Patient/{fiche.patient_id}"}
    if not resource.get("authored"):
        resource["authored"] = instant(fiche.created_at)
    if not resource.get("identifier"):
        resource["identifier"] = {"system": "urn:oncodcc:fiche", "value": f"{fiche.set_id}-v{fiche.version_number}"}
    return _ordered(prune(resource))


def prune(value):
    """FHIR JSON has no null, empty string, empty array or empty object: drop them (recursively)."""
    if isinstance(value, dict):
        cleaned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        cleaned = [prune(v) for v in value]
        return [v for v in cleaned if v not in (None, "", [], {})]
    return value


def _ordered(resource: dict) -> dict:
    """resourceType, id and meta first, as FHIR servers customarily write them."""
    head = {key: resource[key] for key in ("resourceType", "id", "meta") if key in resource}
    return {**head, **{k: v for k, v in resource.items() if k not in head}}
