"""Pro Santé Connect (PSC): health professionals sign in with their e-CPS (mobile app) or CPS card, over OpenID Connect.

The authorization code flow as PSC documents it (industriels.esante.gouv.fr, "Pro Santé Connect — documentation
technique"), with state, nonce and PKCE (S256): scopes `openid scope_all`, `acr_values=eidas1`; the ID token is
checked (signature against the provider's JWKS — or the client secret for HS256 —, iss, aud/azp, exp, iat, nonce,
acr), then the identity is read from the userinfo endpoint, JSON or a signed JWT (PSC puts the professional's
identity there: `SubjectNameID`, `given_name`, `family_name`, `otherIds`, `SubjectRefPro`…), whose `sub` must be the
ID token's. The national identifier of a professional listed in the RPPS is `8` + the 11-digit RPPS (idNat_PS).

`client` speaks the protocol, `identity` reads who signed in and finds their account, `views` signs them in.
Every failure is a `PscRefused` (`refusals`) with a stable reason code (audit, support) and a French message; it
never carries a name.
"""

from .client import (
    SESSION_FLOW,
    begin,
    complete,
    configuration_check,
    discovery_url,
    enabled,
    forget_provider,
)
from .identity import ACCOUNT_REQUEST_PATH, SESSION_IDENTITY, Identity, account_for, identity_from, rpps_of
from .refusals import REASONS, TO_ACCOUNT_REQUEST, PscRefused

__all__ = [
    "ACCOUNT_REQUEST_PATH", "REASONS", "SESSION_FLOW", "SESSION_IDENTITY", "TO_ACCOUNT_REQUEST", "Identity",
    "PscRefused", "account_for", "begin", "complete", "configuration_check", "discovery_url", "enabled",
    "forget_provider", "identity_from", "rpps_of",
]
