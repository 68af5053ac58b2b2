"""The CapabilityStatement served at /fhir/metadata."""

from importlib import metadata

from .params import DEFAULT_COUNT, MAX_COUNT

# The day this statement last changed (CapabilityStatement.date is mandatory).
STATEMENT_DATE = "2026-11-22"
SP = "http://hl7.org/fhir/SearchParameter/"

QUESTIONNAIRE_SEARCH = [
    ("_id", "token", "Resource-id", "Identifiant logique : <nom>-<version> (ex. sein-1-0-0)."),
    ("url", "uri", "Questionnaire-url", "URL canonique exacte ; « url|version » est accepté."),
    ("version", "token", "Questionnaire-version", "Version exacte (ex. 1.0.0)."),
    ("status", "token", "Questionnaire-status", "active, retired ou draft (modificateur :not)."),
    ("name", "string", "Questionnaire-name", "Commence par (sans casse ni accents) ; modificateurs :exact, :contains."),
    ("title", "string", "Questionnaire-title", "Commence par (sans casse ni accents) ; modificateurs :exact, :contains."),
]
RESPONSE_SEARCH = [
    ("subject", "reference", "QuestionnaireResponse-subject", "Obligatoire (ou patient) : Patient/<id>."),
    ("patient", "reference", "clinical-patient", "Synonyme de subject."),
    ("questionnaire", "reference", "QuestionnaireResponse-questionnaire",
     "URL canonique du formulaire, ou « url|version »."),
    ("status", "token", "QuestionnaireResponse-status",
     "completed (fiche validée ou remplacée) ou in-progress (brouillon) ; modificateur :not."),
    ("_id", "token", "Resource-id", "fiche-<n>."),
]


def _software_version() -> str:
    try:
        return metadata.version("oncodcc")
    except metadata.PackageNotFoundError:
        return "dev"


def _resource(resource_type: str, params: list[tuple[str, str, str, str]], documentation: str) -> dict:
    return {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "documentation": documentation,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            {"name": name, "definition": SP + definition, "type": kind, "documentation": doc}
            for name, kind, definition, doc in params
        ],
    }


def capability_statement(base: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "id": "oncodcc",
        "url": f"{base}metadata",
        "name": "OncoDCC",
        "title": "OncoDCC — serveur FHIR en lecture (formulaires d'organe et réponses)",
        "status": "active",
        "experimental": False,
        "date": STATEMENT_DATE,
        "publisher": "OncoDCC",
        "description": "Lecture des formulaires d'organe publiés (Questionnaire) et des réponses d'organe des fiches "
                       "RCP (QuestionnaireResponse).",
        "kind": "instance",
        "software": {"name": "OncoDCC", "version": _software_version()},
        "implementation": {"description": "OncoDCC", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": f"Recherche stricte : un paramètre non pris en charge est refusé (400). Pagination par "
                             f"_count (défaut {DEFAULT_COUNT}, au plus {MAX_COUNT}) et _offset.",
            "security": {
                "cors": False,
                "description": "Authentification par la session du site (connexion OncoDCC). Les réponses sont "
                               "réservées aux utilisateurs qui ont accès au dossier du patient ; chaque lecture est "
                               "tracée.",
            },
            "resource": [
                _resource("Questionnaire", QUESTIONNAIRE_SEARCH,
                          "Versions publiées (immuables) des formulaires d'organe ; tout utilisateur connecté."),
                _resource("QuestionnaireResponse", RESPONSE_SEARCH,
                          "Réponses d'organe des fiches RCP d'un patient (toutes versions, les plus récentes "
                          "d'abord). Recherche par patient obligatoire."),
            ],
        }],
    }
