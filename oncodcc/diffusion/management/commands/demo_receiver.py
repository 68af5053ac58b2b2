"""`dcc demo-receiver [--port PORT]`: the demo hospitals' DPI (an MLLP receiver that stores and answers AA)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oncodcc.diffusion import demo_receiver
from oncodcc.interop.hl7v2.mllp import serve


class Command(BaseCommand):
    help = "Récepteur MLLP de démonstration (DPI des établissements de la région de démonstration)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None,
                            help="Port (défaut DCC_DEMO_RECEIVER_PORT, 2576).")

    def handle(self, *args, host, port, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Le récepteur de démonstration ne fonctionne qu'en mode démonstration "
                               "(DCC_DEMO_MODE=1).", returncode=1)
        port = settings.DCC_DEMO_RECEIVER_PORT if port is None else port
        self.stdout.write(f"Récepteur DPI de démonstration sur {host}:{port} ; messages dans "
                          f"{demo_receiver.directory()}")
        serve(host=host, port=port, handler=demo_receiver.handle, recover=False)
