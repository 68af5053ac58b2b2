"""Reading a request body: a FHIR JSON resource (validated with fhir.resources R4B) or raw bytes, within the
size allowed for an inbound document. The body is read from the stream so that a document larger than Django's
in-memory form limit (DATA_UPLOAD_MAX_MEMORY_SIZE) still gets its FHIR answer (413) rather than a bare error."""

import json

from django.conf import settings
from django.http import HttpRequest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from .outcomes import FhirError, invalid, not_supported

JSON_TYPES = {"application/fhir+json", "application/json"}
# JSON around a base64 document: 4/3 of the document plus room for the resource itself.
JSON_OVERHEAD = 256 * 1024


def max_json_bytes() -> int:
    return settings.INBOUND_DOCUMENT_MAX_BYTES * 4 // 3 + JSON_OVERHEAD


def read_bytes(request: HttpRequest, *, limit: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise invalid("En-tête Content-Length invalide.") from exc
    if declared > limit:
        raise FhirError(413, "too-costly", f"Contenu trop volumineux (au plus {limit // (1024 * 1024)} Mo).")
    content = request.read(limit + 1)
    if len(content) > limit:
        raise FhirError(413, "too-costly", f"Contenu trop volumineux (au plus {limit // (1024 * 1024)} Mo).")
    return content


def is_json(request: HttpRequest) -> bool:
    return (request.content_type or "").lower() in JSON_TYPES


def _where(error: dict) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "__root__") or "(ressource)"


def read_resource(request: HttpRequest, resource_type: str) -> dict:
    """The JSON resource of a POST/PUT, checked against the FHIR R4 model. FhirError 415/413/400 otherwise."""
    if not is_json(request):
        raise not_supported("Corps attendu en application/fhir+json (ou application/json).", 415)
    raw = read_bytes(request, limit=max_json_bytes())
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise invalid("Corps illisible : JSON UTF-8 attendu.") from exc
    if not isinstance(data, dict):
        raise invalid("Corps attendu : une ressource FHIR (objet JSON).")
    if data.get("resourceType") != resource_type:
        raise invalid(f"resourceType attendu : {resource_type}.")
    try:
        get_fhir_model_class(resource_type).model_validate(data)
    except ValidationError as exc:
        fields = sorted({_where(e) for e in exc.errors()})[:5]
        raise invalid(f"Ressource {resource_type} invalide (FHIR R4) : champ(s) {', '.join(fields)}.") from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise invalid(f"Ressource {resource_type} invalide (FHIR R4).") from exc
    return data
