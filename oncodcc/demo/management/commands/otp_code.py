"""`dcc otp-code USER`: the current second-factor code of a demo account (demo mode only)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oncodcc.accounts import otp
from oncodcc.demo.accounts import DemoModeOff, require_demo_mode, totp_key


class Command(BaseCommand):
    help = ("Affiche le code à 6 chiffres du moment du second facteur d'un compte de démonstration (il change toutes "
            "les 30 secondes). Refusé hors mode démonstration (DCC_DEMO_MODE).")

    def add_arguments(self, parser):
        parser.add_argument("username", metavar="IDENTIFIANT")

    def handle(self, *args, username: str, **options):
        try:
            require_demo_mode()
        except DemoModeOff as refusal:
            raise CommandError(str(refusal)) from None
        user = get_user_model().objects.filter(username=username).first()
        device = otp.confirmed_device(user) if user is not None else None
        # Only the devices whose secret is the published one: any other account's code stays its owner's.
        if device is None or device.bin_key != totp_key(username):
            raise CommandError(f"{username} n'est pas un compte de démonstration avec son second facteur de "
                               "démonstration (chargé par `dcc demo-data`).")
        self.stdout.write(otp.current_code(device))
