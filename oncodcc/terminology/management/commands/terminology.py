"""dcc terminology load | check"""

from django.core.management.base import BaseCommand, CommandError

from oncodcc.terminology import loader


class Command(BaseCommand):
    help = "Jeux de valeurs nationaux : charger en base (load) ou vérifier les codes enregistrés (check)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "check"])

    def handle(self, *args, action, **options):
        if action == "load":
            results = loader.load_all()
            for result in results:
                if result.outcome == "loaded":
                    self.stdout.write(f"  chargé : {result.name} {result.version} ({result.concepts} concepts)")
            loaded = sum(r.outcome == "loaded" for r in results)
            self.stdout.write(f"Terminologies : {loaded} jeu(x) chargé(s), {len(results) - loaded} inchangé(s).")
            return
        problems = loader.unknown_codes()
        if problems:
            for where, count in problems.items():
                self.stderr.write(f"  {where} : {count} code(s) inconnu(s)")
            raise CommandError("Des codes enregistrés sont absents des jeux de valeurs.")
        self.stdout.write("OK : tous les codes enregistrés appartiennent à leur jeu de valeurs.")
