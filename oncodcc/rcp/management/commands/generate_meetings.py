"""`dcc generate-meetings`: create the coming meetings of every board from its recurrence (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from oncodcc.rcp.tasks import DEFAULT_WEEKS, generate_upcoming, generate_upcoming_meetings


class Command(BaseCommand):
    help = (
        "Crée les séances des N prochaines semaines de chaque RCP active ayant une récurrence "
        "(idempotent : une séance existante n'est pas recréée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS,
                            help=f"Nombre de semaines à planifier (défaut {DEFAULT_WEEKS}).")
        parser.add_argument("--enqueue", action="store_true",
                            help="Mettre la tâche en file d'attente pour le worker (`dcc db_worker`) au lieu "
                                 "de l'exécuter ici.")

    def handle(self, *args, weeks: int, enqueue: bool, **options):
        if not 1 <= weeks <= 104:
            raise CommandError("--weeks doit être compris entre 1 et 104.")
        if enqueue:
            result = generate_upcoming_meetings.enqueue(weeks=weeks)
            self.stdout.write(f"Tâche mise en file d'attente : {result.id} (exécutée par `dcc db_worker`).")
            return
        created = generate_upcoming(weeks=weeks)
        for name, count in created.items():
            if count and options["verbosity"] >= 2:
                self.stdout.write(f"  {name} : {count} séance(s) créée(s)")
        total = sum(created.values())
        self.stdout.write(f"{total} séance(s) créée(s) sur {weeks} semaines pour {len(created)} RCP.")
