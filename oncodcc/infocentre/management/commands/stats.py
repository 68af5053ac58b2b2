"""`dcc stats`: le DCC en chiffres on the command line (the same code as the page), and `dcc stats refresh`
to rebuild the rollup tables."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext

from oncodcc.infocentre import figures, rollups, scopes, search_index
from oncodcc.rcp.models import PARIS


class Command(BaseCommand):
    help = ("Le DCC en chiffres d'une année et d'un périmètre (région, territoire, 3C, établissement, RCP, "
            "organe) ; « refresh » reconstruit les tables de cumuls et l'index de recherche des fiches.")

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["show", "refresh"], default="show",
                            help="show (défaut) : afficher les chiffres ; refresh : reconstruire les cumuls")
        parser.add_argument("--year", type=int, help="année (défaut : l'année en cours, heure de Paris) ; "
                                                     "avec refresh : l'année à reconstruire (défaut : toutes)")
        parser.add_argument("--scope", default="region",
                            help="region | territory:CODE | 3c:FINESS | hospital:FINESS | board:ID | organ:CODE")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args, **options):
        if options["action"] == "refresh":
            totals = rollups.rebuild(year=options["year"])
            label = options["year"] or "toutes les années"
            self.stdout.write(f"Cumuls reconstruits ({label}) : "
                              + ", ".join(f"{k} = {v}" for k, v in totals.items()))
            indexed = search_index.rebuild()
            self.stdout.write(ngettext("Index de recherche des fiches reconstruit : %(n)d fiche.",
                                       "Index de recherche des fiches reconstruit : %(n)d fiches.", indexed)
                              % {"n": indexed})
            return
        year = options["year"] or timezone.localtime(timezone.now(), PARIS).year
        if not 1900 < year < 3000:
            raise CommandError("Année invalide.")
        try:
            scope = scopes.parse(options["scope"])
        except scopes.ScopeError as exc:
            raise CommandError(str(exc)) from exc
        if scope.kind == "mine":
            raise CommandError("Le périmètre « mine » n'existe que sur la page, pour l'utilisateur connecté.")
        result = figures.compute(year=year, scope=scope)
        {"table": self._table, "json": self._json, "csv": self._csv}[options["format"]](result)

    def _json(self, result: figures.Figures) -> None:
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))

    def _csv(self, result: figures.Figures) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["indicateur", "libellé", str(result.year), str(result.year - 1), "évolution",
                         "évolution (%)"])
        for f in [*result.main, *result.apart]:
            writer.writerow([f.key, f.label, _text(f.value), _text(f.previous), _text(f.change),
                             _text(f.change_percent)])

    def _table(self, result: figures.Figures) -> None:
        self.stdout.write(f"Le DCC en chiffres — {result.year} — {result.scope.title}")
        header = f"{'':32} {result.year:>10} {result.year - 1:>10} {'évolution':>10} {'%':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for f in result.main:
            self.stdout.write(_line(f))
        self.stdout.write("Comptés à part :")
        for f in result.apart:
            self.stdout.write(_line(f))


def _text(value) -> str:
    return "" if value is None else str(value)


def _line(f: figures.Figure) -> str:
    pct = "" if f.change_percent is None else f"{f.change_percent:+.1f}"
    change = "" if f.change is None else f"{f.change:+d}"
    return f"{f.label:32} {_text(f.value):>10} {_text(f.previous):>10} {change:>10} {pct:>8}"


