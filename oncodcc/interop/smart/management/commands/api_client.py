"""`dcc api-client create NAME [--organisation FINESS] --scopes '…'` | `list` | `revoke ID`: FHIR API clients
(SMART backend services). The secret is printed once, at creation."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncodcc.directory.models import Organisation
from oncodcc.interop.smart import services
from oncodcc.interop.smart.models import ApiClient

OPERATOR = "commande dcc api-client"


class Command(BaseCommand):
    help = "Clients de l'API FHIR (OAuth2 client credentials) : création, liste, révocation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Crée un client et affiche son secret (une seule fois).")
        create.add_argument("name", help="Nom du client (p. ex. « DPI CH Nord »).")
        create.add_argument("--organisation", metavar="FINESS",
                            help="FINESS de l'établissement du client ; absent : client régional du DSRC.")
        create.add_argument("--scopes", required=True,
                            help="Scopes SMART séparés par des espaces, p. ex. 'system/Patient.* "
                                 "system/DocumentReference.*'.")
        sub.add_parser("list", help="Liste les clients.")
        revoke = sub.add_parser("revoke", help="Désactive un client et révoque ses jetons.")
        revoke.add_argument("id", help="client_id, nom ou numéro du client.")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _create(self, name, organisation=None, scopes="", **options):
        org = None
        if organisation:
            org = Organisation.objects.filter(finess=organisation.strip()).first()
            if org is None:
                raise CommandError(f"Établissement inconnu : aucun FINESS {organisation} dans l'annuaire.",
                                   returncode=1)
        try:
            client, secret = services.create_client(actor=OPERATOR, name=name, organisation=org, scopes=scopes)
        except services.ClientError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"Client API créé : {client.name}")
        self.stdout.write(f"Établissement : {org or 'aucun (client régional du DSRC)'}")
        self.stdout.write(f"Scopes : {client.scopes}")
        self.stdout.write(f"client_id : {client.client_id}")
        self.stdout.write(f"client_secret : {secret}")
        self.stdout.write("Conservez ce secret : il ne sera plus jamais affiché.")

    def _list(self, **options):
        clients = ApiClient.objects.select_related("organisation").order_by("name")
        if not clients:
            self.stdout.write("Aucun client API.")
        for client in clients:
            used = (timezone.localtime(client.last_used_at).strftime("%d/%m/%Y %H:%M")
                    if client.last_used_at else "jamais")
            self.stdout.write(
                f"{client.pk}\t{client.client_id}\t{client.name}\t{client.organisation or 'régional'}\t"
                f"{'actif' if client.active else 'révoqué'}\tdernière utilisation : {used}\t{client.scopes}")

    def _revoke(self, id, **options):
        client = ApiClient.objects.filter(client_id=id).first() or ApiClient.objects.filter(name=id).first()
        if client is None and id.isdigit():
            client = ApiClient.objects.filter(pk=int(id)).first()
        if client is None:
            raise CommandError(f"Client API inconnu : {id}.", returncode=1)
        tokens = services.revoke_client(actor=OPERATOR, client=client)
        self.stdout.write(f"Client API révoqué : {client.name} ({tokens} jeton(s) invalidé(s)).")
