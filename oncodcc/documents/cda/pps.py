"""The care plan as a CDA R2 document, CI-SIS volet "PPS 2022.01" (templateId 1.2.250.1.213.1.1.1.26 ext 2022.01,
LOINC 18776-5), modelled on the ANS example CANCER-PPS_2022.01_Autopresentable.xml.

Entry point: build_pps(plan) -> bytes (UTF-8, with the XML declaration). Only a validated (or superseded) PPS that
follows a fiche RCP is exported. The tumour, discovery and phase sections reuse the FRCP builder (same model as
the fiche RCP). See tests/documents/test_cda_pps.py and docs/cda.md.
"""

from __future__ import annotations

import uuid

from lxml import etree

from oncodcc.careplans.models import CarePlan, Contact
from oncodcc.terminology import valuesets as vs

from .common import (
    OID_FINESS,
    OID_FUNCTION_CORRESPONDENT,
    OID_FUNCTION_TEAM,
    OID_LOINC,
    OID_PARTICIPATION_FUNCTION,
    OID_TA_ASIP,
    T_COMMENT,
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
    concept,
    custodian,
    document_start,
    el,
    external_document,
    facility_code,
    finess_ext,
    first_finess_org,
    fr_date,
    legal_authenticator,
    participant,
    practitioner_entity,
    record_target,
    reference,
    serialise,
    structure_participant,
    templates,
    translation,
    ts,
    upper_uuid,
    yes_no,
)
from .frcp import STATUS_APPROVED, FrcpBuilder
from .frcp import document_uuid as frcp_document_uuid

TEMPLATE_PPS = "1.2.250.1.213.1.1.1.26"
TEMPLATE_EXT = "2022.01"
LOINC_PPS = "18776-5"
T_PROCEDURE = ("1.3.6.1.4.1.19376.1.5.3.1.4.19", "2.16.840.1.113883.10.20.1.25", "1.2.250.1.213.1.1.3.62")
T_CARE_PLAN_SECTION = ("2.16.840.1.113883.10.20.1.10", "1.3.6.1.4.1.19376.1.5.3.1.3.36", "1.2.250.1.213.1.1.2.158")
T_COMMENT_SECTION = ("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16", "1.2.250.1.213.1.1.2.73")
CORRESPONDENT = ("CORRE", "Correspondant", OID_FUNCTION_CORRESPONDENT)
TEAM = ("353", "Membre de l'équipe de soins", OID_FUNCTION_TEAM)
# Header role (TA_ASIP translation) of the plan's contacts that are not already header participants.
CONTACT_ROLES = {
    Contact.Role.REFERENCE_HOSPITAL: ("RESP", None, ("ORG-177", "Etablissement de santé de référence")),
    Contact.Role.NURSE: ("PRF", CORRESPONDENT,
                         ("ORG-178", "Structure et professionnels de proximité impliqués dans les soins")),
    Contact.Role.OTHER: ("PRF", CORRESPONDENT,
                         ("ORG-178", "Structure et professionnels de proximité impliqués dans les soins")),
    Contact.Role.COORDINATION: ("CON", CORRESPONDENT,
                                ("ORG-179", "Structure de coordination ou d'interface ville-hôpital")),
    Contact.Role.STRUCTURE: ("INF", CORRESPONDENT, ("ORG-181", "Structure de soutien et d'information")),
}
SOCIAL_STRUCTURES = {"ORG-107", "220", "ORG-109", "ORG-110", "609", "463", "ORG-057"}
PERSONAL_DATA_NOTICE = (
    "Les informations de ce programme personnalisé de soins sont enregistrées dans le dossier communicant de "
    "cancérologie (DCC) de votre région, sous la responsabilité du dispositif spécifique régional du cancer. Elles "
    "ne sont accessibles qu'aux professionnels qui vous prennent en charge. Vous pouvez accéder à ces informations, "
    "en demander la rectification ou vous opposer, pour un motif légitime, à leur traitement auprès du médecin "
    "référent ou du délégué à la protection des données (règlement européen 2016/679 et loi n° 78-17 du "
    "6 janvier 1978)."
)


class NotExportable(ValueError):
    """Only a validated PPS that follows a fiche RCP becomes a document."""


def document_uuid(plan: CarePlan) -> uuid.UUID:
    return uuid.uuid5(plan.set_id, f"version-{plan.version_number}")


class PpsBuilder:
    def __init__(self, plan: CarePlan):
        if plan.status not in (CarePlan.Status.VALIDATED, CarePlan.Status.SUPERSEDED) or plan.validated_at is None:
            raise NotExportable("Seul un PPS validé est exporté en CDA.")
        if plan.kind != CarePlan.Kind.PPS or plan.fiche_id is None:
            raise NotExportable("Seul un PPS qui suit une fiche RCP est exporté en CDA (volet PPS 2022.01).")
        self.plan = plan
        self.fiche = plan.fiche
        self.patient = plan.patient
        self.doc_uuid = document_uuid(plan)
        self.ids = Ids(self.doc_uuid)
        # The FRCP builder of the fiche supplies the tumour / discovery / phase sections (shared ids).
        self.frcp = FrcpBuilder(self.fiche)
        self.frcp.ids = self.ids
        self.meeting = self.frcp.meeting
        self.board = self.frcp.board
        self.ccc = self.frcp.ccc
        self.dsrc = self.frcp.dsrc
        self.hospital = self.frcp.hospital
        self.referring = plan.referring_doctor
        self.referring_org = first_finess_org(self.referring) or self.hospital
        signer = plan.validated_by
        self.signer = signer.practitioner if signer is not None and signer.practitioner_id else self.referring
        self.when = plan.validated_at
        self.treatments = list(plan.treatments.all())
        self.contacts = list(plan.contacts.select_related("practitioner", "organisation"))

    # --- header -------------------------------------------------------------------------------------------------

    def build(self) -> bytes:
        p = self.plan
        root = document_start(
            template_id=TEMPLATE_PPS, template_ext=TEMPLATE_EXT, doc_id=upper_uuid(self.doc_uuid),
            loinc=LOINC_PPS, loinc_display="Plan personnalisé de soins",
            title="PROGRAMME PERSONNALISÉ DE SOINS EN CANCÉROLOGIE", effective=self.when,
            set_id=upper_uuid(p.set_id), version=p.version_number,
        )
        record_target(root, self.patient)
        author(root, self.referring, self.referring_org, self.when, comment="Médecin référent")
        custodian(root, self.dsrc if self.dsrc is not None and (self.dsrc.finess or self.dsrc.national_id)
                  else (self.hospital or self.ccc))
        legal_authenticator(root, self.signer, first_finess_org(self.signer) or self.referring_org, self.when)
        self.participants(root)
        self.documentation_of(root)
        self.component_of(root)
        body = el(el(root, "component"), "structuredBody")
        if p.comment:
            self.s_patient_comment(body)
        self.frcp.s_tumours(body)
        self.frcp.s_discovery(body)
        self.frcp.s_phase(body)
        for section in (self.s_programme, self.s_support, self.s_document_status, self.s_references,
                        self.s_personal_data):
            section(body)
        return serialise(root)

    def participants(self, root):
        # Reference hospital and care team (ORG-177).
        if self.hospital is not None:
            structure_participant(root, "RESP", function=None,
                                  role=("ORG-177", "Etablissement de santé de référence"),
                                  comment="Établissement de santé de référence", org=self.hospital)
        node = participant(root, "PRF", function=TEAM, comment="Médecin référent",
                           practitioner=self.referring, org=self.referring_org)
        translation(node.find("{urn:hl7-org:v3}functionCode"), "ORG-177", "Etablissement de santé de référence")
        # The 3C (1..1).
        contact_3c = next((c for c in self.contacts if c.role == Contact.Role.CCC), None)
        structure_participant(root, "PRF", function=CORRESPONDENT,
                              role=("ORG-190", "Centre de coordination de cancérologie (3C)"),
                              comment="3C de la RCP", org=self.ccc,
                              phone=contact_3c.phone if contact_3c else "", email=contact_3c.email if contact_3c else "")
        # Other contacts of the plan (nurses, coordination, support structures…).
        for c in self.contacts:
            if c.role not in CONTACT_ROLES:
                continue
            type_code, function, role = CONTACT_ROLES[c.role]
            if c.role == Contact.Role.STRUCTURE and c.structure in SOCIAL_STRUCTURES:
                role = ("ORG-180", "Organisme social et de maintien dans l'emploi")
            comment = c.get_role_display() + (f" — {vs.display(vs.CARE_STRUCTURE, c.structure)}" if c.structure else "")
            if c.practitioner_id:
                node = participant(root, type_code, function=function or TEAM, comment=comment,
                                   practitioner=c.practitioner, org=first_finess_org(c.practitioner))
                translation(node.find("{urn:hl7-org:v3}functionCode"), *role)
            else:
                structure_participant(root, type_code, function=function, role=role, comment=comment,
                                      org=c.organisation, name=c.name, phone=c.phone, email=c.email,
                                      class_code="PROV" if c.organisation_id else "AGNT")
        # GP (1..1, nullFlavor when unknown).
        gp = self.patient.gp
        participant(root, "INF", function=("PCP", "Médecin traitant", OID_PARTICIPATION_FUNCTION),
                    comment="Médecin traitant" if gp else "Médecin traitant inconnu",
                    practitioner=gp, org=first_finess_org(gp), null_entity=gp is None)
        # The regional cancer network (RRC / DSRC).
        if self.dsrc is not None:
            structure_participant(root, "CON", function=CORRESPONDENT,
                                  role=("ORG-191", "Réseau régional de cancérologie (RRC)"),
                                  comment="Réseau régional de cancérologie", org=self.dsrc, class_code="AGNT")

    def documentation_of(self, root):
        se = el(el(root, "documentationOf"), "serviceEvent", classCode="ACT")
        et = el(se, "effectiveTime")
        el(et, "low", value=ts(self.plan.rcp_date or self.meeting.starts_at))
        perf = el(se, "performer", typeCode="PRF")
        practitioner_entity(perf, "assignedEntity", "assignedPerson", "representedOrganization",
                            practitioner=self.referring, org=self.referring_org)

    def component_of(self, root):
        enc = el(el(root, "componentOf"), "encompassingEncounter")
        el(enc, "effectiveTime", value=ts(self.plan.handed_over_at or self.when))
        org = self.hospital or self.ccc
        hcf = el(el(enc, "location"), "healthCareFacility")
        if org.finess:
            el(hcf, "id", root=OID_FINESS, extension=finess_ext(org.finess))
        facility_code(hcf)
        loc = el(hcf, "location")
        el(loc, "name", text=org.name)
        address(loc, org.address)

    # --- body -----------------------------------------------------------------------------------------------------

    def section(self, body, templates_, loinc, display, title, *, ta_code=None, ta_display=None) -> etree._Element:
        s = el(el(body, "component"), "section")
        templates(s, *templates_)
        self.ids.id(s)
        c = code(s, "code", loinc, OID_LOINC, display)
        if ta_code:
            translation(c, ta_code, ta_display)
        el(s, "title", text=title)
        return s

    def s_patient_comment(self, body):
        s = self.section(body, T_COMMENT_SECTION, "55112-7", "Commentaire", "COMMENTAIRE SUR LE PATIENT",
                         ta_code="GEN-293", ta_display="Commentaire sur le patient")
        n = Narrative(s)
        tb = n.table("Commentaire", colspan=1)
        Narrative.row(tb, ("pps-commentaire-patient", self.plan.comment))

    def _comment(self, parent, ref):
        act = el(el(parent, "entryRelationship", typeCode="SUBJ", inversionInd="true"), "act", classCode="ACT",
                 moodCode="EVN")
        templates(act, *T_COMMENT)
        code(act, "code", "48767-8", OID_LOINC, "Commentaire")
        reference(act, "text", ref)
        el(act, "statusCode", code="completed")

    def _simple(self, parent, code_value, display, ref, *, when_low=None, when_high=None):
        obs = el(el(parent, "entryRelationship", typeCode="COMP", inversionInd="false"), "observation",
                 classCode="OBS", moodCode="EVN")
        templates(obs, *T_SIMPLE_OBS)
        self.ids.id(obs)
        code(obs, "code", code_value, OID_TA_ASIP, display)
        reference(obs, "text", ref)
        el(obs, "statusCode", code="completed")
        if when_low or when_high:
            et = el(obs, "effectiveTime")
            _low(et, when_low)
            if when_high:
                el(et, "high", value=ts(when_high))
        else:
            el(obs, "effectiveTime", nullFlavor="NA")
        return obs

    def _procedure(self, s, code_value, display, valueset, value_code, ref, *, low=None, high=None,
                   performer=None):
        proc = el(el(s, "entry"), "procedure", classCode="PROC", moodCode="INT", negationInd="false")
        templates(proc, *T_PROCEDURE)
        self.ids.id(proc)
        c = code(proc, "code", code_value, OID_TA_ASIP, display)
        coded(el(c, "qualifier"), "value", valueset, value_code)
        reference(proc, "text", ref)
        el(proc, "statusCode", code="completed")
        if low or high:
            et = el(proc, "effectiveTime")
            _low(et, low)
            if high:
                el(et, "high", value=ts(high))
        else:
            el(proc, "effectiveTime", nullFlavor="UNK")
        if performer is not None:
            practitioner_entity(el(proc, "performer", typeCode="PRF"), "assignedEntity", "assignedPerson",
                                "representedOrganization", practitioner=performer, org=first_finess_org(performer),
                                with_contact=False)
        return proc

    def s_programme(self, body):
        p = self.plan
        s = self.section(body, T_CARE_PLAN_SECTION, LOINC_PPS, "Plan de soins", "PROGRAMME THÉRAPEUTIQUE ET DE SUIVI",
                         ta_code="MED-566", ta_display="Programme thérapeutique et de suivi")
        n = Narrative(s)
        if self.treatments:
            tb = n.table("Traitements", ["Traitement", "Dates prévisionnelles", "Rythme / lieu", "À domicile",
                                         "Mode d'administration", "Effets secondaires notables", "Commentaire"],
                         colspan=7)
            for i, t in enumerate(self.treatments, 1):
                dates = " – ".join(fr_date(d) for d in (t.start_date, t.end_date) if d) or "non renseignées"
                rhythm = " ; ".join(x for x in (t.rhythm, t.place and f"lieu : {t.place}") if x)
                Narrative.row(tb, (f"pps-trt-{i}", t.label), (f"pps-trt-{i}-dates", dates),
                              (f"pps-trt-{i}-rythme", rhythm or "-"), yes_no(t.at_home),
                              (f"pps-trt-{i}-mode", t.administration or "-"),
                              (f"pps-trt-{i}-effets", t.side_effects or "-"),
                              (f"pps-trt-{i}-commentaire", t.comment or "-"))
        else:
            tb = n.table("Traitements", colspan=1)
            Narrative.row(tb, "Aucun traitement anticancéreux programmé")
        coded_rows = [("Prévention et gestion des effets secondaires", "effets", p.side_effect_prevention,
                       vs.SIDE_EFFECT_MANAGEMENT, p.side_effect_comment),
                      ("Mesures associées", "mesure", p.associated_measures, vs.ASSOCIATED_MEASURE,
                       p.associated_measures_comment),
                      ("Suivi", "suivi", p.follow_up, vs.FOLLOW_UP_TYPE, p.follow_up_text)]
        for title, key, codes, valueset, comment in coded_rows:
            if codes:
                tb = n.table(title, colspan=1)
                for i, c in enumerate(codes, 1):
                    Narrative.row(tb, (f"pps-{key}-{i}", concept(valueset, c).display))
                if comment:
                    Narrative.row(tb, (f"pps-{key}-commentaire", comment))
        tb = n.table("Arrêt de tous les traitements actifs")
        n.row(tb, "Arrêt de tous les traitements actifs", ("pps-arret", yes_no(p.all_treatments_stopped)))
        if p.all_treatments_stopped:
            n.row(tb, "Date de l'arrêt", fr_date(p.treatments_stopped_on))

        for i, t in enumerate(self.treatments, 1):
            proc = self._procedure(s, "MED-568", "Traitement", vs.PPS_TREATMENT_TYPE, t.code, f"pps-trt-{i}",
                                   low=t.start_date, high=t.end_date)
            if t.start_date or t.end_date:
                obs = self._simple(proc, "GEN-177", "Date(s) prévisionnelle(s)", f"pps-trt-{i}-dates",
                                   when_low=t.start_date, when_high=t.end_date)
                el(obs, "value", {XSI_TYPE: "CD", "nullFlavor": "NA"})
            # Rhythm of administration and home treatment (yes/no).
            bl_value(self._simple(proc, "ORG-004", "Rythme", f"pps-trt-{i}-rythme"), t.at_home)
            if t.administration:
                obs = self._simple(proc, "ORG-006", "Mode", f"pps-trt-{i}-mode")
                reference(el(obs, "value", {XSI_TYPE: "CD"}), "originalText", f"pps-trt-{i}-mode")
            if t.side_effects:
                obs = self._simple(proc, "MED-565", "Effets secondaires", f"pps-trt-{i}-effets")
                reference(el(obs, "value", {XSI_TYPE: "CD"}), "originalText", f"pps-trt-{i}-effets")
            if t.comment:
                self._comment(proc, f"pps-trt-{i}-commentaire")
        for _title, key, codes, valueset, comment in coded_rows:
            entry_code = {"effets": ("MED-569", "Action de prévention et de gestion médicamenteuse des effets "
                                                "secondaires"),
                          "mesure": ("MED-570", "Mesure associée"), "suivi": ("MED-571", "Suivi")}[key]
            for i, c in enumerate(codes, 1):
                proc = self._procedure(s, *entry_code, valueset, c, f"pps-{key}-{i}")
                if comment:
                    self._comment(proc, f"pps-{key}-commentaire")
        obs = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN")
        templates(obs, *T_SIMPLE_OBS)
        self.ids.id(obs)
        code(obs, "code", "MED-052", OID_TA_ASIP, "Arrêt de tous les traitements actifs")
        reference(obs, "text", "pps-arret")
        el(obs, "statusCode", code="completed")
        if p.all_treatments_stopped and p.treatments_stopped_on:
            el(obs, "effectiveTime", value=ts(p.treatments_stopped_on))
        else:
            el(obs, "effectiveTime", nullFlavor="NA")
        bl_value(obs, p.all_treatments_stopped)

    def s_support(self, body):
        p = self.plan
        s = self.section(body, T_CARE_PLAN_SECTION, LOINC_PPS, "Plan de soins",
                         "SOINS ONCOLOGIQUES DE SUPPORT, ACCOMPAGNEMENT SOCIAL ET SOCIOPROFESSIONNEL",
                         ta_code="MED-567",
                         ta_display="Soins oncologiques de support, accompagnement social et socioprofessionnel")
        n = Narrative(s)
        groups = [("Soins oncologiques de support", "support", p.supportive_care, vs.SUPPORTIVE_CARE,
                   p.supportive_care_comment, ("MED-572", "Soin oncologique de support")),
                  ("Accompagnement social et socioprofessionnel", "accompagnement", p.socio_support,
                   vs.SOCIO_PRO_SUPPORT, p.socio_support_comment,
                   ("MED-573", "Accompagnement social ou socioprofessionnel"))]
        for title, key, codes, valueset, comment, _entry in groups:
            tb = n.table(title, colspan=1)
            if not codes:
                Narrative.row(tb, "Aucun besoin identifié à ce jour")
            for i, c in enumerate(codes, 1):
                Narrative.row(tb, (f"pps-{key}-{i}", concept(valueset, c).display))
            if comment:
                Narrative.row(tb, (f"pps-{key}-commentaire", comment))
        for _title, key, codes, valueset, comment, entry_code in groups:
            for i, c in enumerate(codes, 1):
                proc = self._procedure(s, *entry_code, valueset, c, f"pps-{key}-{i}")
                if comment:
                    self._comment(proc, f"pps-{key}-commentaire")

    def s_document_status(self, body):
        p = self.plan
        s = self.section(body, ("1.2.250.1.213.1.1.2.35",), "33557-0", "Etat d'achèvement", "STATUT DU DOCUMENT")
        n = Narrative(s)
        tb = n.table("Statut du document")
        status = concept(vs.DOCUMENT_STATUS, STATUS_APPROVED)
        n.row(tb, "Statut du document", ("pps-statut", f"{status.display} (PPS validé)"))
        n.row(tb, "Date du statut", fr_date(self.when))
        n.row(tb, "Version", str(p.version_number))
        if p.update_reason:
            reason = p.update_reason_label + (f" — {p.update_reason_text}" if p.update_reason_text else "")
            n.row(tb, "Motif de mise à jour", ("pps-motif", reason))
        n.row(tb, "Date de la RCP", ("pps-date-rcp", fr_date(p.rcp_date)))
        by = f" par {p.handed_over_by}" if p.handed_over_by_id else ""
        n.row(tb, "Date de remise du document au patient",
              ("pps-date-remise", f"{fr_date(p.handed_over_at)}{by}" if p.handed_over_at else "non remis à ce jour"))

        obs = self._status_obs(s, "GEN-065", "Statut du document", "pps-statut", self.when.date(),
                               extra_templates=("1.2.250.1.213.1.1.3.48.16",))
        cd_value(obs, vs.DOCUMENT_STATUS, STATUS_APPROVED)
        if p.update_reason:
            obs = self._status_obs(s, "GEN-037", "Motif de mise à jour", "pps-motif", self.when.date())
            cd_value(obs, vs.UPDATE_REASON, p.update_reason)
        obs = self._status_obs(s, "ORG-189", "Date de la RCP", "pps-date-rcp", p.rcp_date)
        self._eivl(obs, p.rcp_date)
        obs = self._status_obs(s, "GEN-178", "Date de remise du document au patient", "pps-date-remise",
                               p.handed_over_at)
        self._eivl(obs, p.handed_over_at)
        if p.handed_over_by_id:
            practitioner_entity(el(obs, "performer", typeCode="PRF"), "assignedEntity", "assignedPerson",
                                "representedOrganization", practitioner=p.handed_over_by,
                                org=first_finess_org(p.handed_over_by), with_contact=False)

    def _status_obs(self, s, code_value, display, ref, when, *, extra_templates=()):
        obs = el(el(s, "entry"), "observation", classCode="OBS", moodCode="EVN")
        templates(obs, *T_SIMPLE_OBS, *extra_templates)
        self.ids.id(obs)
        code(obs, "code", code_value, OID_TA_ASIP, display)
        reference(obs, "text", ref)
        el(obs, "statusCode", code="completed")
        if when is None:
            el(obs, "effectiveTime", nullFlavor="NAV")
        else:
            el(obs, "effectiveTime", value=ts(when))
        return obs

    @staticmethod
    def _eivl(obs, when):
        if when is None:
            el(obs, "value", {XSI_TYPE: "EIVL_TS", "nullFlavor": "NAV"})
        else:
            el(obs, "value", {XSI_TYPE: "EIVL_TS", "value": ts(when)})

    def s_references(self, body):
        p = self.plan
        s = self.section(body, ("1.2.250.1.213.1.1.2.55",), "55107-7", "Documents référencés",
                         "DOCUMENTS RÉFÉRENCÉS")
        n = Narrative(s)
        tb = n.table("Documents référencés", ["Document", "Date", "Version"], colspan=3)
        f = self.fiche
        Narrative.row(tb, ("pps-ref-frcp", f"Fiche RCP — {self.board.name}"), fr_date(self.meeting.starts_at.date()),
                      str(f.version_number))
        previous = None
        if p.version_number > 1:
            previous = (CarePlan.objects.filter(set_id=p.set_id, version_number__lt=p.version_number)
                        .exclude(validated_at=None).order_by("-version_number").first())
            if previous is not None:
                Narrative.row(tb, ("pps-ref-pps", "Programme personnalisé de soins (version précédente)"),
                              fr_date(previous.validated_at), str(previous.version_number))
        act = el(el(s, "entry"), "act", classCode="ACT", moodCode="EVN")
        templates(act, "1.3.6.1.4.1.19376.1.5.3.1.4.4", "1.2.250.1.213.1.1.3.35")
        self.ids.id(act)
        el(act, "code", nullFlavor="NA")
        reference(act, "text", "pps-ref-frcp")
        external_document(act, doc_id=upper_uuid(frcp_document_uuid(f)), set_id=upper_uuid(f.set_id),
                          version=f.version_number, ref="pps-ref-frcp")
        if previous is not None:
            external_document(act, doc_id=upper_uuid(document_uuid(previous)), set_id=upper_uuid(previous.set_id),
                              version=previous.version_number, ref="pps-ref-pps")

    def s_personal_data(self, body):
        s = self.section(body, T_COMMENT_SECTION, "55112-7", "Commentaire",
                         "INFORMATION SUR LES DONNÉES PERSONNELLES VOUS CONCERNANT",
                         ta_code="GEN-294", ta_display="Information pour le patient")
        n = Narrative(s)
        tb = n.table("Information sur les données personnelles", colspan=1)
        Narrative.row(tb, PERSONAL_DATA_NOTICE)


def _low(parent, value) -> None:
    if value:
        el(parent, "low", value=ts(value))
    else:
        el(parent, "low", nullFlavor="UNK")


def build_pps(plan: CarePlan) -> bytes:
    """The PPS as a CDA R2 PPS 2022.01 document (UTF-8 bytes with the XML declaration)."""
    return PpsBuilder(plan).build()
