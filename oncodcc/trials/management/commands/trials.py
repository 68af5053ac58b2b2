"""dcc trials import FILE | export --format csv|fhir [--out FILE]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oncodcc.trials import exporting, importing
from oncodcc.trials.models import Trial


class Command(BaseCommand):
    help = "Registre régional des essais cliniques : importer (CSV ou Bundle FHIR de ResearchStudy), exporter."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="Importe un fichier CSV ou un Bundle FHIR (mise à jour par identifiant).")
        load.add_argument("file")
        export = sub.add_parser("export", help="Écrit le registre en CSV ou en Bundle FHIR.")
        export.add_argument("--format", choices=("csv", "fhir"), default="csv")
        export.add_argument("--out", help="Fichier de sortie (défaut : la sortie standard).")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _import(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            result = importing.apply(importing.parse_file(path.name, path.read_bytes()), source=path.name)
        except importing.ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(f"ERREUR {error}")
            raise CommandError(f"{len(exc.errors)} erreur(s) : rien n'a été importé.") from exc
        self.stdout.write(f"Essais cliniques : {result.created} créé(s), {result.updated} mis à jour.")

    def _export(self, format, out, **options):
        trials = Trial.objects.prefetch_related("sites__organisation").order_by("pk")
        text = exporting.to_csv(trials) if format == "csv" else json.dumps(
            exporting.to_bundle(trials), ensure_ascii=False, indent=2)
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stdout.write(f"{trials.count()} essai(s) écrit(s) dans {out}.")
        else:
            self.stdout.write(text, ending="")
