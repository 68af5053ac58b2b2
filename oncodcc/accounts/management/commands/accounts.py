"""`dcc accounts <action>`: accounts for integrators and administrators. One sub-command per action, each a
`_<action>` method (hyphens become underscores): `reset-otp USER` deletes the user's second factor."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oncodcc.accounts import otp


class Command(BaseCommand):
    help = "Comptes : `dcc accounts reset-otp IDENTIFIANT` réinitialise le second facteur d'un compte."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        reset_otp = sub.add_parser(
            "reset-otp", help="Supprime l'application d'authentification et les codes de secours du compte : "
                              "l'utilisateur enrôle un nouveau second facteur à sa prochaine connexion.")
        reset_otp.add_argument("username", metavar="IDENTIFIANT")

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
