"""`dcc demo-data`: load the synthetic demo region (fictitious data only; refused unless DCC_DEMO_MODE)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oncodcc.accounts.models import User
from oncodcc.core.templatetags.french import pluriel
from oncodcc.demo import builder, regional
from oncodcc.demo.accounts import DEMO_PASSWORD, DEMO_USERNAMES, SIGN_IN_HELP, accounts_table
from oncodcc.demo.region import add_demo_second_factors


class Command(BaseCommand):
    help = (
        "Charge la région de démonstration (données fictives) : DSRC, 3C, établissements, professionnels, "
        "8 RCP, 600 patients, un an de séances avec fiches validées, le mois à venir, un compte par rôle. "
        "Idempotent : ne crée rien si la région de démonstration existe déjà."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Ne rien faire si la base contient déjà des structures, des professionnels ou "
                                 "des patients (premier démarrage de `make run`).")
        parser.add_argument("--seed", type=int, default=builder.DEFAULT_SEED,
                            help=f"Graine du générateur (défaut {builder.DEFAULT_SEED}) : même graine, mêmes données.")
        parser.add_argument("--patients", type=int, default=None,
                            help=f"Nombre de patients (défaut {builder.DEFAULT_PATIENTS} ; "
                                 f"{regional.DEFAULT_PATIENTS} avec --scale region).")
        parser.add_argument("--scale", choices=["demo", "region"], default="demo",
                            help="demo : la région de démonstration (600 patients) ; region : en plus, une région "
                                 "à l'échelle d'un DSRC (PostgreSQL seulement, écrite avec COPY).")
        parser.add_argument("--months", type=int, default=builder.DEFAULT_MONTHS,
                            help=f"Mois de séances passées (défaut {builder.DEFAULT_MONTHS}).")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            if options["if_empty"]:  # first start of `make run` in production: nothing to load, not an error
                self.stdout.write("Mode démonstration désactivé (DCC_DEMO_MODE) : aucune donnée de démonstration.")
                return
            raise CommandError(
                "Refusé : le mode démonstration est désactivé (DCC_DEMO_MODE=0 ou DCC_DEBUG=0). Les données de "
                "démonstration ne se chargent jamais dans une base de production."
            )
        if options["patients"] is None:
            options["patients"] = regional.DEFAULT_PATIENTS if options["scale"] == "region" else \
                builder.DEFAULT_PATIENTS
        if options["patients"] < 1 or options["months"] < 1:
            raise CommandError("--patients et --months doivent être positifs.")
        if options["scale"] == "region":
            self._load_region(options)
            return
        if builder.demo_region_exists():
            # A region loaded before the second factor existed: its demo accounts get their published device.
            added = add_demo_second_factors(User.objects.filter(username__in=DEMO_USERNAMES), audited=True)
            if added:
                self.stdout.write(f"Second facteur de démonstration ajouté à {added} compte{pluriel(added)}.")
            # A region loaded before its past fiches were documents: they are registered, rendered by the worker.
            registered = builder.register_missing_documents()
            if registered:
                self.stdout.write(
                    f"{registered} fiche{pluriel(registered)} RCP passée{pluriel(registered)} "
                    f"enregistrée{pluriel(registered)} dans l'entrepôt de documents (PDF et CDA produits en "
                    "arrière-plan par le worker).")
            if not (added or registered) and not options["if_empty"]:
                self.stdout.write("La région de démonstration est déjà chargée : rien à faire.")
            return
        if options["if_empty"] and not builder.database_is_empty():
            self.stdout.write("La base contient déjà des données : la région de démonstration n'est pas chargée.")
            return
        self.stdout.write(f"Chargement de la région de démonstration (graine {options['seed']}, données fictives)…")
        try:
            counts = builder.load(seed=options["seed"], patients=options["patients"], months=options["months"],
                                  progress=self.stdout.write)
        except builder.DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Région de démonstration chargée en {counts['seconds']} s : {counts['boards']} RCP, "
            f"{counts['practitioners']} professionnels, {counts['patients']} patients, {counts['meetings']} séances, "
            f"{counts['fiches']} fiches RCP validées, {counts['upcoming_registrations']} dossiers à venir."
        ))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        self.stdout.write(accounts_table())
        self.stdout.write(SIGN_IN_HELP)

    def _load_region(self, options) -> None:
        self.stdout.write(f"Chargement du jeu de données régional : {regional.format_count(options['patients'])} patients "
                          "(COPY, données fictives)…")
        try:
            counts = regional.load(patients=options["patients"], seed=options["seed"], months=options["months"],
                                   progress=self.stdout.write)
        except (regional.RegionalRefused, builder.DemoConflict) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Jeu de données régional chargé en {counts['seconds']} s : {counts['hospitals']} établissements, "
            f"{counts['boards']} RCP, {counts['meetings']} séances, {counts['patients']} patients, "
            f"{counts['registrations']} inscriptions, {counts['fiches']} fiches validées, "
            f"{counts['audit_events']} événements d'audit ; nom de naissance le plus fréquent : "
            f"{counts['commonest_surname']}."))
