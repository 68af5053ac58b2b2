"""Why a Pro Santé Connect sign-in is refused: a stable reason code (audit, support), an HTTP status and the French
title and message of the page shown to the professional."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .identity import Identity

RETRY = "Recommencez depuis la page de connexion, ou connectez-vous avec votre identifiant."


@dataclass(frozen=True)
class Reason:
    status: int
    title: str
    message: str


REASONS: dict[str, Reason] = {
    # The return from PSC.
    "access_denied": Reason(403, "Connexion annulée",
                            "La connexion a été annulée sur Pro Santé Connect (ou la transmission de votre identité "
                            "refusée). " + RETRY),
    "provider_error": Reason(401, "Connexion refusée par Pro Santé Connect",
                             "Pro Santé Connect n'a pas authentifié cette connexion. " + RETRY),
    "bad_state": Reason(400, "Connexion à recommencer",
                        "Ce retour de Pro Santé Connect ne correspond à aucune connexion en cours dans ce navigateur "
                        "(lien déjà utilisé, connexion commencée dans un autre navigateur, ou cookies refusés). "
                        + RETRY),
    "flow_expired": Reason(400, "Connexion expirée",
                           "Plus de dix minutes se sont écoulées depuis le début de la connexion. " + RETRY),
    "provider_unavailable": Reason(502, "Pro Santé Connect indisponible",
                                   "Pro Santé Connect ne répond pas, ou pas comme prévu. Réessayez dans quelques "
                                   "minutes, ou connectez-vous avec votre identifiant."),
    "token_refused": Reason(401, "Connexion refusée par Pro Santé Connect",
                            "Pro Santé Connect a refusé le code de connexion (expiré ou déjà utilisé). " + RETRY),
    # The ID token and the identity.
    "bad_signature": Reason(401, "Jeton d'identité invalide",
                            "Le jeton d'identité reçu n'est pas signé par Pro Santé Connect : la connexion est "
                            "refusée."),
    "bad_issuer": Reason(401, "Jeton d'identité invalide",
                         "Le jeton d'identité n'a pas été émis par le fournisseur Pro Santé Connect configuré."),
    "bad_audience": Reason(401, "Jeton destiné à un autre service",
                           "Le jeton d'identité n'est pas destiné à OncoDCC (revendication « aud »)."),
    "expired": Reason(401, "Jeton d'identité expiré",
                      "Le jeton d'identité a expiré. " + RETRY + " Si cela se reproduit, l'horloge du serveur est "
                      "peut-être décalée : prévenez l'administrateur."),
    "bad_nonce": Reason(401, "Jeton d'identité rejoué",
                        "Le jeton d'identité ne correspond pas à cette connexion (nonce) : la connexion est refusée."),
    "invalid_claims": Reason(401, "Jeton d'identité invalide",
                             "Le jeton d'identité est incomplet ou contient une information invalide."),
    "insufficient_acr": Reason(401, "Niveau d'authentification insuffisant",
                               "Pro Santé Connect n'atteste pas le niveau d'authentification attendu (carte CPS ou "
                               "e-CPS)."),
    "bad_userinfo": Reason(401, "Identité invalide",
                           "L'identité renvoyée par Pro Santé Connect ne correspond pas au jeton d'identité."),
    "no_rpps": Reason(403, "Pas de numéro RPPS",
                      "Votre identité Pro Santé Connect ne comporte pas de numéro RPPS ; OncoDCC identifie les "
                      "professionnels par leur RPPS. Connectez-vous avec votre identifiant, ou contactez "
                      "l'administrateur de votre 3C."),
    # The account.
    "inactive_account": Reason(403, "Compte désactivé",
                               "Votre compte OncoDCC est désactivé. Contactez l'administrateur de votre 3C pour le "
                               "faire réactiver."),
    # Not shown as a page: the professional is sent to the account request, their identity prefilled.
    "unknown_rpps": Reason(302, "RPPS inconnu", "Aucun professionnel de l'annuaire n'a ce RPPS."),
    "no_account": Reason(302, "Pas de compte", "Ce professionnel n'a pas de compte OncoDCC."),
}
TO_ACCOUNT_REQUEST = {"unknown_rpps", "no_account"}


class PscRefused(Exception):
    """A PSC sign-in that must stop. `detail`: what exactly was wrong (never a token, never a name). `identity`: the
    verified identity when PSC did attest one (the refusal is then about the account)."""

    def __init__(self, reason: str, *, detail: str = "", identity: "Identity | None" = None, user=None):
        if reason not in REASONS:
            raise ValueError(f"unknown PSC refusal reason {reason!r}")
        super().__init__(reason)
        self.reason, self.detail, self.identity, self.user = reason, detail[:300], identity, user

    @property
    def status(self) -> int:
        return REASONS[self.reason].status

    @property
    def title(self) -> str:
        return REASONS[self.reason].title

    @property
    def message(self) -> str:
        return REASONS[self.reason].message


