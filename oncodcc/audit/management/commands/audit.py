"""`dcc audit verify`: prove the audit trail is intact (every event hashed with its predecessor)."""

from django.core.management.base import BaseCommand, CommandError

from oncodcc.audit.services import verify_chain


class Command(BaseCommand):
    help = "Outils de la piste d'audit. `dcc audit verify` vérifie la chaîne d'empreintes (code de sortie 1 si rompue)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="verify : vérifier la chaîne d'empreintes.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Événements lus par requête.")

    def handle(self, *args, action: str, batch_size: int, **options):
        result = verify_chain(batch_size=batch_size)
        if not result.ok:
            raise CommandError(
                f"ÉCHEC : événement n° {result.first_bad_id} : {result.problem} "
                f"({result.checked} événement(s) vérifié(s) avant lui).",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} événements vérifiés"))
