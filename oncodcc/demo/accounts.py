"""The demo accounts: one per role, all with the same password and each with a TOTP device whose secret is derived
from the username, so that the README and `make run` can print it and `dcc otp-code USER` can give the current
code to a visitor without an authenticator app (or to a script). Synthetic data only: never in production
(`dcc demo-data` refuses to run unless DCC_DEMO_MODE is on, and so do the printing of the secrets and
`dcc otp-code`)."""

import base64
import hashlib
import sys

from django.conf import settings

from oncodcc.accounts.models import Role

DEMO_PASSWORD = "Demo-OncoDCC-2026"  # noqa: S105 (published on purpose: demo accounts only)

# (username, role, what the account shows)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("medecin", Role.DOCTOR, "Oncologue médical, membre de la RCP Sein (séance aujourd'hui 17:00)"),
    ("coordinateur", Role.COORDINATOR, "Médecin coordonnateur de la RCP Sein : signe les fiches"),
    ("secretaire", Role.SECRETARY, "Secrétaire de la RCP Sein (3C Nord) : inscrit les dossiers"),
    ("admin3c", Role.ADMIN_3C, "Administrateur du 3C Nord (accès à l'administration)"),
    ("admindsrc", Role.ADMIN_DSRC, "Administrateur du DSRC de démonstration"),
    ("dpo", Role.DPO, "Délégué à la protection des données : historiques d'accès"),
    ("epidemio", Role.EPIDEMIOLOGIST, "Épidémiologiste du DSRC : recherche pseudonymisée dans toutes les fiches"),
    ("sysadmin", Role.SYSADMIN, "Administrateur système (superutilisateur)"),
]
DEMO_USERNAMES = frozenset(username for username, _, _ in DEMO_ACCOUNTS)
REFUSED = ("Refusé : le mode démonstration est désactivé (DCC_DEMO_MODE). Les secrets du second facteur des comptes "
           "de démonstration ne sont ni affichés ni utilisables hors démonstration.")


class DemoModeOff(Exception):
    """Asked for a demo secret outside demo mode."""


def require_demo_mode() -> None:
    if not settings.DEMO_MODE:
        raise DemoModeOff(REFUSED)


def totp_key(username: str) -> bytes:
    """The fixed 20-byte TOTP key of a demo account (the same on every installation: it is published)."""
    return hashlib.sha256(f"oncodcc-demo-totp:{username}".encode()).digest()[:20]


def totp_secret(username: str) -> str:
    """The key in base32, as typed into an authenticator app (32 characters)."""
    return base64.b32encode(totp_key(username)).decode("ascii")


def accounts_table() -> str:
    """The accounts as an aligned text table (username, role, TOTP secret, description). Demo mode only."""
    require_demo_mode()
    rows = [("Identifiant", "Rôle", "Secret TOTP (base32)", "Ce que montre le compte")]
    rows += [(username, str(Role(role).label), totp_secret(username), description)
             for username, role, description in DEMO_ACCOUNTS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("    " + "  ".join(f"{cell:<{widths[n]}}" for n, cell in enumerate(row[:3])) + f"  {row[3]}")
        if i == 0:
            lines.append("    " + "  ".join("-" * width for width in widths) + f"  {'-' * len(row[3])}")
    return "\n".join(lines)


SIGN_IN_HELP = ("    Connexion : identifiant et mot de passe, puis le code à 6 chiffres du second facteur : `dcc otp-code "
                "IDENTIFIANT`\n    l'affiche, ou une application d'authentification à qui l'on donne le secret "
                "ci-dessus.")


def print_accounts() -> None:
    """For `make run`: the table and how to sign in; outside demo mode a French refusal and exit status 1."""
    try:
        print(accounts_table())
    except DemoModeOff as refusal:
        print(refusal, file=sys.stderr)
        sys.exit(1)
    print()
    print(SIGN_IN_HELP)
