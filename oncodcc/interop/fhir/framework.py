"""The frame of every FHIR endpoint: HTTP method → interaction (405 with Allow otherwise), JSON only (406), the
caller (401), its SMART scope (403), and every error as an OperationOutcome — an unexpected one included, logged
without patient data. Endpoints are exempt from the site's login redirect and from CSRF: a bearer token is not a
cookie, and a session user may only read."""

import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from . import params
from .caller import Caller, identify
from .outcomes import FhirError, error_response, forbidden
from .registry import CREATE, DELETE, LETTER, READ, SEARCH, UPDATE

logger = logging.getLogger(__name__)

METHODS = {READ: ("GET", "HEAD"), SEARCH: ("GET", "HEAD"), CREATE: ("POST",), UPDATE: ("PUT",),
           DELETE: ("DELETE",)}
# A client may create a Binary to stage a document's content with either scope.
ALTERNATIVE_SCOPES = {("Binary", "c"): ("DocumentReference", "c")}


def raw_accept(handler: Callable) -> Callable:
    """Mark a handler that negotiates the Accept header itself (Binary read may answer the raw bytes)."""
    handler.raw_accept = True
    return handler


def authorise(caller: Caller, resource_type: str, interaction: str) -> None:
    if not caller.is_client:
        if interaction not in (READ, SEARCH):
            raise forbidden("Les écritures FHIR sont réservées aux systèmes autorisés (client API avec jeton "
                            "OAuth2) ; la session du site ne permet que la lecture.")
        return
    letter = LETTER[interaction]
    if caller.grant.allows(resource_type, letter):
        return
    alternative = ALTERNATIVE_SCOPES.get((resource_type, letter))
    if alternative and caller.grant.allows(*alternative):
        return
    verbs = {"r": "lecture", "s": "recherche", "c": "création", "u": "mise à jour", "d": "suppression"}
    raise forbidden(f"Scope insuffisant : {verbs[letter]} de {resource_type} non accordée à ce jeton "
                    f"(scope system/{resource_type}.{'read' if letter in 'rs' else 'write'} ou .{letter}).",
                    scope=True)


def endpoint(resource_type: str | None, handlers: dict[str, Callable], *, public: bool = False,
             any_method: bool = False):
    """A view serving `handlers` (interaction → function(request, *, caller, pretty, **url kwargs)); with
    `any_method`, every HTTP method goes to the single handler."""
    by_method: dict[str, tuple[str, Callable]] = {}
    for interaction, handler in handlers.items():
        for method in METHODS[interaction]:
            by_method[method] = (interaction, handler)
    allow = ", ".join(m for m in ("GET", "HEAD", "POST", "PUT", "DELETE") if m in by_method)

    @csrf_exempt
    @login_not_required
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        pretty = params.wants_pretty(request)
        try:
            entry = by_method.get(request.method) or (next(iter(by_method.values())) if any_method else None)
            if entry is None:
                raise FhirError(405, "not-supported", f"Méthode {request.method} non prise en charge ici "
                                                      f"(acceptées : {allow}).", headers={"Allow": allow})
            interaction, handler = entry
            pretty = params.check_format(request, accept=not getattr(handler, "raw_accept", False))
            caller = None
            if not public:
                caller = identify(request)
                authorise(caller, resource_type, interaction)
            return handler(request, caller=caller, pretty=pretty, **kwargs)
        except FhirError as error:
            return error_response(error, pretty=pretty)
        except Exception:
            logger.exception("FHIR : erreur inattendue (%s %s)", request.method, resource_type or "système")
            return error_response(FhirError(500, "exception", "Erreur interne du serveur."), pretty=pretty)

    view.__name__ = f"fhir_{(resource_type or 'system').lower()}"
    return view
