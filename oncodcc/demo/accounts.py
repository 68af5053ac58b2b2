"""The demo accounts: one per role, all with the same password. Synthetic data only: never in production
(`dcc demo-data` refuses to run unless DCC_DEMO_MODE is on)."""

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
    ("sysadmin", Role.SYSADMIN, "Administrateur système (superutilisateur)"),
]


def accounts_table() -> str:
    """The accounts as an aligned text table (username, role, description)."""
    rows = [("Identifiant", "Rôle", "Ce que montre le compte")]
    rows += [(username, str(Role(role).label), description) for username, role, description in DEMO_ACCOUNTS]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = []
    for i, (username, role, description) in enumerate(rows):
        lines.append(f"    {username:<{widths[0]}}  {role:<{widths[1]}}  {description}")
        if i == 0:
            lines.append(f"    {'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(description)}")
    return "\n".join(lines)


def print_accounts() -> None:
    print(accounts_table())
