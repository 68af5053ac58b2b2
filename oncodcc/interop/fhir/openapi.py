"""An OpenAPI 3.0 description of the FHIR API, generated from the same table as the CapabilityStatement: for
integrators' tools (and schemathesis in our tests). FHIR resources are described loosely (an object with its
resourceType and the main fields): the CapabilityStatement and the FHIR specification remain the reference."""

from .registry import CREATE, DELETE, READ, RESOURCES, SEARCH, UPDATE, ResourceSpec

FHIR_JSON = "application/fhir+json"
ERRORS = {
    "400": "Requête invalide (paramètre inconnu, ressource mal formée)",
    "401": "Jeton absent, expiré ou inconnu",
    "403": "Scope insuffisant ou accès refusé",
    "404": "Ressource introuvable (ou hors du périmètre du client)",
    "406": "Format demandé non pris en charge (JSON seulement)",
    "409": "Conflit avec l'état connu",
    "410": "Contenu supprimé par son émetteur",
    "413": "Contenu trop volumineux",
    "415": "Type de contenu non pris en charge",
    "422": "Ressource non traitable (règle d'identité, document refusé)",
}
CODING = {"type": "object", "properties": {"system": {"type": "string"}, "code": {"type": "string"}}}
IDENTIFIER = {"type": "object", "properties": {"system": {"type": "string"}, "value": {"type": "string"}}}
BODY_PROPERTIES = {
    "Patient": {
        "identifier": {"type": "array", "items": IDENTIFIER},
        "name": {"type": "array", "items": {"type": "object", "properties": {
            "use": {"type": "string", "enum": ["official", "usual"]}, "family": {"type": "string"},
            "given": {"type": "array", "items": {"type": "string"}}}}},
        "gender": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
        "birthDate": {"type": "string", "format": "date"},
    },
    "DocumentReference": {
        "status": {"type": "string", "enum": ["current", "superseded", "entered-in-error"]},
        "type": {"type": "object", "properties": {"coding": {"type": "array", "items": CODING}}},
        "subject": {"type": "object", "properties": {"reference": {"type": "string"}, "identifier": IDENTIFIER}},
        "content": {"type": "array", "items": {"type": "object", "properties": {"attachment": {
            "type": "object", "properties": {"contentType": {"type": "string"}, "data": {"type": "string"},
                                             "url": {"type": "string"}}}}}},
        "relatesTo": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "target": {"type": "object", "properties": {
                "reference": {"type": "string"}}}}}},
    },
    "Binary": {"contentType": {"type": "string"}, "data": {"type": "string"}},
}


def _responses(*codes: str, ok: str = "200") -> dict:
    responses = {ok: {"description": "Succès" if ok != "204" else "Supprimé"}}
    if ok != "204":
        responses[ok]["content"] = {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}}
    for code in codes:
        responses[code] = {"description": ERRORS[code],
                           "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}
    return responses


def _schema(param) -> dict:
    if param.type == "date":
        return {"type": "string", "example": "ge2020-01-01"}
    return {"type": "string"}


def _body(spec: ResourceSpec) -> dict:
    schema = {"type": "object", "required": ["resourceType"], "properties": {
        "resourceType": {"type": "string", "enum": [spec.type]}, "id": {"type": "string"},
        **BODY_PROPERTIES.get(spec.type, {})}}
    content = {FHIR_JSON: {"schema": schema}}
    if spec.type == "Binary":
        content["application/pdf"] = {"schema": {"type": "string", "format": "binary"}}
    return {"required": True, "content": content}


def _type_level(spec: ResourceSpec) -> dict:
    operations = {}
    if SEARCH in spec.interactions:
        parameters = [{"name": p.name, "in": "query", "required": False, "schema": _schema(p),
                       "description": p.documentation} for p in spec.params]
        parameters += [
            {"name": "_count", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
            {"name": "_offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
            {"name": "_total", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["none", "estimate", "accurate"]}},
        ]
        operations["get"] = {"operationId": f"search{spec.type}", "summary": f"Rechercher : {spec.type}",
                             "tags": [spec.type], "parameters": parameters,
                             "responses": _responses("400", "401", "403", "406")}
    if CREATE in spec.interactions:
        operations["post"] = {"operationId": f"create{spec.type}", "summary": f"Créer : {spec.type}",
                              "tags": [spec.type], "requestBody": _body(spec),
                              "responses": {**_responses("400", "401", "403", "409", "413", "415", "422"),
                                            **_responses(ok="201")}}
    return operations


def _instance_level(spec: ResourceSpec) -> dict:
    operations = {}
    if READ in spec.interactions:
        operations["get"] = {"operationId": f"read{spec.type}", "summary": f"Lire : {spec.type}",
                             "tags": [spec.type],
                             "responses": _responses("400", "401", "403", "404", "406", "409", "410")}
    if UPDATE in spec.interactions:
        operations["put"] = {"operationId": f"update{spec.type}", "summary": f"Mettre à jour : {spec.type}",
                             "tags": [spec.type], "requestBody": _body(spec),
                             "responses": _responses("400", "401", "403", "404", "409", "413", "415", "422")}
    if DELETE in spec.interactions:
        operations["delete"] = {"operationId": f"delete{spec.type}", "summary": f"Supprimer : {spec.type}",
                                "tags": [spec.type], "responses": _responses("401", "403", "404", ok="204")}
    if operations:
        operations["parameters"] = [{"name": "id", "in": "path", "required": True,
                                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"}}]
    return operations


def openapi_document(base: str, token_url: str) -> dict:
    paths = {"/metadata": {"get": {"operationId": "capabilities", "summary": "CapabilityStatement",
                                   "tags": ["Système"], "security": [], "responses": _responses("400", "406")}}}
    for spec in RESOURCES:
        if type_level := _type_level(spec):
            paths[f"/{spec.type}"] = type_level
        if instance_level := _instance_level(spec):
            paths[f"/{spec.type}/{{id}}"] = instance_level
    return {
        "openapi": "3.0.3",
        "info": {"title": "OncoDCC — API FHIR R4", "version": "4.0.1",
                 "description": "API FHIR R4 (JSON) d'OncoDCC. Authentification : OAuth2 client credentials "
                                "(SMART backend services) ; voir /fhir/metadata pour le détail des paramètres."},
        "servers": [{"url": base.rstrip("/")}],
        "security": [{"bearer": []}, {"smart": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "smart": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": {}}}},
            },
            "schemas": {
                "Resource": {"type": "object", "required": ["resourceType"],
                             "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}}},
                "OperationOutcome": {"type": "object", "required": ["resourceType", "issue"], "properties": {
                    "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                    "issue": {"type": "array", "items": {"type": "object", "properties": {
                        "severity": {"type": "string"}, "code": {"type": "string"},
                        "diagnostics": {"type": "string"}}}}}},
            },
        },
    }
