"""`dcc audit verify`: prove the audit trail is intact (every event keyed-hashed with its predecessor, the head
signed, every checkpoint matched) — from the last signed checkpoint by default, the whole chain with `--full`. `dcc audit checkpoint`: append a signed copy of the chain head to a file kept
outside the database."""

from django.core.management.base import BaseCommand, CommandError

from oncodcc.audit import checkpoints
from oncodcc.core.templatetags.french import pluriel


class Command(BaseCommand):
    help = (
        "Outils de la piste d'audit. `dcc audit verify` vérifie la chaîne d'empreintes signées depuis le dernier "
        "point de contrôle signé (toute la chaîne avec --full) et les points de contrôle (code de sortie 1 si "
        "rompue) ; `dcc audit checkpoint` vérifie puis ajoute un point de contrôle "
        "signé au fichier DCC_AUDIT_CHECKPOINT_FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"],
                            help="verify : vérifier la chaîne ; checkpoint : écrire un point de contrôle signé.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Événements lus par requête.")
        parser.add_argument("--checkpoint-file", default=None,
                            help="Fichier des points de contrôle (par défaut DCC_AUDIT_CHECKPOINT_FILE), "
                                 "p. ex. la copie conservée hors du serveur.")
        parser.add_argument("--full", action="store_true",
                            help="Relire toute la chaîne depuis le premier événement. Sans --full, seuls les "
                                 "événements postérieurs au dernier point de contrôle sont relus : une réécriture "
                                 "antérieure à ce point n'est détectée qu'avec --full.")

    def handle(self, *args, action: str, batch_size: int, checkpoint_file: str | None, full: bool = False,
               verbosity: int = 1, **options):
        if action == "checkpoint":
            result, line, path = checkpoints.write(path=checkpoint_file, batch_size=batch_size, full=full)
            self._fail_if_broken(result)
            self.stdout.write(self.style.SUCCESS(
                f"Point de contrôle écrit : {line['count']} événement(s), dernier n° {line['last_event_id']} "
                f"({path})"))
            return
        result, path = checkpoints.verify(batch_size=batch_size, path=checkpoint_file, full=full)
        self._fail_if_broken(result)
        if result.since is None:
            self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} événements vérifiés"))
        else:
            walked = result.walked
            self.stdout.write(self.style.SUCCESS(
                f"OK: {walked} événement{pluriel(walked)} vérifié{pluriel(walked)} depuis le {result.since.label()} "
                f"({result.checked} dans la chaîne ; les {result.since.count} attestés par ce point comptés, relus "
                f"seulement avec --full)"))
        if verbosity >= 1:
            keyed = result.walked - result.legacy
            if result.checked:
                self.stdout.write(f"  {keyed} signé(s) (clé {', '.join(sorted(result.key_ids)) or '—'}), "
                                  f"{result.legacy} antérieur(s) à la clé d'audit (SHA-256 sans clé)")
            self.stdout.write(f"  {result.checkpoints} point(s) de contrôle vérifié(s) ({path})")

    def _fail_if_broken(self, result) -> None:
        if result.ok:
            return
        where = f"événement n° {result.first_bad_id} : " if result.first_bad_id is not None else ""
        raise CommandError(
            f"ÉCHEC : {where}{result.problem} ({result.checked} événement(s) vérifié(s) avant lui).",
            returncode=1,
        )
