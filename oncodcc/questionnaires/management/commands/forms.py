"""dcc forms load [--dir DIR] | check FILE… | export --out DIR"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oncodcc.questionnaires import services
from oncodcc.questionnaires.definition import DefinitionError, load_file
from oncodcc.questionnaires.models import Questionnaire


class Command(BaseCommand):
    help = "Formulaires d'organe : charger (publier), vérifier, exporter."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Publie les formulaires du dossier (nouvelles versions seulement).")
        load.add_argument("--dir", default=str(services.FORMS_DIR))
        check = sub.add_parser("check", help="Vérifie des fichiers sans rien publier.")
        check.add_argument("files", nargs="+")
        export = sub.add_parser("export", help="Écrit chaque version publiée en JSON (Questionnaire FHIR).")
        export.add_argument("--out", required=True)

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _load(self, dir, **options):
        directory = Path(dir)
        if not directory.is_dir():
            raise CommandError(f"Dossier introuvable : {directory}")
        published = unchanged = 0
        for path in sorted(directory.glob("*.json")):
            try:
                result = services.publish(load_file(path), source=path.name)
            except DefinitionError as exc:
                raise CommandError(str(exc)) from exc
            if result.outcome == "published":
                published += 1
                self.stdout.write(f"  publié : {result.canonical} ({path.name})")
            else:
                unchanged += 1
        self.stdout.write(f"Formulaires d'organe : {published} publié(s), {unchanged} inchangé(s).")

    def _check(self, files, **options):
        failures = 0
        for name in files:
            try:
                definition = load_file(Path(name))
            except DefinitionError as exc:
                self.stderr.write(f"ERREUR {exc}")
                failures += 1
            else:
                self.stdout.write(f"OK {name} : {definition.canonical}")
        if failures:
            raise CommandError(f"{failures} fichier(s) invalide(s).")

    def _export(self, out, **options):
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        count = 0
        for questionnaire in Questionnaire.objects.order_by("url", "published_at"):
            slug = questionnaire.url.rsplit(":", 1)[-1]
            path = directory / f"{slug}-{questionnaire.version}.json"
            path.write_text(json.dumps(questionnaire.definition, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            count += 1
        self.stdout.write(f"{count} version(s) exportée(s) dans {directory}.")
