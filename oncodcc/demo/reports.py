"""Received reports in the demo region: the pathology (CR-ACP) and molecular (CR-GM) reports of the patients on
the lists of the coming meetings, filed as their hospital's DPI would send them (the real inbound service, as for
an HL7 ORU), so that the record and the meeting mode show reports beside the fiche. Synthetic texts only."""

import random
import uuid
from datetime import timedelta
from xml.sax.saxutils import escape

from django.utils import timezone

from oncodcc.core.actors import SystemActor
from oncodcc.documents import received
from oncodcc.patients.models import PatientIdentifier
from oncodcc.rcp.models import Registration

from . import catalogue as cat

HORIZON_DAYS = 21
# Conclusions by board (catalogue key): (LOINC type, title, conclusion).
REPORTS = {
    "sein": [
        (received.LOINC_PATHOLOGY, "Compte rendu anatomopathologique — biopsie mammaire",
         "Carcinome infiltrant de type non spécifique, grade SBR II. RE 90 %, RP 60 %, HER2 score 1+ (négatif). "
         "Ki67 15 %."),
        (received.LOINC_PATHOLOGY, "Compte rendu anatomopathologique — tumorectomie et ganglion sentinelle",
         "Carcinome canalaire infiltrant de 18 mm, grade SBR II, marges saines (> 5 mm), pas d'emboles. Ganglion "
         "sentinelle indemne (0/2). pT1cN0(sn)."),
    ],
    "digestif": [
        (received.LOINC_PATHOLOGY, "Compte rendu anatomopathologique — colectomie",
         "Adénocarcinome lieberkühnien moyennement différencié infiltrant la sous-séreuse, 2 ganglions envahis sur "
         "16. Marges saines. pT3N1b. Statut MMR : protéines exprimées (pMMR)."),
        (received.LOINC_MOLECULAR, "Compte rendu de génétique moléculaire — côlon",
         "Mutation KRAS p.G12D (exon 2) détectée. NRAS et BRAF V600E non mutés. Tumeur MSS."),
    ],
    "thorax": [
        (received.LOINC_PATHOLOGY, "Compte rendu anatomopathologique — biopsie bronchique",
         "Adénocarcinome pulmonaire d'architecture acineuse, TTF1 positif. PD-L1 (22C3) : 60 % des cellules "
         "tumorales."),
        (received.LOINC_MOLECULAR, "Compte rendu de génétique moléculaire — poumon",
         "Délétion de l'exon 19 d'EGFR détectée. Pas de réarrangement ALK ni ROS1. KRAS non muté."),
    ],
    "urologie": [
        (received.LOINC_PATHOLOGY, "Compte rendu anatomopathologique — biopsies prostatiques",
         "Adénocarcinome prostatique acinaire sur 4 biopsies sur 12, score de Gleason 7 (3+4), ISUP 2, "
         "longueur maximale 6 mm, pas d'engainement périnerveux."),
    ],
}


def file_reports(*, region, rng: random.Random, today) -> int:
    """One or two reports per patient registered in the coming weeks to a board with a report catalogue."""
    horizon = timezone.now() + timedelta(days=HORIZON_DAYS)
    keys = {board.pk: region.specs[board.pk].key for board in region.boards}
    registrations = (Registration.objects.filter(status__in=Registration.ACTIVE_STATUSES,
                                                 meeting__starts_at__gte=timezone.now() - timedelta(hours=12),
                                                 meeting__starts_at__lte=horizon)
                     .select_related("patient", "meeting").order_by("meeting__starts_at", "position"))
    identifiers = {i.patient_id: i for i in PatientIdentifier.objects.select_related("organisation").filter(
        patient_id__in=[r.patient_id for r in registrations])}
    filed, seen = 0, set()
    for registration in registrations:
        catalogue = REPORTS.get(keys.get(registration.meeting.board_id, ""))
        identifier = identifiers.get(registration.patient_id)
        if not catalogue or identifier is None or registration.patient_id in seen:
            continue
        seen.add(registration.patient_id)
        hospital = identifier.organisation
        actor = SystemActor(label=f"HL7 {hospital}/DPI (démonstration)", role="hl7", organisation=hospital)
        chosen = catalogue if len(catalogue) == 1 else rng.sample(catalogue, k=rng.randint(1, len(catalogue)))
        for days_before, (type_code, title, conclusion) in zip((12, 5), chosen, strict=False):
            content = _cda(patient=registration.patient, ipp=identifier.value, hospital=hospital,
                           type_code=type_code, title=title, conclusion=conclusion,
                           when=today - timedelta(days=days_before), ids=(_uuid(rng), _uuid(rng)))
            received.file_cda(actor=actor, organisation=hospital, content=content, action=received.NEW,
                              channel="hl7")
            filed += 1
    return filed


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)  # deterministic for a seed, like the rest of the demo


def _cda(*, patient, ipp: str, hospital, type_code: str, title: str, conclusion: str, when, ids) -> bytes:
    """A minimal CDA R2 level-3 report (header, recordTarget, author, conclusion section)."""
    service = "Service de génétique moléculaire" if type_code == received.LOINC_MOLECULAR else (
        "Service d'anatomie et de cytologie pathologiques")
    ins = (f'<id root="{patient.ins_oid}" extension="{patient.ins_matricule}"/>' if patient.ins_matricule else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3">'
        '<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>'
        f'<id root="{cat.DEMO_OID_ARC}.99" extension="{ids[0]}"/>'
        f'<code code="{type_code}" codeSystem="2.16.840.1.113883.6.1"/><title>{escape(title)}</title>'
        f'<effectiveTime value="{when:%Y%m%d}1000+0100"/>'
        '<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>'
        f'<setId root="{cat.DEMO_OID_ARC}.98" extension="{ids[1]}"/><versionNumber value="1"/>'
        f'<recordTarget><patientRole>{ins}<id root="{hospital.oid}" extension="{escape(ipp)}"/><patient><name>'
        f'<family qualifier="BR">{escape(patient.birth_name)}</family><given>{escape(patient.birth_given_names)}'
        f'</given></name><administrativeGenderCode code="{patient.sex}" codeSystem="2.16.840.1.113883.5.1"/>'
        f'<birthTime value="{patient.birth_date:%Y%m%d}"/></patient></patientRole></recordTarget>'
        f"<author><assignedAuthor><representedOrganization><name>{escape(service)} — {escape(hospital.name)}"
        "</name></representedOrganization></assignedAuthor></author>"
        '<component><structuredBody><component><section>'
        '<code code="22637-3" codeSystem="2.16.840.1.113883.6.1"/><title>Conclusion</title>'
        f'<text>{escape(conclusion)}</text></section></component></structuredBody></component></ClinicalDocument>'
    ).encode()
