"""`dcc accounts-lifecycle [--dry-run] [--enqueue]`: warn and deactivate unused accounts now (what the worker does
every night), say who would be touched, or queue the daily run."""

from django.core.management.base import BaseCommand

from oncodcc.accounts import inactivity, tasks
from oncodcc.core.templatetags.french import pluriel


class Command(BaseCommand):
    help = ("Avertit puis désactive les comptes inutilisés depuis DCC_ACCOUNT_INACTIVE_DAYS jours (avertissement "
            f"{inactivity.WARNING_DAYS} jours avant). Idempotent.")

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true",
                          help="N'envoie rien et ne désactive rien : indique seulement les comptes concernés.")
        mode.add_argument("--enqueue", action="store_true",
                          help="Met la tâche quotidienne en file d'attente du worker (`dcc db_worker`), sauf si "
                               "elle y est déjà.")

    def handle(self, *args, dry_run: bool, enqueue: bool, **options):
        if enqueue:
            if tasks.enqueue():
                self.stdout.write("Tâche du cycle de vie des comptes mise en file d'attente.")
            else:
                self.stdout.write("La tâche du cycle de vie des comptes est déjà en file d'attente.")
            return
        result = inactivity.sweep(dry_run=dry_run)
        # French agreement: singular for 0 and 1 (ngettext without a French catalogue follows English).
        w, d, s_, f = (len(result.warned), len(result.deactivated), len(result.spared), len(result.failed))
        counts = [
            f"{w} compte{pluriel(w)} averti{pluriel(w)}",
            f"{d} compte{pluriel(d)} désactivé{pluriel(d)}",
            f"{s_} compte{pluriel(s_)} épargné{pluriel(s_)} (dernier{pluriel(s_)} administrateur{pluriel(s_)})",
            f"{f} avertissement{pluriel(f)} non envoyé{pluriel(f)} (réessayé{pluriel(f)} à la prochaine exécution)",
        ]
        prefix = "Simulation, rien n'a été envoyé ni désactivé : " if dry_run else ""
        self.stdout.write(prefix + " ; ".join(counts) + ".")
        if options["verbosity"] >= 2:
            # Account numbers only: identities stay out of terminals and logs.
            for label, ids in (("averti", result.warned), ("désactivé", result.deactivated),
                               ("épargné", result.spared), ("non averti", result.failed)):
                for pk in ids:
                    self.stdout.write(f"  compte n° {pk} : {label}")
