"""What this FHIR server serves, in one table: resource types, their interactions and search parameters. The
CapabilityStatement (/fhir/metadata), the OpenAPI document (/fhir/openapi.json) and the strict search-parameter
check all read it, so they cannot drift apart."""

from dataclasses import dataclass

SP = "http://hl7.org/fhir/SearchParameter/"
STRING_MODIFIERS = frozenset({"", "exact", "contains"})
PLAIN = frozenset({""})
NOT = frozenset({"", "not"})
PATIENT_REFERENCE = frozenset({"", "Patient"})
READ, SEARCH, CREATE, UPDATE, DELETE = "read", "search-type", "create", "update", "delete"
# SMART permission letter of each interaction.
LETTER = {READ: "r", SEARCH: "s", CREATE: "c", UPDATE: "u", DELETE: "d"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type: token, string, date, reference, uri
    definition: str  # SearchParameter id in the FHIR specification
    documentation: str
    modifiers: frozenset[str] = PLAIN


@dataclass(frozen=True)
class ResourceSpec:
    type: str
    interactions: tuple[str, ...]
    params: tuple[Param, ...]
    documentation: str
    patient_data: bool = True

    @property
    def supported(self) -> dict[str, set[str]]:
        """For params.parse_search: name → accepted modifiers."""
        return {p.name: set(p.modifiers) for p in self.params}


def _id(doc: str) -> Param:
    return Param("_id", "token", "Resource-id", doc)


def _patient(resource: str) -> tuple[Param, Param]:
    return (Param("patient", "reference", "clinical-patient", "Patient/<id> (ou <id>).", PATIENT_REFERENCE),
            Param("subject", "reference", f"{resource}-subject", "Synonyme de patient : Patient/<id>.",
                  PATIENT_REFERENCE))


DATE_DOC = ("Préfixes eq (défaut), ne, lt, le, gt, ge ; précision année, mois, jour ou instant (heure de Paris "
            "sans fuseau).")

RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec("Patient", (READ, SEARCH, CREATE, UPDATE), (
        _id("Identifiant du dossier dans OncoDCC."),
        Param("identifier", "token", "Patient-identifier",
              "system|valeur : INS (urn:oid:1.2.250.1.213.1.4.8, .9 ; .10/.11 en démonstration) ou IPP "
              "(urn:oid:<OID de l'établissement>) ; une valeur seule cherche dans tous les identifiants."),
        Param("family", "string", "individual-family",
              "Nom de naissance ou nom utilisé : commence par (sans casse ni accents) ; :exact, :contains.",
              STRING_MODIFIERS),
        Param("given", "string", "individual-given",
              "Un prénom de naissance ou le prénom utilisé : commence par ; :exact, :contains.", STRING_MODIFIERS),
        Param("name", "string", "Patient-name", "Un nom ou un prénom : commence par ; :exact, :contains.",
              STRING_MODIFIERS),
        Param("birthdate", "date", "individual-birthdate", DATE_DOC),
        Param("gender", "token", "individual-gender", "female, male, other, unknown."),
    ), "Identité du patient (INS et traits, IPP, statut de l'identité). Création (POST) et mise à jour (PUT) "
       "par les clients d'un établissement (scope system/Patient.write ou .cu) : mêmes règles de rapprochement "
       "que PAM.fr (IPP de l'établissement, puis INS ; jamais sur les seuls traits). POST est une création "
       "conditionnelle : 201 si le patient est créé, 200 avec le dossier existant s'il est reconnu par l'IPP ou "
       "l'INS (identité inchangée : utiliser PUT pour la mettre à jour)."),
    ResourceSpec("Practitioner", (READ, SEARCH), (
        _id("Identifiant dans l'annuaire OncoDCC."),
        Param("identifier", "token", "Practitioner-identifier", "RPPS : urn:oid:1.2.250.1.71.4.2.1|<RPPS>."),
        Param("family", "string", "individual-family", "Nom : commence par ; :exact, :contains.", STRING_MODIFIERS),
        Param("given", "string", "individual-given", "Prénom : commence par ; :exact, :contains.",
              STRING_MODIFIERS),
        Param("name", "string", "Practitioner-name", "Nom ou prénom : commence par ; :exact, :contains.",
              STRING_MODIFIERS),
    ), "Professionnels de santé de l'annuaire régional (RPPS, spécialité G15_10/SMxx).", patient_data=False),
    ResourceSpec("Organization", (READ, SEARCH), (
        _id("Identifiant dans l'annuaire OncoDCC."),
        Param("identifier", "token", "Organization-identifier",
              "FINESS : urn:oid:1.2.250.1.71.4.2.2|<FINESS> ; OID : urn:ietf:rfc:3986|urn:oid:<OID>."),
        Param("name", "string", "Organization-name", "Nom ou sigle : commence par ; :exact, :contains.",
              STRING_MODIFIERS),
        Param("type", "token", "Organization-type", "DSRC, 3C, EJ, EG, CAB (urn:oncodcc:organisation-kind)."),
    ), "Organisations de l'annuaire : DSRC, 3C, établissements (entité juridique, site), cabinets.",
        patient_data=False),
    ResourceSpec("DocumentReference", (READ, SEARCH, CREATE, DELETE), (
        _id("Identifiant du document (une version)."),
        *_patient("DocumentReference"),
        Param("type", "token", "clinical-type", "Type LOINC (JDV_J07) : http://loinc.org|60568-3 ou 60568-3."),
        Param("category", "token", "DocumentReference-category",
              "frcp, pps, ppac (produits par OncoDCC) ou received (reçus) — urn:oncodcc:document-kind."),
        Param("date", "date", "DocumentReference-date", "Date d'enregistrement dans OncoDCC. " + DATE_DOC),
        Param("status", "token", "DocumentReference-status", "current, superseded, entered-in-error ; :not.", NOT),
    ), "Documents du dossier : reçus des établissements et laboratoires (CDA R2 niveau 1 ou 3, PDF) et produits "
       "par OncoDCC (fiche RCP, PPS, PPAC ; lecture seule). Création (POST) = dépôt d'un document : CDA "
       "(application/hl7-v3+xml) ou PDF en base64 dans content.attachment.data, ou attachment.url = Binary/<id> "
       "déposé auparavant ; relatesTo replaces = nouvelle version. DELETE par l'établissement émetteur = "
       "suppression de toutes les versions (status entered-in-error)."),
    ResourceSpec("Binary", (READ, CREATE), (),
                 "Contenu d'un rendu (CDA, PDF) : JSON (data en base64) ou, si l'en-tête Accept demande exactement "
                 "son type (application/pdf, application/xml), le fichier brut. Lecture tracée (consultation de "
                 "document). POST : dépôt préalable d'un contenu à référencer depuis un DocumentReference."),
    ResourceSpec("DiagnosticReport", (READ, SEARCH), (
        _id("Identifiant du compte rendu (celui du document reçu)."),
        *_patient("DiagnosticReport"),
        Param("category", "token", "DiagnosticReport-category",
              "PAT, GE, LAB, RAD (http://terminology.hl7.org/CodeSystem/v2-0074)."),
        Param("code", "token", "clinical-code",
              "Type LOINC : 60568-3 (ACP), 51969-4 (génétique moléculaire), 11502-2 (biologie), 18748-4 (imagerie)."),
        Param("date", "date", "clinical-date", "Date de l'examen (effective). " + DATE_DOC),
        Param("status", "token", "DiagnosticReport-status", "final, amended (version remplacée), "
                                                            "entered-in-error ; :not.", NOT),
    ), "Comptes rendus reçus (anatomopathologie, génétique moléculaire, biologie, imagerie) avec leur conclusion et "
       "le document joint (presentedForm → Binary)."),
    ResourceSpec("Questionnaire", (READ, SEARCH), (
        _id("Identifiant logique : <nom>-<version> (ex. sein-1-0-0)."),
        Param("url", "uri", "Questionnaire-url", "URL canonique exacte ; « url|version » est accepté."),
        Param("version", "token", "Questionnaire-version", "Version exacte (ex. 1.0.0)."),
        Param("status", "token", "Questionnaire-status", "active, retired ou draft (modificateur :not).", NOT),
        Param("name", "string", "Questionnaire-name",
              "Commence par (sans casse ni accents) ; modificateurs :exact, :contains.", STRING_MODIFIERS),
        Param("title", "string", "Questionnaire-title",
              "Commence par (sans casse ni accents) ; modificateurs :exact, :contains.", STRING_MODIFIERS),
    ), "Versions publiées (immuables) des formulaires d'organe.", patient_data=False),
    ResourceSpec("ResearchStudy", (READ, SEARCH), (
        _id("Identifiant de l'essai dans le registre régional."),
        Param("status", "token", "ResearchStudy-status",
              "active (ouvert), temporarily-closed-to-accrual (suspendu), closed-to-accrual (clos) ; :not.", NOT),
        Param("condition", "token", "clinical-condition",
              "Organe (JDV_RCP_Organe, ex. 76752008) ou préfixe CIM-10 de l'essai (ex. C50) ; system|code accepté."),
        Param("site", "reference", "ResearchStudy-site",
              "Établissement ouvert : Organization/<id> (ou <id>).", frozenset({"", "Organization"})),
    ), "Registre régional des essais cliniques (critères de pré-sélection en extension).", patient_data=False),
    ResourceSpec("QuestionnaireResponse", (READ, SEARCH), (
        Param("subject", "reference", "QuestionnaireResponse-subject", "Obligatoire (ou patient) : Patient/<id>.",
              PATIENT_REFERENCE),
        Param("patient", "reference", "clinical-patient", "Synonyme de subject.", PATIENT_REFERENCE),
        Param("questionnaire", "reference", "QuestionnaireResponse-questionnaire",
              "URL canonique du formulaire, ou « url|version »."),
        Param("status", "token", "QuestionnaireResponse-status",
              "completed (fiche validée ou remplacée) ou in-progress (brouillon) ; modificateur :not.", NOT),
        _id("fiche-<n>."),
    ), "Réponses d'organe des fiches RCP d'un patient (toutes versions, les plus récentes d'abord). Recherche par "
       "patient obligatoire."),
)

BY_TYPE = {spec.type: spec for spec in RESOURCES}
