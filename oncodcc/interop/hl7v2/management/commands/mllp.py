"""`dcc mllp [--host H] [--port P]`: the HL7 v2 listener (MLLP over TCP) until SIGTERM/SIGINT."""

import errno

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oncodcc.interop.hl7v2 import mllp

BIND_ERRORS = {
    errno.EADDRINUSE: "le port est déjà utilisé par un autre programme",
    errno.EACCES: "permission refusée (un port inférieur à 1024 demande des droits particuliers)",
    errno.EADDRNOTAVAIL: "cette adresse n'appartient pas à la machine",
}


class Command(BaseCommand):
    help = (
        "Écoute les messages HL7 v2 (MLLP sur TCP) des établissements enregistrés et les acquitte (ACK). "
        "S'arrête proprement sur SIGTERM ou Ctrl-C : les messages en cours sont terminés et acquittés."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.MLLP_HOST,
                            help=f"Adresse d'écoute (défaut MLLP_HOST : {settings.MLLP_HOST}).")
        parser.add_argument("--port", type=int, default=settings.MLLP_PORT,
                            help=f"Port TCP (défaut MLLP_PORT : {settings.MLLP_PORT} ; 0 : un port libre).")
        parser.add_argument("--workers", type=int, default=None,
                            help=f"Messages traités en parallèle au plus (défaut {mllp.DEFAULT_WORKERS}).")

    def handle(self, *args, host, port, workers, **options):
        if not 0 <= port <= 65535:
            raise CommandError("--port doit être compris entre 0 et 65535.")
        if workers is not None and workers < 1:
            raise CommandError("--workers doit être positif.")

        def ready(listener):
            self.stdout.write(f"Écoute MLLP sur {listener.host}:{listener.port}")
            self.stdout.flush()

        try:
            mllp.serve(host=host, port=port, workers=workers, on_ready=ready)
        except OSError as exc:  # port taken, address not available: a clear message, not a traceback
            reason = BIND_ERRORS.get(exc.errno, exc.strerror or str(exc))
            raise CommandError(f"Impossible d'écouter sur {host}:{port} : {reason}.") from exc
