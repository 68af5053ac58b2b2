"""The CapabilityStatement served at /fhir/metadata, from the resource table (registry)."""

from importlib import metadata

from .params import DEFAULT_COUNT, MAX_COUNT
from .registry import RESOURCES, SEARCH, SP, ResourceSpec

# The day this statement last changed (CapabilityStatement.date is mandatory).
STATEMENT_DATE = "2026-11-22"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def _software_version() -> str:
    try:
        return metadata.version("oncodcc")
    except metadata.PackageNotFoundError:
        return "dev"


def _resource(spec: ResourceSpec) -> dict:
    resource = {
        "type": spec.type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{spec.type}",
        "documentation": spec.documentation,
        "interaction": [{"code": code} for code in spec.interactions],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
    }
    if SEARCH in spec.interactions:
        resource["searchParam"] = [
            {"name": p.name, "definition": SP + p.definition, "type": p.type, "documentation": p.documentation}
            for p in spec.params
        ]
    return resource


def capability_statement(base: str, token_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "id": "oncodcc",
        "url": f"{base}metadata",
        "name": "OncoDCC",
        "title": "OncoDCC — serveur FHIR R4 du dossier communicant de cancérologie",
        "status": "active",
        "experimental": False,
        "date": STATEMENT_DATE,
        "publisher": "OncoDCC",
        "description": "Identités des patients, annuaire, documents reçus et produits (DocumentReference, Binary), "
                       "comptes rendus (DiagnosticReport), formulaires d'organe et réponses.",
        "kind": "instance",
        "software": {"name": "OncoDCC", "version": _software_version()},
        "implementation": {"description": "OncoDCC", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": f"JSON seulement. Recherche stricte : un paramètre non pris en charge est refusé (400). "
                             f"Pagination par _count (défaut {DEFAULT_COUNT}, au plus {MAX_COUNT}) et _offset, liens next/previous ; "
                             f"une recherche large par nom répond sa page sans total (_total=accurate pour le "
                             f"compter, _total=none pour s'en passer). "
                             f"Document OpenAPI : {base}openapi.json.",
            "security": {
                "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": token_url}]}],
                "cors": False,
                "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}]}],
                "description": "Systèmes : OAuth2 client credentials (SMART backend services, secret partagé), "
                               "jeton Bearer à scopes system/… lié à l'établissement du client (découverte : "
                               ".well-known/smart-configuration). Personnes : session du site, lecture seule, "
                               "selon leurs droits sur le dossier. Chaque accès à un patient est tracé.",
            },
            "resource": [_resource(spec) for spec in RESOURCES],
        }],
    }
