"""`dcc accounts <action>`: accounts for integrators and administrators. One sub-command per action, each a
`_<action>` method (hyphens become underscores):

- `reset-otp USER` deletes the user's second factor;
- `create USER --email E --role R [--organisation ID|FINESS] [--rpps N] [--board ID ...]` creates an account
  without a password and emails its activation link (single use, DCC_ACCOUNT_LINK_HOURS);
- `deactivate USER [--reason TEXT]` (oncodcc.accounts.lifecycle.deactivate);
- `requests` lists the pending account requests (id, date, RPPS, role, organisations: no names, no emails).
The command acts as the system (no actor) in the audit trail, with `via` naming the command."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oncodcc.accounts import account_commands, otp


class Command(BaseCommand):
    help = ("Comptes : `dcc accounts reset-otp|create|deactivate|requests …` (voir `dcc accounts ACTION --help`).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        reset_otp = sub.add_parser(
            "reset-otp", help="Supprime l'application d'authentification et les codes de secours du compte : "
                              "l'utilisateur enrôle un nouveau second facteur à sa prochaine connexion.")
        reset_otp.add_argument("username", metavar="IDENTIFIANT")
        create = sub.add_parser("create", help="Crée un compte sans mot de passe et envoie son lien d'activation.")
        create.add_argument("username", metavar="IDENTIFIANT")
        create.add_argument("--email", required=True, help="adresse électronique (le lien d'activation y part)")
        create.add_argument("--role", required=True, choices=account_commands.CREATABLE_ROLES)
        create.add_argument("--organisation", help="3C ou DSRC de rattachement : identifiant ou FINESS")
        create.add_argument("--rpps", help="numéro RPPS (médecin) : relie le compte à l'annuaire")
        create.add_argument("--first-name", default="", help="prénom (sinon celui de l'annuaire)")
        create.add_argument("--last-name", default="", help="nom (sinon celui de l'annuaire)")
        create.add_argument("--board", type=int, action="append", default=[], metavar="ID",
                            help="RCP (identifiant) dont le compte devient membre ; répétable")
        deactivate = sub.add_parser("deactivate", help="Désactive un compte (plus de connexion possible).")
        deactivate.add_argument("username", metavar="IDENTIFIANT")
        deactivate.add_argument("--reason", default="Désactivé par la commande dcc accounts deactivate.",
                                help="motif (gardé dans la trace d'audit)")
        sub.add_parser("requests", help="Liste les demandes de compte en attente.")

    def handle(self, *args, action: str, **options):
        return getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"Compte inconnu : {username}.") from None

    def _reset_otp(self, username: str, **options):
        user = self._user(username)
        devices = otp.reset(actor=None, user=user, via="dcc accounts reset-otp")
        if devices:
            self.stdout.write(self.style.SUCCESS(
                f"Second facteur de {username} réinitialisé : un nouvel enrôlement lui sera demandé à sa prochaine "
                "connexion."))
        else:
            self.stdout.write(f"{username} n'avait pas de second facteur : l'enrôlement lui sera demandé à sa "
                              "prochaine connexion.")

    def _create(self, username: str, email: str, role: str, organisation, rpps, first_name, last_name, board,
                **options):
        try:
            user = account_commands.create(username=username, email=email, role=role, organisation=organisation,
                                           rpps=rpps, first_name=first_name, last_name=last_name, boards=board)
        except account_commands.Invalid as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Le courriel d'activation n'a pas pu partir ({error.__class__.__name__}) : aucun "
                               "compte n'a été créé.") from None
        self.stdout.write(self.style.SUCCESS(
            f"Compte {user.username} créé ({user.get_role_display()}) ; lien d'activation envoyé."))

    def _deactivate(self, username: str, reason: str, **options):
        from oncodcc.accounts import lifecycle

        user = self._user(username)
        if lifecycle.deactivate(user, actor=None, reason=reason):
            self.stdout.write(self.style.SUCCESS(f"Compte {username} désactivé."))
        else:
            self.stdout.write(f"Le compte {username} était déjà désactivé.")

    def _requests(self, **options):
        rows = account_commands.pending_requests()
        if not rows:
            self.stdout.write("Aucune demande de compte en attente.")
            return
        self.stdout.write("id\treçue le (UTC)\tRPPS\trôle\tstructures")
        for row in rows:
            self.stdout.write("\t".join(row))
