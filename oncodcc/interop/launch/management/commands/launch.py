"""`dcc launch register-key | list-keys | deactivate-key`: onboard the signing keys of hospitals' records (DPI)
for the contextual launch (docs/launch.md)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oncodcc.core.actors import SystemActor
from oncodcc.directory.models import Organisation

from ... import services
from ...models import LaunchKey

ACTOR = SystemActor(label="ligne de commande (dcc launch)", role="launch")


class Command(BaseCommand):
    help = "Appel contextuel : enregistrer, lister, désactiver les clés de signature des établissements."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register-key", help="Enregistre la clé publique d'un établissement.")
        which = register.add_mutually_exclusive_group(required=True)
        which.add_argument("--finess", help="FINESS de l'établissement (organisation de l'annuaire).")
        which.add_argument("--oid", help="OID de l'établissement (autorité d'affectation de ses IPP).")
        register.add_argument("--issuer", required=True, help="Valeur exacte de « iss » dans ses jetons.")
        register.add_argument("--algorithm", required=True, choices=LaunchKey.Algorithm.values)
        register.add_argument("--public-key", required=True, help="Fichier PEM : clé publique ou certificat.")
        register.add_argument("--kid", default="", help="Identifiant de clé (en-tête kid), facultatif.")
        sub.add_parser("list-keys", help="Liste les clés enregistrées.")
        deactivate = sub.add_parser("deactivate-key", help="Désactive une clé (rotation, compromission).")
        deactivate.add_argument("--id", dest="key_id", type=int, required=True, help="Numéro de la clé (voir list-keys).")

    def handle(self, *args, action, **options):
        return getattr(self, "_" + action.replace("-", "_"))(**options)

    def _register_key(self, *, finess, oid, issuer, algorithm, public_key, kid, **options):
        organisation = _organisation(finess=finess, oid=oid)
        try:
            pem = Path(public_key).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Lecture de {public_key} impossible : un fichier PEM (texte) est attendu.") from exc
        try:
            key = services.register_key(actor=ACTOR, organisation=organisation, issuer=issuer,
                                        algorithm=algorithm, public_key=pem, kid=kid)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Clé n° {key.pk} enregistrée pour {organisation} (OID {organisation.oid}) : iss={key.issuer} "
            f"alg={key.algorithm}{f' kid={key.kid}' if key.kid else ''}"))
        self.stdout.write(f"Empreinte SHA-256 : {key.fingerprint}")

    def _list_keys(self, **options):
        for key in LaunchKey.objects.select_related("organisation").order_by("issuer", "pk"):
            state = "active" if key.active else "inactive"
            self.stdout.write(f"{key.pk}\t{key.issuer}\t{key.kid or '-'}\t{key.algorithm}\t{state}\t"
                              f"{key.organisation}\t{key.fingerprint}")

    def _deactivate_key(self, *, key_id, **options):
        key = LaunchKey.objects.filter(pk=key_id).first()
        if key is None:
            raise CommandError(f"Aucune clé n° {key_id}.")
        services.deactivate_key(actor=ACTOR, key=key)
        self.stdout.write(self.style.SUCCESS(f"Clé n° {key.pk} ({key}) désactivée."))


def _organisation(*, finess: str | None, oid: str | None) -> Organisation:
    found = list(Organisation.objects.filter(finess=finess) if finess else Organisation.objects.filter(oid=oid))
    if not found:
        raise CommandError(f"Aucune organisation de l'annuaire avec {'le FINESS ' + finess if finess else 'l’OID ' + oid}.")
    if len(found) > 1:
        raise CommandError(f"Plusieurs organisations portent l'OID {oid} : utilisez --finess.")
    return found[0]
