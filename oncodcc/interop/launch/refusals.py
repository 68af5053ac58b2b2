"""Why a launch is refused: a stable reason code (audit, logs, the hospital's support), an HTTP status and the
French message shown to the doctor. docs/launch.md lists the same table."""

from dataclasses import dataclass

RELAUNCH = "relancez l'ouverture depuis votre logiciel."


@dataclass(frozen=True)
class Reason:
    status: int
    title: str
    message: str


REASONS: dict[str, Reason] = {
    # The request itself.
    "missing_token": Reason(400, "Lien incomplet",
                            "Ce lien ne contient pas de jeton d'appel contextuel : " + RELAUNCH),
    "malformed_token": Reason(400, "Lien illisible",
                              "Le jeton d'appel contextuel est illisible ou tronqué : " + RELAUNCH),
    # Who signed it.
    "unsupported_algorithm": Reason(401, "Signature invalide",
                                    "Signature invalide : seuls RS256 et ES256 sont acceptés."),
    "unknown_issuer": Reason(401, "Établissement inconnu du DCC",
                             "Établissement inconnu du DCC : son logiciel n'est pas (ou plus) autorisé à ouvrir "
                             "OncoDCC. Contactez l'administrateur du DSRC."),
    "unknown_key": Reason(401, "Signature invalide",
                          "Signature invalide : la clé annoncée (kid) n'est pas enregistrée pour cet "
                          "établissement."),
    "bad_signature": Reason(401, "Signature invalide",
                            "Signature invalide : le jeton n'a pas été signé par une clé enregistrée de cet "
                            "établissement."),
    "bad_audience": Reason(401, "Lien destiné à un autre service",
                           "Ce lien n'est pas destiné à ce DCC (revendication « aud »)."),
    # When.
    "expired": Reason(401, "Lien expiré", "Lien expiré : " + RELAUNCH),
    "not_yet_valid": Reason(401, "Lien pas encore valable",
                            "Lien pas encore valable : l'horloge du serveur de l'établissement est en avance. "
                            "Prévenez son service informatique."),
    "lifetime_too_long": Reason(401, "Lien refusé",
                                "Lien refusé : un jeton d'appel contextuel vaut 5 minutes au plus. Prévenez le "
                                "service informatique de l'établissement."),
    "replayed": Reason(401, "Lien déjà utilisé",
                       "Ce lien a déjà été utilisé : chaque ouverture demande un nouveau lien. Relancez "
                       "l'ouverture depuis votre logiciel."),
    # What it says.
    "missing_claims": Reason(400, "Lien incomplet",
                             "Le jeton ne contient pas toutes les informations attendues. Prévenez le service "
                             "informatique de l'établissement."),
    "invalid_claims": Reason(400, "Lien invalide",
                             "Le jeton contient une information invalide. Prévenez le service informatique de "
                             "l'établissement."),
    # Who the doctor is.
    "unknown_user": Reason(403, "Compte introuvable",
                           "Aucun compte actif OncoDCC pour ce RPPS dans cet établissement."),
    "inactive_user": Reason(403, "Compte désactivé",
                            "Aucun compte actif OncoDCC pour ce RPPS dans cet établissement (compte désactivé)."),
    "user_not_in_hospital": Reason(403, "Compte d'un autre établissement",
                                   "Aucun compte actif OncoDCC pour ce RPPS dans cet établissement : le compte "
                                   "n'y est pas rattaché dans l'annuaire. Contactez l'administrateur du DSRC."),
    "account_not_allowed": Reason(403, "Compte non autorisé",
                                  "Ce compte ne peut pas être ouvert par appel contextuel (réservé aux médecins) : "
                                  "connectez-vous avec votre identifiant et votre mot de passe."),
    # Who the patient is.
    "bad_patient": Reason(400, "Identité du patient refusée",
                          "L'identité du patient transmise par votre logiciel ne peut pas être enregistrée."),
    "identity_mismatch": Reason(409, "Identité du patient discordante",
                                "Le dossier n'a pas été ouvert : l'INS transmis par votre logiciel est connu "
                                "d'OncoDCC avec d'autres traits d'identité (nom de naissance, premier prénom, date "
                                "de naissance ou sexe). La cellule d'identitovigilance du DSRC est prévenue ; faites "
                                "vérifier l'identité du patient dans votre établissement."),
    "identity_protected": Reason(409, "Identité qualifiée dans OncoDCC",
                                 "Le dossier n'a pas été ouvert : l'identité de ce patient est qualifiée dans "
                                 "OncoDCC et votre logiciel transmet d'autres traits d'identité, moins sûrs. Faites "
                                 "vérifier l'identité du patient (téléservice INSi) dans votre établissement."),
}


class LaunchRefused(Exception):
    """A launch that must stop. `detail` says precisely what was wrong (French, no patient identity, never the
    token). `key` is the verified key when the signature was already checked; `rpps` the verified subject."""

    def __init__(self, reason: str, *, detail: str = "", issuer: str = "", key=None, rpps: str = ""):
        if reason not in REASONS:
            raise ValueError(f"unknown launch refusal reason {reason!r}")
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.issuer = issuer
        self.key = key
        self.rpps = rpps

    @property
    def status(self) -> int:
        return REASONS[self.reason].status

    @property
    def title(self) -> str:
        return REASONS[self.reason].title

    @property
    def message(self) -> str:
        return REASONS[self.reason].message
