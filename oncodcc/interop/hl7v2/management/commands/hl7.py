"""`dcc hl7 register-sender --application APP --facility FAC --oid OID --name NAME [--finess FINESS]
[--cert-fingerprint SHA256] [--cert-subject 'CN=…,O=…'] [--allow-network CIDR]…` |
`dcc hl7 senders` | `dcc hl7 replay ID` | `dcc hl7 register-receiver --finess FINESS --host HOST --port PORT [--tls
--ca FILE --cert FILE --key FILE] [--message oru|mdm]`: the HL7 v2 channel from the command line (hospital
onboarding, both directions; the receivers belong to oncodcc.diffusion)."""

from django.core.management.base import BaseCommand, CommandError

from oncodcc.core.actors import SystemActor
from oncodcc.interop.hl7v2 import services
from oncodcc.interop.hl7v2.models import Hl7Message, Hl7Sender

OPERATOR = SystemActor(label="commande dcc hl7", role="hl7")


class Command(BaseCommand):
    help = "Canal HL7 v2 : enregistrement des émetteurs, liste, rejeu d'un message du journal."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser(
            "register-sender", help="Enregistre (ou réactive) un émetteur MSH-3/MSH-4 pour l'organisation de cet "
                                    "OID, créée (site géographique) si aucune organisation n'a cet OID.")
        register.add_argument("--application", required=True, help="Application émettrice (MSH-3.1).")
        register.add_argument("--facility", required=True, help="Établissement émetteur (MSH-4.1).")
        register.add_argument("--oid", required=True, help="OID de l'établissement (autorité d'affectation des IPP).")
        register.add_argument("--name", default="", help="Nom de l'établissement (pour le créer).")
        register.add_argument("--finess", default="", help="FINESS géographique de l'établissement (création).")
        register.add_argument("--cert-fingerprint", default=None,
                              help="Empreinte SHA-256 du certificat client TLS de l'émetteur "
                                   "(openssl x509 -noout -fingerprint -sha256 ; \"\" l'efface).")
        register.add_argument("--cert-subject", default=None,
                              help="Sujet exigé du certificat client, p. ex. 'CN=dpi.chu-exemple.fr,O=CHU Exemple' "
                                   "(\"\" l'efface).")
        register.add_argument("--allow-network", action="append", default=None, metavar="CIDR",
                              help="Réseau source autorisé (répétable, p. ex. 10.2.0.0/16) ; remplace la liste ; "
                                   "--allow-network \"\" la vide (toute adresse).")
        sub.add_parser("senders", help="Liste les émetteurs enregistrés.")
        receiver = sub.add_parser(
            "register-receiver", help="Enregistre (ou met à jour) le récepteur DPI d'un établissement : les "
                                      "documents validés lui sont envoyés en HL7 v2 (MLLP).")
        receiver.add_argument("--finess", required=True, help="FINESS de l'établissement (dans l'annuaire).")
        receiver.add_argument("--host", required=True, help="Hôte du moteur d'interface du DPI.")
        receiver.add_argument("--port", required=True, type=int, help="Port MLLP.")
        receiver.add_argument("--tls", action="store_true", help="MLLP sur TLS.")
        receiver.add_argument("--ca", default="", help="Autorité de certification du serveur (PEM).")
        receiver.add_argument("--cert", default="", help="Certificat client (PEM).")
        receiver.add_argument("--key", default="", help="Clé du certificat client (PEM).")
        receiver.add_argument("--message", choices=["oru", "mdm"], default="oru",
                              help="ORU^R01 (défaut) ou MDM^T02/T10/T04.")
        receiver.add_argument("--application", default="", help="Application destinataire (MSH-5, défaut DPI).")
        receiver.add_argument("--facility", default="", help="Établissement destinataire (MSH-6, défaut FINESS).")
        replay = sub.add_parser("replay", help="Rejoue un message du journal (nouvelle ligne, doublons ignorés).")
        replay.add_argument("id", type=int, help="Numéro du message dans le journal.")

    def handle(self, *args, action, **options):
        return getattr(self, "_" + action.replace("-", "_"))(**options)

    def _register_sender(self, *, application, facility, oid, name, finess, cert_fingerprint, cert_subject,
                         allow_network, **options):
        try:
            result = services.register_sender(actor=OPERATOR, application=application, facility=facility, oid=oid,
                                              name=name, finess=finess, cert_fingerprint=cert_fingerprint,
                                              cert_subject=cert_subject, allowed_networks=allow_network)
        except services.SenderError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        organisation = result.sender.organisation
        if result.organisation_created:
            self.stdout.write(f"Organisation créée : {organisation.name} (site géographique, OID {organisation.oid}"
                              + (f", FINESS {organisation.finess})" if organisation.finess else ")"))
        else:
            self.stdout.write(f"Organisation existante : {organisation} (OID {organisation.oid})")
        verb = {"created": "enregistré", "reactivated": "réactivé", "updated": "mis à jour",
                "unchanged": "déjà enregistré et actif"}
        self.stdout.write(self.style.SUCCESS(f"Émetteur {result.sender} {verb[result.sender_status]}."))
        self.stdout.write(f"Authentification : {result.sender.authentication_label()}")

    def _register_receiver(self, *, finess, host, port, tls, ca, cert, key, message, application, facility,
                           **options):
        from oncodcc.diffusion import receivers

        try:
            result = receivers.register_receiver(actor=OPERATOR, finess=finess, host=host, port=port,
                                                 message_type=message, tls=tls, ca=ca, cert=cert, key=key,
                                                 application=application, facility=facility)
        except receivers.ReceiverError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        r = result.receiver
        self.stdout.write(self.style.SUCCESS(
            f"Récepteur DPI {'enregistré' if result.created else 'mis à jour'} : {r.organisation} → {r.host}:{r.port} "
            f"({r.get_message_type_display()}, {'TLS' if r.tls else 'MLLP en clair'})."))

    def _senders(self, **options):
        senders = Hl7Sender.objects.select_related("organisation").order_by("application", "facility")
        if not senders:
            self.stdout.write("Aucun émetteur HL7 enregistré.")
        for sender in senders:
            self.stdout.write(f"{sender.pk}\t{sender}\t{sender.organisation}\tOID {sender.organisation.oid}\t"
                              f"{'actif' if sender.active else 'inactif'}\t"
                              f"authentification : {sender.authentication_label()}")

    def _replay(self, *, id, **options):
        message = Hl7Message.objects.filter(pk=id).first()
        if message is None:
            raise CommandError(f"Message n° {id} absent du journal.", returncode=1)
        try:
            new = services.replay(actor=OPERATOR, message=message)
        except services.ReplayRefused as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"Message n° {message.pk} rejoué : nouveau message n° {new.pk}, "
                          f"{new.get_state_display()} ({new.ack_code})" + (f" — {new.error}" if new.error else ""))
