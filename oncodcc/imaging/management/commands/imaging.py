"""dcc imaging register-source --finess FINESS --qido-url URL [--viewer-url TEMPLATE] [--auth none|basic|bearer|cert …]
dcc imaging list-sources"""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oncodcc.directory.models import Organisation
from oncodcc.imaging import services
from oncodcc.imaging.models import ImageSource


class Command(BaseCommand):
    help = "Sources d'images DICOMweb (PACS des établissements, réseau régional d'images)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser(
            "register-source", help="Déclare (ou met à jour) la source d'images d'un établissement.",
            description="Le mot de passe ou le jeton est lu dans une variable d'environnement (--secret-env), "
                        "jamais sur la ligne de commande (visible de tous dans la liste des processus).")
        register.add_argument("--finess", required=True, help="FINESS de l'établissement dont les IPP sont cherchés.")
        register.add_argument("--qido-url", required=True, help="Racine DICOMweb (QIDO-RS, WADO-RS).")
        register.add_argument("--name", help="Nom affiché (défaut : « PACS » suivi du sigle de l'établissement).")
        register.add_argument("--viewer-url", default="", help="Modèle d'adresse du visualiseur, avec {study_uid}.")
        register.add_argument("--issuer", default="", help="IssuerOfPatientID (défaut : l'OID des IPP).")
        register.add_argument("--search-by-ins", action="store_true",
                              help="Chercher aussi par INS (identités qualifiées), pour un réseau régional d'images.")
        register.add_argument("--auth", choices=ImageSource.Auth.values, default=ImageSource.Auth.NONE)
        register.add_argument("--username", default="")
        register.add_argument("--secret-env", default="",
                              help="Nom de la variable d'environnement qui contient le mot de passe ou le jeton.")
        register.add_argument("--cert", default="", help="Certificat client PEM (--auth cert).")
        register.add_argument("--key", default="", help="Clé privée PEM du certificat client (--auth cert).")
        register.add_argument("--timeout", type=float, default=5.0, help="Délai d'attente en secondes (défaut : 5).")
        sub.add_parser("list-sources", help="Liste les sources d'images déclarées.")

    def handle(self, *args, action, **options):
        return getattr(self, "_" + action.replace("-", "_"))(**options)

    def _register_source(self, *, finess, qido_url, name, viewer_url, issuer, search_by_ins, auth, username,
                         secret_env, cert, key, timeout, **options):
        organisation = Organisation.objects.filter(finess=finess).order_by("pk").first()
        if organisation is None:
            raise CommandError(f"Aucun établissement n'a le FINESS {finess}.")
        secret = ""
        if secret_env:
            secret = os.environ.get(secret_env, "")
            if not secret:
                raise CommandError(f"La variable d'environnement {secret_env} est vide ou absente.")
        if auth in (ImageSource.Auth.BASIC, ImageSource.Auth.BEARER) and not secret:
            raise CommandError(f"--auth {auth} demande --secret-env (mot de passe ou jeton).")
        try:
            source, created = services.register_source(
                organisation=organisation, dicomweb_url=qido_url,
                name=name or f"PACS {organisation.short_name or organisation.name}"[:120],
                viewer_url_template=viewer_url, issuer=issuer, search_by_ins=search_by_ins, auth=auth,
                username=username, secret=secret, client_certificate=cert, client_key=key, timeout=timeout, active=True)
        except ValidationError as exc:
            details = "; ".join(f"{field} : {' '.join(messages)}" for field, messages in exc.message_dict.items())
            raise CommandError(f"Source refusée — {details}") from exc
        verb = "déclarée" if created else "mise à jour"
        self.stdout.write(f"Source d'images « {source.name} » {verb} pour {organisation} (n° {source.pk}).")

    def _list_sources(self, **options):
        sources = ImageSource.objects.select_related("organisation").order_by("pk")
        for source in sources:
            state = "active" if source.active else "inactive"
            self.stdout.write(f"{source.pk}\t{source.organisation.finess}\t{source.name}\t{source.dicomweb_url}\t"
                              f"{source.auth}\t{state}")
        if not sources:
            self.stdout.write("Aucune source d'images déclarée.")
