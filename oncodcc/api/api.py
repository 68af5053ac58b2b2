"""The NinjaAPI instance: session authentication (the user's login) with CSRF checks on writes."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import django_auth

from .fiches import DENIED
from .fiches import router as fiches_router

api = NinjaAPI(
    urls_namespace="api",
    title="OncoDCC API",
    version="1",
    description="API du Dossier Communicant de Cancérologie. Authentification par la session (connexion au site) ; "
                "les écritures exigent le jeton CSRF (en-tête X-CSRFToken).",
    auth=django_auth,
)
api.add_router("/fiches", fiches_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"detail": "Authentification requise : connectez-vous."}, status=401)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied):
    """Every refusal of the policy (AccessDenied is a PermissionDenied), once for the whole API."""
    return api.create_response(request, {"detail": str(exc) or DENIED}, status=403)
