"""`dcc mllp [--host H] [--port P] [--tls-cert F --tls-key F --tls-client-ca F]`: the HL7 v2 listener (MLLP over
TCP, or over TLS with a client certificate required) until SIGTERM/SIGINT."""

import errno

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oncodcc.interop.hl7v2 import mllp
from oncodcc.interop.hl7v2.channel import ChannelConfigError, check_plain_allowed, server_context

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
        parser.add_argument("--tls-cert", default=settings.MLLP_TLS_CERT,
                            help="Certificat du serveur, PEM (défaut MLLP_TLS_CERT). Avec --tls-key et "
                                 "--tls-client-ca : MLLP sur TLS, certificat client exigé.")
        parser.add_argument("--tls-key", default=settings.MLLP_TLS_KEY,
                            help="Clé privée du certificat du serveur, PEM (défaut MLLP_TLS_KEY).")
        parser.add_argument("--tls-client-ca", default=settings.MLLP_TLS_CLIENT_CA,
                            help="Autorité (PEM) des certificats clients acceptés (défaut MLLP_TLS_CLIENT_CA).")

    def handle(self, *args, host, port, workers, tls_cert, tls_key, tls_client_ca, **options):
        if not 0 <= port <= 65535:
            raise CommandError("--port doit être compris entre 0 et 65535.")
        if workers is not None and workers < 1:
            raise CommandError("--workers doit être positif.")
        try:
            if tls_cert or tls_key or tls_client_ca:
                context = server_context(tls_cert, tls_key, tls_client_ca)
            else:
                context = None
                check_plain_allowed(host, settings.MLLP_ALLOW_PLAIN)
        except ChannelConfigError as exc:
            raise CommandError(str(exc)) from exc

        def ready(listener):
            self.stdout.write(f"Écoute MLLP sur {listener.host}:{listener.port}"
                              + (" (TLS, certificat client exigé)" if context is not None else ""))
            self.stdout.flush()

        try:
            mllp.serve(host=host, port=port, workers=workers, ssl_context=context, on_ready=ready)
        except OSError as exc:  # port taken, address not available: a clear message, not a traceback
            reason = BIND_ERRORS.get(exc.errno, exc.strerror or str(exc))
            raise CommandError(f"Impossible d'écouter sur {host}:{port} : {reason}.") from exc
