"""dcc identity scan [--since AAAA-MM-JJ] [--resume]: identity vigilance over the whole base (oncodcc.patients.scan);
dcc identity learn-weights [--sample N]: the m/u probabilities estimated on the base (oncodcc.patients.learning)."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oncodcc.patients import learning, matching, scan

LABELS = {**{t.value: matching.TIER_LABELS[t] for t in matching.SHOWN_TIERS}, scan.NO_CANDIDATE: "Aucun candidat"}


class Command(BaseCommand):
    help = "Identitovigilance : recherche des doublons potentiels dans toute la base."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("scan", help="Compare à nouveau chaque dossier actif (reprise possible) et compte les "
                                          "dossiers par niveau de leur meilleur candidat.")
        run.add_argument("--since", help="AAAA-MM-JJ : seulement les dossiers créés ou modifiés depuis cette date.")
        run.add_argument("--resume", action="store_true",
                         help="Reprendre un examen interrompu là où il s'était arrêté.")
        learn = sub.add_parser("learn_weights", aliases=["learn-weights"],
                               help="Estime les probabilités m et u de chaque niveau de concordance sur les paires "
                                    "de la base (EM) et les affiche à côté des valeurs par défaut.")
        learn.add_argument("--sample", type=int, default=5000, help="Nombre de dossiers dont les paires sont lues.")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _learn_weights(self, sample=5000, **options):
        if sample < 1:
            raise CommandError("--sample doit être positif.", returncode=1)
        patterns = learning.base_patterns(sample=sample)
        if not patterns:
            raise CommandError("Aucune paire à comparer dans la base : rien à estimer.", returncode=1)
        # u measured on random pairs (two different people, almost always), then m by EM on the blocked pairs
        result = learning.estimate(patterns, fixed_u=learning.frequencies(learning.random_patterns()))
        self.stdout.write(f"{result.pairs} paire(s) comparée(s), {result.iterations} itération(s) ; part estimée de "
                          f"paires de la même personne : {result.proportion:.2%}.")
        self.stdout.write("Trait | niveau | m u poids (défaut) | m u poids (estimé)")
        for trait, levels in learning.default_levels().items():
            for code, level in levels.items():
                self.stdout.write(
                    f"{matching.TRAIT_LABELS[trait]} | {level.label} | {level.m:.4g} {level.u:.4g} {level.weight:+.2f} "
                    f"| {result.m[trait][code]:.4g} {result.u[trait][code]:.4g} {result.weight(trait, code):+.2f}")
        self.stdout.write("Les poids appliqués restent ceux de oncodcc/patients/matching.py : les modifier est une "
                          "décision de la cellule d'identitovigilance.")

    def _scan(self, since=None, resume=False, **options):
        checkpoint = scan.checkpoint_path()
        if resume:
            if not checkpoint.exists():
                raise CommandError("Aucun examen interrompu à reprendre.", returncode=1)
            if since:
                raise CommandError("--since et --resume s'excluent : la reprise garde la date de l'examen "
                                   "interrompu.", returncode=1)
            state = scan.ScanState.load(checkpoint)
            self.stdout.write(f"Reprise après le dossier n° {state.after_id}.")
        else:
            state = scan.ScanState(since=_since(since).isoformat() if since else None)
        state = scan.scan(state, checkpoint=checkpoint, progress=self._progress)
        self.stdout.write("Dossiers par niveau de leur meilleur candidat :")
        for key in scan.TIER_ORDER:
            self.stdout.write(f"  {LABELS[key]} : {state.counts.get(key, 0)}")
        self.stdout.write(f"Nouvellement signalés « doublon potentiel » : {state.flagged}")

    def _progress(self, state: scan.ScanState, total: int) -> None:
        done = sum(state.counts.values())
        self.stdout.write(f"… {done} dossier(s) examiné(s) (jusqu'au n° {state.after_id}) ; {total} restaient au "
                          f"départ de cette passe.")


def _since(value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError("Date attendue au format AAAA-MM-JJ.", returncode=1) from exc
    return timezone.make_aware(datetime.combine(day, time.min))
