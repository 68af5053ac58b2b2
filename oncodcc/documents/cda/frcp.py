"""The fiche RCP as a CDA R2 document, CI-SIS volet "FRCP 2022.01" (templateId 1.2.250.1.213.1.1.1.8 ext 2022.01).

Entry point: build_frcp(fiche) -> bytes (UTF-8, with the XML declaration). Only a validated (or superseded) fiche
is exported. The document passes the ANS validation kit (XSD, FRCP schematron, ANS profile): see
tests/documents/test_cda_frcp.py and docs/cda.md.
"""

from __future__ import annotations

import re
import uuid

from lxml import etree

from oncodcc.directory.models import Practitioner
from oncodcc.rcp.models import BoardMember, Fiche
from oncodcc.terminology import valuesets as vs

from .common import (
    NS,
    OID_ACT_CODE,
    OID_FINESS,
    OID_FUNCTION_CORRESPONDENT,
    OID_FUNCTION_TEAM,
    OID_LOINC,
    OID_NATIONAL_3C,
    OID_NATIONAL_DSRC,
    OID_NATIONAL_RCP,
    OID_PARTICIPATION_FUNCTION,
    OID_SNOMED,
    OID_TA_ASIP,
    OID_TNM,
    T_SIMPLE_OBS,
    XSI_TYPE,
    Ids,
    Narrative,
    address,
    author,
    bl_value,
    cd_value,
    code,
    coded,
    comment_act,
    concept,
    custodian,
    document_start,
    effective_time,
    el,
    facility_code,
    finess_ext,
    first_finess_org,
    fr_date,
    legal_authenticator,
    paragraphs,
    participant,
    practitioner_entity,
    record_target,
    reference,
    serialise,
    simple_observation,
    templates,
    ts,
    upper_uuid,
    yes_no,
)

TEMPLATE_FRCP = "1.2.250.1.213.1.1.1.8"
TEMPLATE_EXT = "2022.01"
LOINC_FRCP = "34794-8"
OID_SERVICE_MODE = "1.2.250.1.213.3.3.13"  # TRE_R213-ModePriseEnCharge
STATUS_APPROVED = "9571008"
OMS_INTERPRETATION = {
    "MED-240": ("LA9622-7", "Capable d'une activité identique à celle précédant la maladie sans aucune restriction."),
    "MED-264": ("LA9623-5", "Activité physique diminuée mais ambulatoire et capable de mener un travail"),
    "MED-265": ("LA9624-3", "Ambulatoire et capable de prendre soin de soi-même, incapable de travailler. "
                            "Alité moins de 50 % de son temps"),
    "MED-266": ("LA9625-0", "Capable seulement de quelques soins. Alité ou en chaise plus de 50 % du temps"),
    "MED-267": ("LA9626-8", "Incapable de prendre soins de soi-même. Alité ou en chaise en permanence"),
}
PROGRESSION_CODES = ("MED-246", "MED-247", "MED-248")


class NotExportable(ValueError):
    """The fiche is a draft: only a signed fiche becomes a document."""


def document_uuid(fiche: Fiche) -> uuid.UUID:
    """The id of one version of the document: stable, derived from the set id and the version number."""
    return uuid.uuid5(fiche.set_id, f"version-{fiche.version_number}")


def acronym(org) -> str:
    return (org.short_name or org.name) if org is not None else "-"


def national_id(org, fallback: str) -> str:
    return org.national_id if org is not None and org.national_id else fallback


class FrcpBuilder:
    def __init__(self, fiche: Fiche):
        if fiche.status not in (Fiche.Status.VALIDATED, Fiche.Status.SUPERSEDED) or fiche.validated_at is None:
            raise NotExportable("Seule une fiche RCP validée est exportée en CDA.")
        self.fiche = fiche
        self.registration = fiche.registration
        self.meeting = self.registration.meeting
        self.board = self.meeting.board
        self.ccc = self.board.managing_3c
        self.dsrc = self.ccc.parent
        self.patient = fiche.patient
        self.doc_uuid = document_uuid(fiche)
        self.ids = Ids(self.doc_uuid)
        hospitals = list(self.board.hospitals.order_by("name", "id"))
        self.hospital = self.meeting.location or next((h for h in hospitals if h.finess), None) or \
            (hospitals[0] if hospitals else None)
        signer = fiche.validated_by
        self.signer = signer.practitioner if signer is not None and signer.practitioner_id else None
        self.signer_org = self.hospital or first_finess_org(self.signer)
        coordinator = (BoardMember.objects.filter(board=self.board, is_coordinator=True)
                       .select_related("practitioner").order_by("id").first())
        self.coordinator = coordinator.practitioner if coordinator else None
        self.when = fiche.validated_at
        self.rcp_label = f"{acronym(self.dsrc)} / {acronym(self.ccc)} / {self.board.name}"
        self.tumours = list(fiche.tumours.all())

    # --- header -------------------------------------------------------------------------------------------------

    def build(self) -> bytes:
        f = self.fiche
        root = document_start(
            template_id=TEMPLATE_FRCP, template_ext=TEMPLATE_EXT, doc_id=upper_uuid(self.doc_uuid),
            loinc=LOINC_FRCP, loinc_display="CR de réunion de concertation pluridisciplinaire",
            title=f"FRCP {self.rcp_label}", effective=self.when, set_id=upper_uuid(f.set_id),
            version=f.version_number,
        )
        record_target(root, self.patient)
        self.author(root)
        custodian(root, self.dsrc if self.dsrc is not None and (self.dsrc.finess or self.dsrc.national_id)
                  else (self.hospital or self.ccc))
        self.legal_authenticator(root)
        self.participants(root)
        order = el(el(root, "inFulfillmentOf"), "order")
        el(order, "id", root=upper_uuid(self.registration.number))
        el(el(order, "code", nullFlavor="NA"), "originalText",
           text=f"Inscription à la séance du {fr_date(self.meeting.starts_at)}")
        self.documentation_of(root)
        self.component_of(root)
        body = el(el(root, "component"), "structuredBody")
        for section in (self.s_reason, self.s_discovery, self.s_tumours, self.s_functional_status, self.s_phase,
                        self.s_history, self.s_file_status, self.s_care_plan, self.s_framework, self.s_comments,
                        self.s_document_status):
            section(body)
        return serialise(root)

    def author(self, root):
        practitioner = self.signer or self.coordinator or self.registration.presenting_doctor
        author(root, practitioner, self.signer_org, self.when, comment="Signataire de la fiche RCP")

    def legal_authenticator(self, root):
        practitioner = self.signer or self.coordinator or self.registration.presenting_doctor
        legal_authenticator(root, practitioner, self.signer_org, self.when)

    def participants(self, root):
        reg = self.registration
        coordinator = self.coordinator or self.signer
        if coordinator is not None:
            participant(root, "RESP", function=None, comment="Médecin coordonnateur de la RCP",
                        practitioner=coordinator, org=first_finess_org(coordinator))
        participant(root, "REFB", function=None, comment="Médecin demandeur",
                    practitioner=reg.requesting_doctor, org=first_finess_org(reg.requesting_doctor))
        participant(root, "PRF", function=None, comment="Médecin présentateur",
                    practitioner=reg.presenting_doctor, org=first_finess_org(reg.presenting_doctor))
        gp = self.patient.gp
        participant(root, "INF", function=("PCP", "Médecin traitant", OID_PARTICIPATION_FUNCTION),
                    comment="Médecin traitant" if gp else "Médecin traitant inconnu",
                    practitioner=gp, org=first_finess_org(gp), null_entity=gp is None)
        rpps_list = [p.get("rpps") for p in self.fiche.participants if p.get("rpps")]
        known = {p.rpps: p for p in Practitioner.objects.filter(rpps__in=rpps_list)}
        for p in self.fiche.participants:
            in_quorum = bool(p.get("is_doctor")) and bool(p.get("specialty"))
            function = (("353", "Membre de l'équipe de soins", OID_FUNCTION_TEAM) if in_quorum
                        else ("CORRE", "Correspondant", OID_FUNCTION_CORRESPONDENT))
            practitioner = known.get(p.get("rpps") or "")
            participant(root, "PRF", function=function,
                        comment="Participant du quorum" if in_quorum else "Participant hors quorum",
                        practitioner=practitioner, name=p.get("name", ""), rpps=p.get("rpps", ""),
                        specialty=p.get("specialty", ""),
                        org=first_finess_org(practitioner) if practitioner else None)

    def documentation_of(self, root):
        se = el(el(root, "documentationOf"), "serviceEvent", classCode="ACT")
        c = el(se, "code", code="39", displayName="Réunion de Concertation Pluridisciplinaire (RCP)",
               codeSystem=OID_SERVICE_MODE, codeSystemName="TRE_R213-ModePriseEnCharge")
        el(c, "originalText", text=self.rcp_label)
        et = el(se, "effectiveTime")
        el(et, "low", value=ts(self.meeting.starts_at))
        performer = self.coordinator or self.signer
        if performer is not None:
            perf = el(se, "performer", typeCode="PRF")
            practitioner_entity(perf, "assignedEntity", "assignedPerson", "representedOrganization",
                                practitioner=performer, org=first_finess_org(performer) or self.signer_org)
        if self.tumours:
            tumour = self.tumours[0]
            se2 = el(el(root, "documentationOf"), "serviceEvent", classCode="ACT")
            coded(se2, "code", vs.TOPOGRAPHY, tumour.topography)

    def component_of(self, root):
        enc = el(el(root, "componentOf"), "encompassingEncounter")
        el(enc, "id", root=OID_NATIONAL_DSRC, extension=national_id(self.dsrc, f"DSRC-{self.dsrc.pk if self.dsrc else 0}"))
        el(enc, "id", root=OID_NATIONAL_3C, extension=national_id(self.ccc, f"3C-{self.ccc.pk}"))
        el(enc, "id", root=OID_NATIONAL_RCP, extension=self.board.national_id or f"RCP-{self.board.pk}")
        el(enc, "code", code="VR", displayName="Virtuelle (RCP en l'absence du patient)", codeSystem=OID_ACT_CODE)
        et = el(enc, "effectiveTime")
        el(et, "low", value=ts(self.meeting.starts_at))
        org = self.hospital or self.ccc
        hcf = el(el(enc, "location"), "healthCareFacility")
        if org.finess:
            el(hcf, "id", root=OID_FINESS, extension=finess_ext(org.finess))
        facility_code(hcf)
        loc = el(hcf, "location")
        el(loc, "name", text=org.name)
        address(loc, org.address or self.meeting.place or self.board.place)

    # --- body -----------------------------------------------------------------------------------------------------

    def section(self, body, templates_: tuple[str, ...], loinc: str, display: str, title: str) -> etree._Element:
        section = el(el(body, "component"), "section")
        templates(section, *templates_)
        self.ids.id(section)
        code(section, "code", loinc, OID_LOINC, display)
        el(section, "title", text=title)
        return section

    def s_reason(self, body):
        f = self.fiche
        s = self.section(body, ("1.3.6.1.4.1.19376.1.5.3.1.3.1", "1.3.6.1.4.1.19376.1.5.3.1.3.2",
                                "1.2.250.1.213.1.1.2.128"), "42349-1", "Raison de la recommandation",
                         "TYPE DE RCP / MOTIF DE LA RCP")
        n = Narrative(s)
        nature = f.nature or self.board.nature
        cross = nature == vs.NATURE_CROSS_CUTTING
        tb = n.table("Type de RCP")
        n.row(tb, "Nature de la discussion", ("nature-discussion", concept(vs.NATURE_DISCUSSION, nature).display))
        if cross:
            for i, c in enumerate(f.care_types or self.board.care_types or [""], 1):
                n.row(tb, "Traitement / Soins",
                      (f"traitement-soins-{i}", concept(vs.CROSS_CUTTING_CARE, c).display if c else "non renseigné"))
        else:
            organ_system = f.organ_system or self.board.organ_system
            organs = f.organs or self.board.organs
            n.row(tb, "Appareil",
                  ("appareil", concept(vs.ORGAN_SYSTEM, organ_system).display if organ_system else "non renseigné"))
            for i, c in enumerate(organs, 1):
                n.row(tb, "Organe", (f"organe-{i}", concept(vs.ORGAN, c).display))
        n.row(tb, "RCP de recours", ("rcp-recours", yes_no(f.is_recourse)))
        n.row(tb, "RCP pédiatrique", ("rcp-pediatrique", yes_no(f.is_paediatric)))
        n.row(tb, "RCP", ("commentaire-type-rcp", self.rcp_label))
        tb = n.table("Motif de la RCP")
        n.row(tb, "Avis diagnostique", ("motif-diagnostic", yes_no(f.motive_diagnostic)))
        n.row(tb, "Proposition thérapeutique (dont surveillance, ajustement du traitement)",
              ("motif-traitement", yes_no(f.motive_treatment)))
        n.row(tb, "Recours", ("motif-recours", yes_no(f.motive_recourse)))
        n.row(tb, "Pédiatrique", ("motif-pediatrie", yes_no(f.motive_paediatric)))
        n.row(tb, "Statut du cas présenté", ("statut-cas-presente", concept(vs.CASE_STATUS, f.case_status).display))
        n.row(tb, "Question posée à la RCP", ("raison", f.question))

        obs = simple_observation(el(s, "entry"), self.ids, "GEN-098", "Nature de la discussion", "nature-discussion")
        cd_value(obs, vs.NATURE_DISCUSSION, nature)
        if cross:
            # One "Traitement / Soins" observation per care type; the first carries recourse/paediatric flags.
            kinds = []
            for i, c in enumerate(f.care_types or self.board.care_types or [""], 1):
                kinds.append(simple_observation(el(obs, "entryRelationship", typeCode="SUBJ"), self.ids, "ORG-138",
                                                "Traitement / Soins", f"traitement-soins-{i}"))
                _cd_or_unknown(kinds[-1], vs.CROSS_CUTTING_CARE, c)
            kind = kinds[0]
        else:
            kind = simple_observation(el(obs, "entryRelationship", typeCode="SUBJ"), self.ids, "ORG-118",
                                      "Appareil concerné", "appareil")
            _cd_or_unknown(kind, vs.ORGAN_SYSTEM, f.organ_system or self.board.organ_system)
            for i, c in enumerate(f.organs or self.board.organs, 1):
                organ = simple_observation(el(kind, "entryRelationship", typeCode="REFR"), self.ids, "ORG-119",
                                           "Organe", f"organe-{i}")
                cd_value(organ, vs.ORGAN, c)
        day = self.meeting.starts_at
        bl_value(simple_observation(el(kind, "entryRelationship", typeCode="REFR"), self.ids, "ORG-184",
                                    "RCP de recours", "rcp-recours"), f.is_recourse)
        bl_value(simple_observation(el(kind, "entryRelationship", typeCode="REFR"), self.ids, "ORG-185",
                                    "RCP pédiatrique", "rcp-pediatrique"), f.is_paediatric)
        comment_act(el(kind, "entryRelationship", typeCode="SUBJ"), None, "commentaire-type-rcp")

        motive = simple_observation(el(obs, "entryRelationship", typeCode="SUBJ"), self.ids, "ORG-186",
                                    "Motif de la RCP", "raison")
        el(motive, "value", {XSI_TYPE: "CD", "nullFlavor": "NA"})
        for code_value, display, ref, value in (
            ("MED-235", "Avis diagnostique", "motif-diagnostic", f.motive_diagnostic),
            ("ORG-114", "Proposition de traitement (dont ajustement et surveillance)", "motif-traitement",
             f.motive_treatment),
            ("ORG-115", "Recours", "motif-recours", f.motive_recourse),
            ("ORG-116", "Pédiatrie", "motif-pediatrie", f.motive_paediatric),
        ):
            bl_value(simple_observation(el(motive, "entryRelationship", typeCode="REFR"), self.ids, code_value,
                                        display, ref, when=day, when_low=True), value)
        status = simple_observation(el(motive, "entryRelationship", typeCode="REFR"), self.ids, "ORG-127",
                                    "Statut du cas présenté", "statut-cas-presente", null_time="NA")
        cd_value(status, vs.CASE_STATUS, f.case_status)

        problem = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN", negationInd="false")
        templates(problem, "2.16.840.1.113883.10.20.1.28", "1.3.6.1.4.1.19376.1.5.3.1.4.5",
                  "1.2.250.1.213.1.1.3.37")
        self.ids.id(problem)
        code(problem, "code", "55607006", OID_SNOMED, "problème")
        reference(problem, "text", "raison")
        el(problem, "statusCode", code="completed")
        effective_time(problem, day, low=True)
        value = el(problem, "value", {XSI_TYPE: "CD", "nullFlavor": "NA"})
        reference(value, "originalText", "raison")

    def s_discovery(self, body):
        f = self.fiche
        s = self.section(body, ("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
                                "1.2.250.1.213.1.1.2.163"), "42545-4", "Evènements observés",
                         "MODE DE DÉCOUVERTE DU CANCER")
        n = Narrative(s)
        tb = n.table("Mode de découverte du cancer")
        n.row(tb, "Patient issu du dépistage", ("depistage", yes_no(f.screening)))
        if f.screening_date:
            n.row(tb, "Date du dépistage", fr_date(f.screening_date))
        obs = simple_observation(el(s, "entry"), self.ids, "63921-1", "Dépistage du cancer", "depistage",
                                 system=OID_LOINC, when=f.screening_date, when_low=True, null_time="UNK")
        bl_value(obs, f.screening)

    def s_tumours(self, body):
        s = self.section(body, ("2.16.840.1.113883.10.20.1.11", "1.3.6.1.4.1.19376.1.5.3.1.3.6",
                                "1.3.6.1.4.1.19376.1.7.3.1.3.14.1", "1.2.250.1.213.1.1.2.27"), "72135-7",
                         "Diagnostic du cancer", "TUMEUR")
        n = Narrative(s)
        for i, t in enumerate(self.tumours, 1):
            tb = n.table(f"Tumeur {i}", colspan=3)
            tb.getparent().find(f"{{{NS}}}thead/{{{NS}}}tr/{{{NS}}}th").set("ID", f"tumeur-{i}")
            n.row(tb, "Date du diagnostic initial", fr_date(t.diagnosis_date), "")
            n.row(tb, "Topographie", f"{t.topography} [CIM-10]", (f"topographie-{i}", t.topography_label))
            if t.laterality:
                n.row(tb, "Latéralité", t.laterality, (f"lateralite-{i}", t.laterality_label))
            n.row(tb, "Morphologie", f"{t.morphology} [CIM-O-3]", (f"morphologie-{i}", t.morphology_label))
            # The volet requires the TNM entries for every tumour: a haemopathy has none ("non applicable").
            n.row(tb, "Classification", (f"tnm-{i}", (t.tnm_edition or "TNM") if t.tnm else "TNM non applicable"), "")
            for part, value in (("T", t.tnm_t), ("N", t.tnm_n), ("M", t.tnm_m)):
                shown = value or ("non renseigné" if t.tnm else "non applicable")
                n.row(tb, f"TNM ({part})", (f"tnm-{part.lower()}-{i}", shown), "")
            if t.other_stage:
                n.row(tb, "Autre stade", (f"autre-stade-{i}", t.other_stage), "")
            if t.comment:
                n.row(tb, "Commentaire sur la tumeur", (f"commentaire-tumeur-{i}", t.comment), "")
        if not self.tumours:
            tb = n.table("Tumeur")
            n.row(tb, "Tumeur", "non renseignée")
        for i, t in enumerate(self.tumours, 1):
            act = el(el(s, "entry"), "act", classCode="ACT", moodCode="EVN")
            templates(act, "2.16.840.1.113883.10.20.1.27", "1.3.6.1.4.1.19376.1.5.3.1.4.5.1",
                      "1.3.6.1.4.1.19376.1.5.3.1.4.5.2", "1.2.250.1.213.1.1.3.39", "1.2.250.1.213.1.1.3.39.1")
            self.ids.id(act)
            el(act, "code", nullFlavor="NA")
            el(act, "statusCode", code="active")
            self.low_or_unk(act, t.diagnosis_date)
            obs = el(el(act, "entryRelationship", typeCode="SUBJ", inversionInd="false"), "observation",
                     classCode="OBS", moodCode="EVN", negationInd="false")
            templates(obs, "2.16.840.1.113883.10.20.1.28", "1.3.6.1.4.1.19376.1.5.3.1.4.5",
                      "1.2.250.1.213.1.1.3.37", "1.3.6.1.4.1.19376.1.7.3.1.4.14.1", "1.2.250.1.213.1.1.3.113")
            self.ids.id(obs)
            code(obs, "code", "282291009", OID_SNOMED, "interprétation diagnostique")
            reference(obs, "text", f"tumeur-{i}")
            el(obs, "statusCode", code="completed")
            self.low_or_unk(obs, t.diagnosis_date)
            value = coded(obs, "value", vs.MORPHOLOGY, t.morphology,
                          **{XSI_TYPE: "CD"})
            reference(value, "originalText", f"morphologie-{i}")
            site = coded(obs, "targetSiteCode", vs.TOPOGRAPHY, t.topography)
            reference(site, "originalText", f"topographie-{i}")
            if t.laterality:
                q = el(site, "qualifier")
                code(q, "name", "20228-3", OID_LOINC, "Latéralité")
                lat = coded(q, "value", vs.LATERALITY, t.laterality)
                reference(lat, "originalText", f"lateralite-{i}")
            self.tnm(obs, t, i)
            if t.other_stage:
                other = simple_observation(el(obs, "entryRelationship", typeCode="SUBJ", inversionInd="false"),
                                           self.ids, "21918-8", "Autre classification du stade", f"autre-stade-{i}",
                                           system=OID_LOINC, null_time="NA")
                reference(el(other, "value", {XSI_TYPE: "CD"}),
                          "originalText", f"autre-stade-{i}")
            if t.comment:
                comment_act(el(obs, "entryRelationship", typeCode="SUBJ", inversionInd="true"), None,
                            f"commentaire-tumeur-{i}")

    def tnm(self, obs, t, i):
        edition = t.tnm_edition or "TNM UICC"
        digits = re.search(r"\d+", edition)
        version = digits.group(0) if digits else None
        stage = el(el(obs, "entryRelationship", typeCode="SUBJ", inversionInd="false"), "observation",
                   classCode="OBS", moodCode="EVN", negationInd="false")
        templates(stage, "1.3.6.1.4.1.19376.1.7.3.1.4.14.2")
        code(stage, "code", "75620-5", OID_LOINC, "Stade TNM Clinique")
        reference(stage, "text", f"tnm-{i}")
        el(stage, "statusCode", code="completed")
        self.low_or_unk(stage, t.diagnosis_date)
        if not t.tnm:
            # No TNM for this tumour (haemopathies, some paediatric tumours): the entries the volet requires, with
            # the null flavor "not applicable".
            el(stage, "value", {XSI_TYPE: "CD", "nullFlavor": "NA"})
            for part, loinc, display in (("t", "21905-5", "TNM Clinique T"), ("n", "21906-3", "TNM Clinique N"),
                                         ("m", "21907-1", "TNM Clinique M")):
                o = simple_observation(el(stage, "entryRelationship", typeCode="COMP"), self.ids, loinc, display,
                                       f"tnm-{part}-{i}", system=OID_LOINC, null_time="NA")
                el(o, "value", {XSI_TYPE: "CD", "nullFlavor": "NA"})
            return
        value = el(stage, "value", {XSI_TYPE: "CD"})
        q = el(value, "qualifier")
        code(q, "name", "21917-0", OID_LOINC, "Version TNM Classification")
        if version:
            el(q, "value", {XSI_TYPE: "CD", "code": version,
                            "displayName": edition, "codeSystem": OID_TNM, "codeSystemName": "TNM_UICC"})
        else:
            reference(el(q, "value", {XSI_TYPE: "CD"}), "originalText",
                      f"tnm-{i}")
        for part, value_, loinc, display in (("t", t.tnm_t, "21905-5", "TNM Clinique T"),
                                             ("n", t.tnm_n, "21906-3", "TNM Clinique N"),
                                             ("m", t.tnm_m, "21907-1", "TNM Clinique M")):
            o = simple_observation(el(stage, "entryRelationship", typeCode="COMP"), self.ids, loinc, display,
                                   f"tnm-{part}-{i}", system=OID_LOINC, null_time="NA")
            if not value_:  # a part not given: unknown
                el(o, "value", {XSI_TYPE: "CD", "nullFlavor": "UNK"})
                continue
            el(o, "value", {XSI_TYPE: "CD", "code": value_,
                            "displayName": value_, "codeSystem": OID_TNM, "codeSystemName": "TNM_UICC",
                            "codeSystemVersion": version})

    @staticmethod
    def low_or_unk(parent, value):
        et = el(parent, "effectiveTime")
        if value is None:
            el(et, "low", nullFlavor="UNK")
        else:
            el(et, "low", value=ts(value))

    def s_functional_status(self, body):
        f = self.fiche
        if not f.who_performance:
            return
        s = self.section(body, ("2.16.840.1.113883.10.20.1.5", "1.3.6.1.4.1.19376.1.5.3.1.3.17",
                                "1.3.6.1.4.1.19376.1.5.3.1.1.12.2.1", "1.2.250.1.213.1.1.2.111"), "47420-5",
                         "Évaluation du statut fonctionnel", "ÉVALUATION DU STATUT FONCTIONNEL")
        n = Narrative(s)
        tb = n.table("État général")
        n.row(tb, "Échelle de performance OMS", ("performance-oms", concept(vs.WHO_PERFORMANCE, f.who_performance).display))
        # Pain sub-section [1..1]: no information in a fiche RCP (as in the ANS example).
        pain = el(el(s, "component"), "section")
        templates(pain, "1.3.6.1.4.1.19376.1.5.3.1.1.12.2.2", "1.2.250.1.213.1.1.2.112")
        self.ids.id(pain)
        code(pain, "code", "38208-5", OID_LOINC, "Sévérité de la douleur")
        el(pain, "title", text="Évaluation de la douleur")
        el(el(pain, "text"), "content", ID="severite-douleur", text="Douleur non évaluée dans la fiche RCP")
        pobs = el(el(pain, "entry"), "observation", classCode="OBS", moodCode="EVN")
        templates(pobs, "1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.3.6.1.4.1.19376.1.5.3.1.1.12.3.1",
                  "1.2.250.1.213.1.1.3.89")
        self.ids.id(pobs)
        code(pobs, "code", "38208-5", OID_LOINC, "Sévérité de la douleur")
        reference(pobs, "text", "severite-douleur")
        el(pobs, "statusCode", code="completed")
        el(pobs, "effectiveTime", nullFlavor="UNK")
        el(pobs, "value", {XSI_TYPE: "CO", "nullFlavor": "UNK"})
        phys = el(el(s, "component"), "section")
        templates(phys, "1.3.6.1.4.1.19376.1.5.3.1.1.12.2.5", "1.2.250.1.213.1.1.2.115")
        self.ids.id(phys)
        code(phys, "code", "46006-3", OID_LOINC, "Problèmes physiques fonctionnels et structurels")
        el(phys, "title", text="Échelle de performance OMS")
        pn = Narrative(phys)
        ptb = pn.table("Échelle de performance OMS", colspan=3)
        interp = OMS_INTERPRETATION.get(f.who_performance)
        pn.row(ptb, fr_date(self.meeting.starts_at.date()),
               ("performance-oms-detail", concept(vs.WHO_PERFORMANCE, f.who_performance).display),
               interp[1] if interp else "")
        obs = el(el(phys, "entry"), "observation", classCode="OBS", moodCode="EVN", negationInd="false")
        templates(obs, "1.3.6.1.4.1.19376.1.5.3.1.4.13", "2.16.840.1.113883.10.20.1.31",
                  "1.3.6.1.4.1.19376.1.5.3.1.1.12.3.6", "1.2.250.1.213.1.1.3.25")
        self.ids.id(obs)
        code(obs, "code", "MED-239", OID_TA_ASIP, "Echelle de performance OMS")
        reference(obs, "text", "performance-oms-detail")
        el(obs, "statusCode", code="completed")
        el(obs, "effectiveTime", value=ts(self.meeting.starts_at.date()))
        cd_value(obs, vs.WHO_PERFORMANCE, f.who_performance)
        if interp:
            code(obs, "interpretationCode", interp[0], OID_LOINC, interp[1])

    def s_phase(self, body):
        f = self.fiche
        s = self.section(body, ("1.3.6.1.4.1.19376.1.5.3.1.1.13.2.7", "1.2.250.1.213.1.1.2.25"), "18733-6",
                         "Note de progression", "PHASE CLINIQUE DE LA MALADIE")
        n = Narrative(s)
        tb = n.table("Phase et progression du cancer", colspan=3)
        n.row(tb, "Phase", ("phase", concept(vs.PHASE, f.phase).display if f.phase else "non renseignée"), "")
        n.row(tb, "Progression", ("progression", yes_no(f.progression)), "")
        labels = {"MED-246": "Locale", "MED-247": "Régionale", "MED-248": "À distance"}
        if f.progression:
            for c in PROGRESSION_CODES:
                n.row(tb, "Progression", (f"progression-{c}", labels[c]), yes_no(f.progression_type == c))
        day = self.meeting.starts_at.date()
        phase = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN", negationInd="false")
        templates(phase, *T_SIMPLE_OBS)
        self.ids.id(phase)
        code(phase, "code", "MED-243", OID_TA_ASIP, "Phase du cancer")
        reference(phase, "text", "phase")
        el(phase, "statusCode", code="completed")
        el(phase, "effectiveTime", value=ts(day))
        if f.phase:
            cd_value(phase, vs.PHASE, f.phase)
        else:
            el(phase, "value", {XSI_TYPE: "CD", "nullFlavor": "UNK"})
        prog = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN", negationInd="false")
        templates(prog, *T_SIMPLE_OBS)
        self.ids.id(prog)
        code(prog, "code", "MED-245", OID_TA_ASIP, "Progression du cancer")
        reference(prog, "text", "progression")
        el(prog, "statusCode", code="completed")
        el(prog, "effectiveTime", value=ts(day))
        bl_value(prog, f.progression)
        if f.progression:
            for c in PROGRESSION_CODES:
                o = simple_observation(el(prog, "entryRelationship", typeCode="COMP"), self.ids, c,
                                       concept(vs.PROGRESSION, c).display, f"progression-{c}")
                bl_value(o, f.progression_type == c)

    def s_history(self, body):
        f = self.fiche
        s = self.section(body, ("1.3.6.1.4.1.19376.1.5.3.1.3.4", "1.2.250.1.213.1.1.2.130"), "10164-2",
                         "Histoire de la maladie",
                         "SYNTHÈSE DU CAS PRÉSENTÉ ET QUESTION POSÉE À LA RCP")
        n = Narrative(s)
        tb = n.table("Synthèse du cas présenté", colspan=1)
        _para_row(tb, f.case_summary or self.registration.case_summary)
        tb = n.table("Question posée à la RCP", colspan=1)
        _para_row(tb, f.question or self.registration.question)

    def s_file_status(self, body):
        f = self.fiche
        s = self.section(body, ("1.2.250.1.213.1.1.2.33",), "21874-3", "Statut du dossier présenté en RCP",
                         "PROPOSITION DE LA RCP")
        n = Narrative(s)
        tb = n.table("Statut du dossier présenté à la RCP")
        quorum = f.quorum_status or "GEN-010"
        n.row(tb, "Dossier complet", ("dossier-complet", yes_no(f.complete_file)))
        n.row(tb, "Quorum", ("quorum", concept(vs.QUORUM_STATUS, quorum).display))
        org = el(el(s, "entry"), "organizer", classCode="CLUSTER", moodCode="EVN")
        templates(org, "1.2.250.1.213.1.1.3.7")
        code(org, "code", "GEN-099", OID_TA_ASIP, "Information RCP")
        el(org, "statusCode", code="completed")
        o = simple_observation(el(org, "component"), self.ids, "GEN-100", "Dossier complet", "dossier-complet",
                               null_time="NA")
        bl_value(o, f.complete_file)
        o = simple_observation(el(org, "component"), self.ids, "ORG-125", "Quorum RCP", "quorum", null_time="NA")
        cd_value(o, vs.QUORUM_STATUS, quorum)

    def s_care_plan(self, body):
        f = self.fiche
        s = self.section(body, ("2.16.840.1.113883.10.20.1.10", "1.3.6.1.4.1.19376.1.5.3.1.3.36",
                                "1.2.250.1.213.1.1.2.158"), "18776-5", "Plan de soins", "PLAN DE SOINS")
        n = Narrative(s)
        tests = list(f.further_tests.all())
        treatments = list(f.treatments.all())
        first = [t for t in treatments if not t.is_alternative]
        alternatives = [t for t in treatments if t.is_alternative]
        if f.recourse_referral:
            tb = n.table("Passage en RCP de recours", colspan=1)
            Narrative.row(tb, ("demande-rcp-recours", f.recourse_referral_detail or "Oui"))
        if tests:
            tb = n.table("Examens / expertises complémentaires", ["Type", "Date au plus tôt souhaitée",
                                                                  "Date au plus tard"], colspan=3)
            for i, t in enumerate(tests, 1):
                Narrative.row(tb, (f"examen-{i}", t.description),
                              fr_date(t.earliest) if t.earliest else "-", fr_date(t.latest) if t.latest else "-")
        if f.surveillance_only:
            tb = n.table("Surveillance", colspan=1)
            Narrative.row(tb, ("surveillance", "Surveillance seule"))
        rows = [(1, i, t) for i, t in enumerate(first, 1)] + [(2, i, t) for i, t in enumerate(alternatives, 1)]
        if rows:
            tb = n.table("Proposition(s) thérapeutique(s)", ["Intention", "Numéro séquentiel", "Type de traitement",
                                                             "Précision"], colspan=4)
            for intention, i, t in rows:
                Narrative.row(tb, "1 (Première intention)" if intention == 1 else "2 (Alternative)", str(i),
                              (f"traitement-{intention}-{i}", t.label), (f"precision-{intention}-{i}", t.detail))
        if f.proposal_comment:
            tb = n.table("Commentaires / précisions sur la proposition de la RCP", colspan=1)
            _para_row(tb, f.proposal_comment, "commentaire-proposition")
        if not (f.recourse_referral or tests or f.surveillance_only or rows or f.proposal_comment):
            tb = n.table("Proposition de la RCP", colspan=1)
            Narrative.row(tb, "Aucune proposition enregistrée")
        if f.recourse_referral:
            self.encounter(s, "ORG-120", "Passage en RCP recours", "demande-rcp-recours")
        for i, t in enumerate(tests, 1):
            obs = el(el(s, "entry"), "observation", classCode="OBS", moodCode="PRP")
            templates(obs, "2.16.840.1.113883.10.20.1.25", "1.3.6.1.4.1.19376.1.5.3.1.1.20.3.1",
                      "1.2.250.1.213.1.1.3.27")
            self.ids.id(obs)
            code(obs, "code", "ORG-064", OID_TA_ASIP, "Demande d'examen ou de suivi")
            reference(obs, "text", f"examen-{i}")
            el(obs, "statusCode", code="active")
            self.interval(obs, t.earliest, t.latest)
        if f.surveillance_only:
            self.encounter(s, "MED-226", "Surveillance seule", "surveillance")
        for intention, i, t in rows:
            proc = el(el(s, "entry"), "procedure", classCode="PROC", moodCode="INT", negationInd="false")
            templates(proc, "2.16.840.1.113883.10.20.1.25", "1.3.6.1.4.1.19376.1.5.3.1.4.19",
                      "1.2.250.1.213.1.1.3.62")
            self.ids.id(proc)
            c = coded(proc, "code", vs.TREATMENT_TYPE, t.code)
            reference(c, "originalText", f"traitement-{intention}-{i}")
            reference(proc, "text", f"precision-{intention}-{i}")
            el(proc, "statusCode", code="active")
            self.interval(proc, None, None)
            el(el(proc, "priorityCode"), "originalText", text=str(i if intention == 1 else len(first) + i))
        if f.proposal_comment:
            comment_act(el(s, "entry"), None, "commentaire-proposition", when=self.meeting.starts_at.date())

    def encounter(self, s, code_value, display, ref):
        enc = el(el(s, "entry"), "encounter", classCode="ENC", moodCode="ARQ")
        templates(enc, "2.16.840.1.113883.10.20.1.25", "1.3.6.1.4.1.19376.1.5.3.1.4.14", "1.2.250.1.213.1.1.3.58")
        self.ids.id(enc)
        code(enc, "code", code_value, OID_TA_ASIP, display)
        reference(enc, "text", ref)
        el(enc, "priorityCode", code="CS", displayName="recontacter pour fixer RDV", codeSystem="2.16.840.1.113883.5.7",
           codeSystemName="ActPriority")

    @staticmethod
    def interval(parent, low, high):
        et = el(parent, "effectiveTime")
        if low is None:
            el(et, "low", nullFlavor="UNK")
        else:
            el(et, "low", value=ts(low))
        if high is not None:
            el(et, "high", value=ts(high))

    def s_framework(self, body):
        f = self.fiche
        s = self.section(body, ("1.2.250.1.213.1.1.2.175",), "35510-7", "Essais cliniques - Informations générales",
                         "CADRE DE LA PROPOSITION THÉRAPEUTIQUE")
        n = Narrative(s)
        tb = n.table("Cadre de la proposition thérapeutique")
        guideline = " ".join(p for p in (f.guideline_name, f.guideline_version and f"version {f.guideline_version}")
                             if p)
        if guideline:
            n.row(tb, "Recommandation / référentiel de pratique clinique", ("referentiel", guideline))
            n.row(tb, "Date du référentiel", fr_date(f.guideline_date) if f.guideline_date else "non renseignée")
        n.row(tb, "Proposition d'inclusion dans un essai clinique", ("essai-clinique", yes_no(f.trial_proposed)))
        trial_text = _trial_text(f)
        if trial_text:
            n.row(tb, "Essai clinique proposé", ("essai-clinique-detail", trial_text))
        if guideline:
            obs = simple_observation(el(s, "entry"), self.ids, "MED-249",
                                     "Recommandation/référentiel de pratique clinique", "referentiel",
                                     when=f.guideline_date, null_time="UNK")
            reference(el(obs, "value", {XSI_TYPE: "CD"}), "originalText",
                      "referentiel")
        if f.trial_proposed is not None:
            obs = simple_observation(el(s, "entry"), self.ids, "MED-250",
                                     "Proposition d'inclusion dans un essai clinique", "essai-clinique",
                                     null_time="NA")
            bl_value(obs, f.trial_proposed)
        if trial_text:
            comment_act(el(s, "entry"), None, "essai-clinique-detail")

    def s_comments(self, body):
        f = self.fiche
        answers = _organ_answers(f)
        if not f.comments and not answers:
            return
        s = self.section(body, ("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16",
                                "1.2.250.1.213.1.1.2.73"), "55112-7", "Commentaire",
                         "COMMENTAIRES / PRÉCISIONS SUR LE PATIENT")
        n = Narrative(s)
        if f.comments:
            tb = n.table("Commentaires / précisions sur le patient", colspan=1)
            _para_row(tb, f.comments)
        for title, rows in answers:
            tb = n.table(title)
            for label, value in rows:
                n.row(tb, label, value)

    def s_document_status(self, body):
        f = self.fiche
        s = self.section(body, ("1.2.250.1.213.1.1.2.35",), "33557-0", "Etat d'achèvement", "STATUT DU DOCUMENT")
        n = Narrative(s)
        tb = n.table("Statut du document")
        status = concept(vs.DOCUMENT_STATUS, STATUS_APPROVED)
        n.row(tb, "Statut du document", ("statut-document", f"{status.display} (fiche validée)"))
        n.row(tb, "Date du statut du document", fr_date(self.when))
        signer = f.signer_name or (str(self.signer) if self.signer else "")
        n.row(tb, "Signée par", signer)
        n.row(tb, "Version", str(f.version_number))
        if f.correction_reason:
            n.row(tb, "Commentaire sur la fiche RCP", ("commentaire-fiche", f"Correction : {f.correction_reason}"))
        obs = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN")
        templates(obs, *T_SIMPLE_OBS, "1.2.250.1.213.1.1.3.48.16")
        self.ids.id(obs)
        code(obs, "code", "GEN-065", OID_TA_ASIP, "Statut du document")
        reference(obs, "text", "statut-document")
        el(obs, "statusCode", code="completed")
        el(obs, "effectiveTime", value=ts(self.when))
        cd_value(obs, vs.DOCUMENT_STATUS, STATUS_APPROVED)
        if f.correction_reason:
            comment_act(el(obs, "entryRelationship", typeCode="SUBJ"), self.ids, "commentaire-fiche")


def _cd_or_unknown(parent, valueset: str, code_value: str) -> None:
    if code_value:
        cd_value(parent, valueset, code_value)
    else:
        el(parent, "value", {XSI_TYPE: "CD", "nullFlavor": "UNK"})


def _para_row(tbody, text: str, content_id: str | None = None) -> None:
    td = el(el(tbody, "tr"), "td")
    target = el(td, "content", ID=content_id) if content_id else td
    paragraphs(target, text or "-")


def _trial_text(fiche) -> str:
    """The proposed trial as the receiver reads it: the detail typed in the fiche, and the registry's identifiers
    of the trial chosen (EU CT number, NCT) so that the receiving hospital finds the same trial."""
    if not fiche.trial_proposed:
        return ""
    trial = fiche.proposed_trial
    if trial is None:
        return fiche.trial_detail
    ids = [(label, value) for label, value in (
        ("EU CT", trial.eu_ct_number), ("NCT", trial.nct_id), ("identifiant national", trial.national_id)) if value]
    detail = fiche.trial_detail or (f"{trial.acronym} — {trial.title}" if trial.acronym else trial.title)
    if all(value in detail for _label, value in ids):
        return detail
    return f"{detail} [{'; '.join(f'{label} {value}' for label, value in ids)}]"


def _organ_answers(fiche) -> list[tuple[str, list[tuple[str, str]]]]:
    """The organ form's answers as [(table title, [(item, answer)])], for the free-text comment section."""
    from oncodcc.questionnaires import engine
    from oncodcc.questionnaires.services import answers_of

    questionnaire, answers = answers_of(fiche)
    if questionnaire is None or not answers:
        return []
    title = f"Formulaire d'organe : {questionnaire.title} (version {questionnaire.version})"
    return [(f"{title} — {section.title}" if section.title else title, section.rows)
            for section in engine.display_sections(questionnaire.form, answers) if section.rows]


def build_frcp(fiche: Fiche) -> bytes:
    """The fiche RCP as a CDA R2 FRCP 2022.01 document (UTF-8 bytes with the XML declaration)."""
    return FrcpBuilder(fiche).build()
