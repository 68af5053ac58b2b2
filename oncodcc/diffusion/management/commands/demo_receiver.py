"""`dcc demo-receiver [--port PORT] [--smtp-port P] [--dmp-port P]`: what the demo region's documents are delivered
to — the demo hospitals' DPI (an MLLP receiver that stores and answers AA), the MSSanté operator's relay (an SMTP
relay double writing each mail to var/mail/) and the DMP (an XDS.b repository double checking the metadata like the
DMP and keeping the documents in var/dmp/). Refused outside demo mode; started by `make run` in demo mode."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oncodcc.diffusion import demo_receiver
from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay
from oncodcc.diffusion.doubles.xds_repository import XdsRepository
from oncodcc.interop.hl7v2.mllp import serve


class Command(BaseCommand):
    help = ("Destinataires de démonstration : DPI des établissements (MLLP), relais MSSanté (SMTP) et DMP "
            "(XDS.b) de la région de démonstration.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None,
                            help="Port MLLP (défaut DCC_DEMO_RECEIVER_PORT, 2576).")
        parser.add_argument("--smtp-port", type=int, default=None,
                            help="Port du relais MSSanté de démonstration (défaut DCC_DEMO_SMTP_PORT, 2577 ; 0 : aucun).")
        parser.add_argument("--dmp-port", type=int, default=None,
                            help="Port du DMP de démonstration (défaut DCC_DEMO_DMP_PORT, 2578 ; 0 : aucun).")

    def handle(self, *args, host, port, smtp_port, dmp_port, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Le récepteur de démonstration ne fonctionne qu'en mode démonstration "
                               "(DCC_DEMO_MODE=1).", returncode=1)
        port = settings.DCC_DEMO_RECEIVER_PORT if port is None else port
        smtp_port = settings.DCC_DEMO_SMTP_PORT if smtp_port is None else smtp_port
        dmp_port = settings.DCC_DEMO_DMP_PORT if dmp_port is None else dmp_port
        var = Path(settings.VAR_DIR)
        doubles = []
        try:
            if smtp_port:
                doubles.append(SmtpRelay(host=host, port=smtp_port, directory=var / "mail").start())
                self.stdout.write(f"Relais MSSanté de démonstration sur {host}:{smtp_port} ; courriels dans {var / 'mail'}")
            if dmp_port:
                doubles.append(XdsRepository(host=host, port=dmp_port, directory=var / "dmp").start())
                self.stdout.write(f"DMP de démonstration (XDS.b) sur {doubles[-1].url} ; documents dans {var / 'dmp'}")
        except OSError as exc:
            for double in doubles:
                double.stop()
            raise CommandError(f"Port de démonstration indisponible : {exc}", returncode=1) from exc
        self.stdout.write(f"Récepteur DPI de démonstration sur {host}:{port} ; messages dans "
                          f"{demo_receiver.directory()}")
        try:
            serve(host=host, port=port, handler=demo_receiver.handle, recover=False)
        finally:
            for double in doubles:
                double.stop()
