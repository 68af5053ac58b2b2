"""System-level endpoints: /fhir/metadata (CapabilityStatement), /fhir/openapi.json, the SMART discovery document
under the FHIR base, and an OperationOutcome for anything else under /fhir/."""

from django.http import HttpRequest, HttpResponse

from oncodcc.interop.smart import views as smart_views

from . import params
from .bundles import base_url
from .capability import capability_statement
from .framework import endpoint
from .openapi import openapi_document
from .outcomes import fhir_response, not_supported
from .registry import BY_TYPE, READ


def _metadata(request: HttpRequest, *, caller, pretty: bool) -> HttpResponse:
    params.parse_read(request, allowed={"mode"})
    modes = request.GET.getlist("mode")
    if len(modes) > 1 or (modes and modes[0] not in ("", "full")):
        raise not_supported("Seul le mode « full » de /metadata est pris en charge.")
    return fhir_response(capability_statement(base_url(request), smart_views.token_url(request)), pretty=pretty)


def _openapi(request: HttpRequest, *, caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    response = fhir_response(openapi_document(base_url(request), smart_views.token_url(request)), pretty=pretty)
    response["Content-Type"] = "application/json; charset=utf-8"
    return response


def _unsupported(request: HttpRequest, path: str, *, caller, pretty: bool) -> HttpResponse:
    first = path.split("/", 1)[0]
    if first in BY_TYPE:
        raise not_supported(f"Interaction non prise en charge sur {first} : voir /fhir/metadata.", 404)
    if not path:
        raise not_supported("Aucune interaction au niveau du système : voir /fhir/metadata.", 404)
    raise not_supported("Type de ressource ou opération non pris en charge : voir /fhir/metadata.", 404)


metadata = endpoint(None, {READ: _metadata}, public=True)
openapi = endpoint(None, {READ: _openapi}, public=True)
# Unknown paths answer 404 whatever the method (a POST to an unknown type is not a 405).
unsupported = endpoint(None, {READ: _unsupported}, public=True, any_method=True)
