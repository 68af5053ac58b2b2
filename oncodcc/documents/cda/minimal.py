"""A document without a national volet as a CDA R2 level 1, CI-SIS "Structuration minimale des documents de santé"
(templateId 1.2.250.1.213.1.1.1.1): the full CI-SIS header and a nonXMLBody carrying the PDF/A (B64).

Used for the PPAC: no national PPAC volet exists (DOMAIN.md §5), yet hospitals' records, MSSanté mailboxes and the
DMP take CDA R2 only, and the "Structuration minimale" volet is the CI-SIS answer for unstructured documents. Its
type code is the LOINC 18776-5 "Plan personnalisé de soins" of JDV_J07-XdsTypeCode-CISIS (the care-plan code the
PPS has; the JDV has no after-cancer code), the title telling the PPAC apart.

Entry point: build_care_plan_pdf(plan, pdf) -> bytes. The PDF is the stored PDF/A rendering of the same version, so
the CDA carries exactly the document the PDF download gives.
"""

from __future__ import annotations

import base64
import uuid

from oncodcc.careplans.models import CarePlan
from oncodcc.directory.models import Organisation

from .common import (
    OID_FINESS,
    address,
    author,
    custodian,
    document_start,
    el,
    facility_code,
    finess_ext,
    first_finess_org,
    legal_authenticator,
    participant,
    practitioner_entity,
    record_target,
    serialise,
    ts,
    upper_uuid,
)

TEMPLATE_MINIMAL = "1.2.250.1.213.1.1.1.1"
LOINC_CARE_PLAN = "18776-5"
OID_PARTICIPATION_FUNCTION = "2.16.840.1.113883.5.88"
TITLES = {CarePlan.Kind.PPAC: "Programme personnalisé de l'après-cancer"}


class NotExportable(ValueError):
    """Only a validated plan of a kind without a structured volet goes out as a level-1 CDA."""


def document_uuid(plan: CarePlan) -> uuid.UUID:
    return uuid.uuid5(plan.set_id, f"version-{plan.version_number}")


def _region_dsrc():
    return Organisation.objects.filter(kind=Organisation.Kind.DSRC).order_by("pk").first()


def build_care_plan_pdf(plan: CarePlan, pdf: bytes) -> bytes:
    if plan.kind not in TITLES:
        raise NotExportable("Seul le PPAC est exporté en CDA de structuration minimale (le PPS a son volet).")
    if plan.status not in (CarePlan.Status.VALIDATED, CarePlan.Status.SUPERSEDED) or plan.validated_at is None:
        raise NotExportable("Seul un PPAC validé est exporté en CDA.")
    if not pdf.startswith(b"%PDF"):
        raise NotExportable("Le PDF du PPAC n'est pas un PDF.")
    title = TITLES[plan.kind]
    when = plan.validated_at
    referring = plan.referring_doctor
    signer = plan.validated_by.practitioner if plan.validated_by and plan.validated_by.practitioner_id else referring
    referring_org = first_finess_org(referring)
    signer_org = first_finess_org(signer) or referring_org
    dsrc = _region_dsrc()
    keeper = dsrc if dsrc is not None and (dsrc.finess or dsrc.national_id) else (referring_org or dsrc)
    if referring is None or keeper is None:
        raise NotExportable("Le PPAC n'a pas de médecin référent ou la région pas de structure responsable.")

    root = document_start(template_id="", template_ext="", doc_id=upper_uuid(document_uuid(plan)),
                          loinc=LOINC_CARE_PLAN, loinc_display="Plan personnalisé de soins", title=title,
                          effective=when, set_id=upper_uuid(plan.set_id), version=plan.version_number)
    record_target(root, plan.patient)
    author(root, referring, referring_org, when, comment="Médecin référent")
    custodian(root, keeper)
    legal_authenticator(root, signer, signer_org, when)
    gp = plan.patient.gp
    participant(root, "INF", function=("PCP", "Médecin traitant", OID_PARTICIPATION_FUNCTION),
                comment="Médecin traitant" if gp else "Médecin traitant inconnu", practitioner=gp,
                org=first_finess_org(gp), null_entity=gp is None)
    service = el(el(root, "documentationOf"), "serviceEvent", classCode="ACT")
    el(el(service, "effectiveTime"), "low", value=ts(plan.treatments_stopped_on or when))
    performer = el(service, "performer", typeCode="PRF")
    practitioner_entity(performer, "assignedEntity", "assignedPerson", "representedOrganization",
                        practitioner=referring, org=referring_org)
    encounter = el(el(root, "componentOf"), "encompassingEncounter")
    el(encounter, "effectiveTime", value=ts(plan.handed_over_at or when))
    place = referring_org or keeper
    facility = el(el(encounter, "location"), "healthCareFacility")
    if place.finess:
        el(facility, "id", root=OID_FINESS, extension=finess_ext(place.finess))
    facility_code(facility)
    location = el(facility, "location")
    el(location, "name", text=place.name)
    address(location, place.address)
    body = el(el(root, "component"), "nonXMLBody")
    el(body, "text", mediaType="application/pdf", representation="B64", text=base64.b64encode(pdf).decode("ascii"))
    return serialise(root)
