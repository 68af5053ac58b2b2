"""Who is calling the FHIR API: an API client with a bearer token (SMART backend services), or a person signed in
to the site (session; read interactions only). Each kind has its own rules for which patients exist for it."""

from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest

from oncodcc.core.actors import SystemActor
from oncodcc.interop.smart import access as client_access
from oncodcc.interop.smart import services as smart
from oncodcc.interop.smart.models import ApiClient
from oncodcc.interop.smart.scopes import Grant
from oncodcc.patients import policy as user_policy

from .outcomes import unauthorized


@dataclass
class Caller:
    actor: object  # accounts.User or SystemActor
    client: ApiClient | None = None
    grant: Grant | None = None

    @property
    def is_client(self) -> bool:
        return self.client is not None

    @property
    def organisation(self):
        return self.client.organisation if self.client else None

    def patient_scope(self) -> Q:
        """A filter on Patient: the patients this caller may see."""
        if self.client is not None:
            return client_access.patient_scope(self.client)
        return user_policy.patient_scope(self.actor)

    def audit_details(self) -> dict:
        return {"client": self.client.client_id} if self.client else {}


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def identify(request: HttpRequest) -> Caller:
    """The caller, or FhirError 401. A bearer token, when sent, wins over the session."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            raise unauthorized("Schéma d'authentification non pris en charge : Authorization: Bearer <jeton>.",
                               error="invalid_request")
        token = smart.token_for(value.strip())
        if token is None:
            raise unauthorized("Jeton d'accès inconnu, expiré ou révoqué : demandez-en un nouveau au point "
                               "d'accès /oauth/token.", error="invalid_token")
        client = token.client
        actor: SystemActor = smart.actor_for(client)
        return Caller(actor=actor, client=client, grant=Grant.of(token.scopes))
    if _signed_in(request.user):
        return Caller(actor=request.user)
    raise unauthorized("Authentification requise : jeton d'accès (OAuth2, en-tête Authorization: Bearer) ou "
                       "connexion à OncoDCC.")
